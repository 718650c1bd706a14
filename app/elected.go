package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
	"github.com/minik8s/minik8s/pki"
	"github.com/minik8s/minik8s/replica"
)

// electedRole is what differs between the leader-elected roles (the
// scheduler and the controller manager) when they run as replicas.
type electedRole struct {
	// component names the role in logs and metrics.
	component string
	// idSuffix goes between the process and the replica index in
	// identities: <host>_<pid>_<idSuffix><i>.
	idSuffix string
	// leaseName is the Lease in kube-system, and the role's name in its
	// Redis lock key.
	leaseName string
	// port serves /healthz, /metrics and /replicas on 127.0.0.1; 0: off.
	port int
	// build wires replica r: the work to do while leading, the work every
	// replica does all along (warm caches, event recorders), and the client
	// the Lease lock writes through.
	build func(r *replica.Replica, identity, host string, reg prometheus.Registerer, log zerolog.Logger) (
		lead func(context.Context) error, always []func(context.Context) error, leases *client.Client, err error)
}

// newElectedReplicas builds n replicas of role, each with its own identity
// and election through cfg.LeaderElection, plus the role's HTTP port
// (listening when it returns). It returns the functions to run; they stop
// when their context ends.
func newElectedReplicas(cfg Config, n int, role electedRole, log zerolog.Logger) ([]func(context.Context) error, error) {
	if n < 1 {
		return nil, fmt.Errorf("%s replicas %d: want at least 1", role.component, n)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	var (
		fns      []func(context.Context) error
		replicas []*replica.Replica
		closers  []func() error
	)
	fail := func(err error) ([]func(context.Context) error, error) {
		for _, c := range closers {
			_ = c()
		}
		return nil, err
	}
	for i := range n {
		identity := host + "_" + strconv.Itoa(os.Getpid()) + "_" + role.idSuffix + strconv.Itoa(i)
		rlog := log.With().Str("component", role.component).Str("replica", identity).Logger()
		r, closer, err := newElectedReplica(cfg, i, identity, host, reg, role, rlog)
		if err != nil {
			return fail(fmt.Errorf("%s replica %d: %w", role.component, i, err))
		}
		replicas = append(replicas, r)
		run := r.Run
		if closer != nil {
			closers = append(closers, closer)
			run = func(ctx context.Context) error {
				defer closer()
				return r.Run(ctx)
			}
		}
		fns = append(fns, run)
	}
	if role.port != 0 {
		acc, err := replicaAccess(cfg, role.component)
		if err != nil {
			return fail(fmt.Errorf("%s port: %w (or pass --port 0 to turn it off)", role.component, err))
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(role.port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("%s port: listen on %s: %w (pass --port with a free port, or 0 to turn it off)", role.component, addr, err))
		}
		slog := log.With().Str("component", role.component).Logger()
		srv, err := replica.NewServer(ln, replicas, reg, acc, slog)
		if err != nil {
			ln.Close()
			return fail(err)
		}
		slog.Info().Str("addr", "https://"+ln.Addr().String()).Msg("serving /healthz, and /metrics and /replicas to admins")
		fns = append(fns, srv.Run)
	}
	return fns, nil
}

// replicaAccess secures a role's port: a serving certificate from the
// cluster CA (which the admin kubeconfig carries) and the cluster's token
// file, whose admin token (the kubeconfig's) may use it.
func replicaAccess(cfg Config, component string) (replica.Access, error) {
	ca, err := pki.LoadCA(cfg.DataDir)
	if err != nil {
		return replica.Access{}, err
	}
	cert, err := ca.ServingCert(component, pki.DefaultHosts("127.0.0.1"))
	if err != nil {
		return replica.Access{}, err
	}
	tokens, err := authn.Load(cfg.TokenFile())
	if err != nil {
		return replica.Access{}, fmt.Errorf("%w (start the API server with this data dir first)", err)
	}
	return replica.Access{TLS: ca.ServerTLS(cert), Tokens: tokens}, nil
}

// newElectedReplica wires replica i of role; closer, if not nil, releases
// what it opened (a Redis connection).
func newElectedReplica(cfg Config, i int, identity, host string, reg prometheus.Registerer, role electedRole, log zerolog.Logger) (*replica.Replica, func() error, error) {
	r := replica.New(i, identity, log)
	lead, always, leases, err := role.build(r, identity, host, reg, log)
	if err != nil {
		return nil, nil, err
	}
	le := cfg.LeaderElection
	if !le.LeaderElect {
		r.Attach(lead, nil, always...)
		return r, nil, nil
	}
	var (
		lock   election.Lock
		closer func() error
	)
	switch le.Backend {
	case "redis":
		opt, err := redis.ParseURL(cfg.Redis)
		if err != nil {
			return nil, nil, fmt.Errorf("parse --redis: %w", err)
		}
		routeRedisLog(log)
		rdb := redis.NewClient(opt)
		lock, closer = newClusterRedisLock(rdb, leases, role.leaseName, le.LeaseDuration), rdb.Close
	default:
		lock = leaselock.New(leases.Leases("kube-system"), role.leaseName, le.LeaseDuration, leaselock.Options{
			IsNotFound: client.IsNotFound,
			IsConflict: func(err error) bool { return client.IsConflict(err) || client.IsAlreadyExists(err) },
		})
	}
	el, err := election.New(r.Hold().Lock(lock), le.electionConfig(identity), log, election.Options{
		Component: role.component, Registerer: reg,
	})
	if err != nil {
		if closer != nil {
			_ = closer()
		}
		return nil, nil, err
	}
	r.Attach(lead, el, always...)
	return r, closer, nil
}
