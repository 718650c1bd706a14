package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
	"github.com/minik8s/minik8s/election/redislock"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/replica"
	"github.com/minik8s/minik8s/scheduler"
)

// SchedulerConfig configures the scheduler role.
type SchedulerConfig struct {
	scheduler.Config `yaml:",inline"`
	// Replicas is how many independent replicas one process runs.
	Replicas int `yaml:"replicas"`
	// Port serves /healthz, /metrics and /replicas on 127.0.0.1; 0: off.
	Port int `yaml:"port"`
	// KubeAPIQPS and KubeAPIBurst rate-limit each replica's API client.
	KubeAPIQPS   float32 `yaml:"kubeAPIQPS"`
	KubeAPIBurst int     `yaml:"kubeAPIBurst"`
}

// DefaultSchedulerConfig returns the scheduler's defaults: one replica on
// port 10259, with a client allowed 2000 requests per second (burst 4000)
// so that binding is not throttled on the client.
func DefaultSchedulerConfig() SchedulerConfig {
	return SchedulerConfig{
		Config:       scheduler.DefaultConfig(),
		Replicas:     1,
		Port:         10259,
		KubeAPIQPS:   2000,
		KubeAPIBurst: 4000,
	}
}

// LeaderElectionConfig configures the election of leader-elected roles.
type LeaderElectionConfig struct {
	// LeaderElect turns election on; without it every replica acts.
	LeaderElect bool `yaml:"leaderElect"`
	// Backend is "lease" (Lease objects through the API server) or "redis"
	// (a key in the Redis of Config.Redis).
	Backend string `yaml:"backend"`
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's.
	LeaseDuration time.Duration `yaml:"leaseDuration"`
	RenewDeadline time.Duration `yaml:"renewDeadline"`
	RetryPeriod   time.Duration `yaml:"retryPeriod"`
}

// DefaultLeaderElectionConfig returns election on, with Lease objects and
// client-go's durations (15s, 10s, 2s).
func DefaultLeaderElectionConfig() LeaderElectionConfig {
	d := election.DefaultConfig()
	return LeaderElectionConfig{
		LeaderElect:   true,
		Backend:       "lease",
		LeaseDuration: d.LeaseDuration,
		RenewDeadline: d.RenewDeadline,
		RetryPeriod:   d.RetryPeriod,
	}
}

// electionConfig is the elector configuration of identity.
func (c LeaderElectionConfig) electionConfig(identity string) election.Config {
	return election.Config{
		Identity:      identity,
		LeaseDuration: c.LeaseDuration,
		RenewDeadline: c.RenewDeadline,
		RetryPeriod:   c.RetryPeriod,
	}
}

// validateScheduler checks the scheduler's and the election's settings.
func (c *Config) validateScheduler() error {
	le := c.LeaderElection
	switch le.Backend {
	case "lease":
	case "redis":
		if le.LeaderElect && c.Redis == "" {
			return errors.New("--leader-elect-backend redis needs --redis redis://HOST:PORT/DB")
		}
	default:
		return fmt.Errorf("--leader-elect-backend %q must be lease or redis", le.Backend)
	}
	if err := le.electionConfig("x").Validate(); err != nil {
		return fmt.Errorf("--leader-elect-*: %w", err)
	}
	s := c.Scheduler
	if s.Replicas < 1 {
		return fmt.Errorf("--replicas %d must be at least 1", s.Replicas)
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("--port %d must be 0 (off) to 65535", s.Port)
	}
	if s.KubeAPIBurst < 0 {
		return fmt.Errorf("--kube-api-burst %d must not be negative", s.KubeAPIBurst)
	}
	return s.Config.Validate()
}

// ClientKubeconfig is the kubeconfig components use: Kubeconfig, or the
// admin kubeconfig in DataDir.
func (c *Config) ClientKubeconfig() string {
	if c.Kubeconfig != "" {
		return c.Kubeconfig
	}
	return c.KubeconfigPath()
}

