package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election"
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

// NewSchedulers builds n scheduler replicas, each with its own API client,
// informers, event recorder and identity (<hostname>_<pid>_<i>), elected
// through cfg.LeaderElection (the Lease kube-system/kube-scheduler, or a
// Redis key), and, unless cfg.Scheduler.Port is 0, the scheduler's HTTP
// port (listening when NewSchedulers returns). Every replica keeps its
// caches warm; only the leader schedules. It returns the functions to run;
// they stop when their context ends. It reads the kubeconfig, so the API
// server must have written it.
func NewSchedulers(cfg Config, n int, log zerolog.Logger) ([]func(context.Context) error, error) {
	sc := cfg.Scheduler
	return newElectedReplicas(cfg, n, electedRole{
		component: "scheduler",
		leaseName: "kube-scheduler",
		port:      sc.Port,
		build: func(r *replica.Replica, identity, host string, reg prometheus.Registerer, log zerolog.Logger) (func(context.Context) error, []func(context.Context) error, *client.Client, error) {
			kcPath, err := cfg.ComponentKubeconfig(log, authn.SchedulerUser)
			if err != nil {
				return nil, nil, nil, err
			}
			c, err := client.FromKubeconfig(kcPath, sc.KubeAPIQPS, sc.KubeAPIBurst)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("build API client: %w", err)
			}
			c = c.WithUserAgent(client.UserAgent("kube-scheduler"))
			rec := events.New(events.ClientSink(c), events.Config{
				Source: api.DefaultSchedulerName, Host: host, Instance: identity,
			}, log.With().Str("events", "recorder").Logger())
			w := scheduler.NewAPIWriter(c)
			s, err := scheduler.New(sc.Config, scheduler.Deps{
				Pods:                 client.ListWatch(c.Pods(""), client.ListOptions{Limit: 500}),
				Nodes:                client.ListWatch(c.Nodes(), client.ListOptions{Limit: 500}),
				Namespaces:           client.ListWatch(c.Namespaces(), client.ListOptions{Limit: 500}),
				PodDisruptionBudgets: client.ListWatch(c.PodDisruptionBudgets(""), client.ListOptions{Limit: 500}),
				Services:             client.ListWatch(c.Services(""), client.ListOptions{Limit: 500}),
				Binder:               w,
				Decisions:            w,
				Preempter:            w,
				Status:               w,
				Events:               rec,
				Gate:                 r.Gate,
				Identity:             identity,
				Registerer:           reg,
			}, log)
			if err != nil {
				return nil, nil, nil, err
			}
			return s.Lead, []func(context.Context) error{s.Run, rec.Run}, c, nil
		},
	}, log)
}
