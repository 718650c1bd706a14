package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
	"github.com/minik8s/minik8s/election/redislock"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/replica"
)

// ControllerManagerConfig configures the controller-manager role.
type ControllerManagerConfig struct {
	controllers.Config `yaml:",inline"`
	// Replicas is how many independent replicas one process runs.
	Replicas int `yaml:"replicas"`
	// Port serves /healthz, /metrics and /replicas on 127.0.0.1; 0: off.
	Port int `yaml:"port"`
	// KubeAPIQPS and KubeAPIBurst rate-limit each replica's API client.
	KubeAPIQPS   float32 `yaml:"kubeAPIQPS"`
	KubeAPIBurst int     `yaml:"kubeAPIBurst"`
}

// DefaultControllerManagerConfig returns the controller manager's
// defaults: one replica on port 10257 (kube-controller-manager's),
// kube-controller-manager's worker counts and node monitoring periods, and
// a client allowed 200 requests per second (burst 400).
func DefaultControllerManagerConfig() ControllerManagerConfig {
	return ControllerManagerConfig{
		Config:       controllers.DefaultConfig(),
		Replicas:     1,
		Port:         10257,
		KubeAPIQPS:   200,
		KubeAPIBurst: 400,
	}
}

// validate checks the controller manager's own settings (the election's
// are checked with the scheduler's).
func (c ControllerManagerConfig) validate() error {
	if c.Replicas < 1 {
		return fmt.Errorf("--replicas %d must be at least 1", c.Replicas)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("--port %d must be 0 (off) to 65535", c.Port)
	}
	if c.KubeAPIBurst < 0 {
		return fmt.Errorf("--kube-api-burst %d must not be negative", c.KubeAPIBurst)
	}
	return c.Config.Validate()
}

// Names of the controller manager's lock.
const (
	controllerManagerLeaseNamespace = "kube-system"
	controllerManagerLeaseName      = "kube-controller-manager"
	controllerManagerRedisKey       = "minik8s/leader/kube-controller-manager"
)

// NewControllerManagers builds n controller-manager replicas, each with its
// own API client, identity (<hostname>_<pid>_cm<i>) and, while it leads,
// its own informers and controllers, all elected together through
// cfg.LeaderElection (the Lease kube-system/kube-controller-manager, or a
// Redis key), and, unless cfg.ControllerManager.Port is 0, the controller
// manager's HTTP port (listening when NewControllerManagers returns; see
// package replica). A replica writes only while its lease is live, and
// nothing while it is frozen. It returns the functions to run; they stop
// when their context ends. It reads the kubeconfig, so the API server must
// have written it.
func NewControllerManagers(cfg Config, n int, log zerolog.Logger) ([]func(context.Context) error, error) {
	if n < 1 {
		return nil, fmt.Errorf("controller manager replicas %d: want at least 1", n)
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
		identity := host + "_" + strconv.Itoa(os.Getpid()) + "_cm" + strconv.Itoa(i)
		rlog := log.With().Str("component", "controller-manager").Str("replica", identity).Logger()
		r, closer, err := newControllerManagerReplica(cfg, i, identity, host, reg, rlog)
		if err != nil {
			return fail(fmt.Errorf("controller manager replica %d: %w", i, err))
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
	if port := cfg.ControllerManager.Port; port != 0 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("controller manager port: listen on %s: %w (pass --port with a free port, or 0 to turn it off)", addr, err))
		}
		slog := log.With().Str("component", "controller-manager").Logger()
		slog.Info().Str("addr", ln.Addr().String()).Msg("serving /healthz, /metrics and /replicas")
		fns = append(fns, replica.NewServer(ln, replicas, reg, slog).Run)
	}
	return fns, nil
}

// newControllerManagerReplica wires one replica; closer, if not nil,
// releases what it opened (a Redis connection). The controllers' client
// sends through the replica's Transport; the lock has a client of its own,
// since a standby's campaign is a write the Transport would refuse.
func newControllerManagerReplica(cfg Config, i int, identity, host string, reg prometheus.Registerer, log zerolog.Logger) (*replica.Replica, func() error, error) {
	cm := cfg.ControllerManager
	r := replica.New(i, identity, log)
	c, err := kubeconfigClient(cfg.ClientKubeconfig(), cm.KubeAPIQPS, cm.KubeAPIBurst, r.Transport)
	if err != nil {
		return nil, nil, fmt.Errorf("build API client: %w", err)
	}
	m, err := controllers.NewManager(cm.Config, c, identity, host, log)
	if err != nil {
		return nil, nil, err
	}
	le := cfg.LeaderElection
	if !le.LeaderElect {
		r.Attach(m.Run, nil)
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
		lock, closer = redislock.New(rdb, controllerManagerRedisKey, le.LeaseDuration), rdb.Close
	default:
		lc, err := client.FromKubeconfig(cfg.ClientKubeconfig(), cm.KubeAPIQPS, cm.KubeAPIBurst)
		if err != nil {
			return nil, nil, fmt.Errorf("build lock's API client: %w", err)
		}
		lock = leaselock.New(lc.Leases(controllerManagerLeaseNamespace), controllerManagerLeaseName, le.LeaseDuration, leaselock.Options{
			IsNotFound: client.IsNotFound,
			IsConflict: func(err error) bool { return client.IsConflict(err) || client.IsAlreadyExists(err) },
		})
	}
	el, err := election.New(r.Hold().Lock(lock), le.electionConfig(identity), log, election.Options{
		Component: "controller-manager", Registerer: reg,
	})
	if err != nil {
		if closer != nil {
			_ = closer()
		}
		return nil, nil, err
	}
	r.Attach(m.Run, el)
	return r, closer, nil
}

// kubeconfigClient is client.FromKubeconfig with the transport wrapped by
// wrap.
func kubeconfigClient(path string, qps float32, burst int, wrap func(http.RoundTripper) http.RoundTripper) (*client.Client, error) {
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return nil, err
	}
	res, err := kc.Resolve()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256 // as client's own transport, for workers' requests in flight
	if ca := res.Cluster.CertificateAuthorityData; len(ca) > 0 || res.Cluster.InsecureSkipTLSVerify {
		tc := &tls.Config{InsecureSkipVerify: res.Cluster.InsecureSkipTLSVerify}
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, errors.New("load certificate-authority-data of context " + strconv.Quote(res.Context) + ": no PEM certificate")
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	return client.New(client.Config{
		Server: res.Cluster.Server, Token: res.Token, QPS: qps, Burst: burst,
		HTTPClient: &http.Client{Transport: wrap(tr)},
	})
}