// Names of the scheduler's lock.
const (
	schedulerLeaseNamespace = "kube-system"
	schedulerLeaseName      = "kube-scheduler"
	schedulerRedisKey       = "minik8s/leader/kube-scheduler"
)

// NewSchedulers builds n scheduler replicas, each with its own API client,
// informers, event recorder and identity (<hostname>_<pid>_<i>), elected
// through cfg.LeaderElection, and, unless cfg.Scheduler.Port is 0, the
// scheduler's HTTP port (listening when NewSchedulers returns). It returns
// the functions to run; they stop when their context ends. It reads the
// kubeconfig, so the API server must have written it.
func NewSchedulers(cfg Config, n int, log zerolog.Logger) ([]func(context.Context) error, error) {
	if n < 1 {
		return nil, fmt.Errorf("scheduler replicas %d: want at least 1", n)
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
		identity := host + "_" + strconv.Itoa(os.Getpid()) + "_" + strconv.Itoa(i)
		rlog := log.With().Str("component", "scheduler").Str("replica", identity).Logger()
		r, closer, err := newSchedulerReplica(cfg, i, identity, host, reg, rlog)
		if err != nil {
			return fail(fmt.Errorf("scheduler replica %d: %w", i, err))
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
	if cfg.Scheduler.Port != 0 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Scheduler.Port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("scheduler port: listen on %s: %w (pass --port with a free port, or 0 to turn it off)", addr, err))
		}
		slog := log.With().Str("component", "scheduler").Logger()
		slog.Info().Str("addr", ln.Addr().String()).Msg("serving /healthz, /metrics and /replicas")
		fns = append(fns, replica.NewServer(ln, replicas, reg, slog).Run)
	}
	return fns, nil
}

// newSchedulerReplica wires one replica; closer, if not nil, releases what
// it opened (a Redis connection).
func newSchedulerReplica(cfg Config, i int, identity, host string, reg prometheus.Registerer, log zerolog.Logger) (*replica.Replica, func() error, error) {
	sc := cfg.Scheduler
	c, err := client.FromKubeconfig(cfg.ClientKubeconfig(), sc.KubeAPIQPS, sc.KubeAPIBurst)
	if err != nil {
		return nil, nil, fmt.Errorf("build API client: %w", err)
	}
	r := replica.New(i, identity, log)
	rec := events.New(events.ClientSink(c), events.Config{
		Source: api.DefaultSchedulerName, Host: host, Instance: identity,
	}, log.With().Str("events", "recorder").Logger())
	w := scheduler.NewAPIWriter(c)
	s, err := scheduler.New(sc.Config, scheduler.Deps{
		Pods:       client.ListWatch(c.Pods(""), client.ListOptions{Limit: 500}),
		Nodes:      client.ListWatch(c.Nodes(), client.ListOptions{Limit: 500}),
		Binder:     w,
		Status:     w,
		Events:     rec,
		Gate:       r.Gate,
		Identity:   identity,
		Registerer: reg,
	}, log)
	if err != nil {
		return nil, nil, err
	}
	le := cfg.LeaderElection
	if !le.LeaderElect {
		r.Attach(s.Lead, nil, s.Run, rec.Run)
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
		lock, closer = redislock.New(rdb, schedulerRedisKey, le.LeaseDuration), rdb.Close
	default:
		lock = leaselock.New(c.Leases(schedulerLeaseNamespace), schedulerLeaseName, le.LeaseDuration, leaselock.Options{
			IsNotFound: client.IsNotFound,
			IsConflict: func(err error) bool { return client.IsConflict(err) || client.IsAlreadyExists(err) },
		})
	}
	el, err := election.New(r.Hold().Lock(lock), le.electionConfig(identity), log, election.Options{
		Component: "scheduler", Registerer: reg,
	})
	if err != nil {
		if closer != nil {
			_ = closer()
		}
		return nil, nil, err
	}
	r.Attach(s.Lead, el, s.Run, rec.Run)
	return r, closer, nil
}
