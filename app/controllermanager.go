package app

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
	"github.com/minik8s/minik8s/election/redislock"
)

// ControllerManagerConfig configures the controller-manager role.
type ControllerManagerConfig struct {
	controllers.Config `yaml:",inline"`
	// Replicas is how many independent replicas one process runs.
	Replicas int `yaml:"replicas"`
	// KubeAPIQPS and KubeAPIBurst rate-limit each replica's API client.
	KubeAPIQPS   float32 `yaml:"kubeAPIQPS"`
	KubeAPIBurst int     `yaml:"kubeAPIBurst"`
}

// DefaultControllerManagerConfig returns the controller manager's
// defaults: one replica, kube-controller-manager's worker counts and node
// monitoring periods, and a client allowed 200 requests per second (burst
// 400).
func DefaultControllerManagerConfig() ControllerManagerConfig {
	return ControllerManagerConfig{
		Config:       controllers.DefaultConfig(),
		Replicas:     1,
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
// Redis key). It returns the functions to run; they stop when their
// context ends. It reads the kubeconfig, so the API server must have
// written it.
func NewControllerManagers(cfg Config, n int, log zerolog.Logger) ([]func(context.Context) error, error) {
	if n < 1 {
		return nil, fmt.Errorf("controller manager replicas %d: want at least 1", n)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var (
		fns     []func(context.Context) error
		closers []func() error
	)
	for i := range n {
		identity := host + "_" + strconv.Itoa(os.Getpid()) + "_cm" + strconv.Itoa(i)
		rlog := log.With().Str("component", "controller-manager").Str("replica", identity).Logger()
		run, closer, err := newControllerManagerReplica(cfg, identity, host, rlog)
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
			return nil, fmt.Errorf("controller manager replica %d: %w", i, err)
		}
		if closer != nil {
			closers = append(closers, closer)
		}
		fns = append(fns, run)
	}
	return fns, nil
}

// newControllerManagerReplica wires one replica; closer, if not nil,
// releases what it opened (a Redis connection) and is also called when run
// returns.
func newControllerManagerReplica(cfg Config, identity, host string, log zerolog.Logger) (run func(context.Context) error, closer func() error, err error) {
	cm := cfg.ControllerManager
	c, err := client.FromKubeconfig(cfg.ClientKubeconfig(), cm.KubeAPIQPS, cm.KubeAPIBurst)
	if err != nil {
		return nil, nil, fmt.Errorf("build API client: %w", err)
	}
	m, err := controllers.NewManager(cm.Config, c, identity, host, log)
	if err != nil {
		return nil, nil, err
	}
	le := cfg.LeaderElection
	if !le.LeaderElect {
		return m.Run, nil, nil
	}
	var lock election.Lock
	switch le.Backend {
	case "redis":
		opt, err := redis.ParseURL(cfg.Redis)
		if err != nil {
			return nil, nil, fmt.Errorf("parse --redis: %w", err)
		}
		rdb := redis.NewClient(opt)
		lock, closer = redislock.New(rdb, controllerManagerRedisKey, le.LeaseDuration), rdb.Close
	default:
		lock = leaselock.New(c.Leases(controllerManagerLeaseNamespace), controllerManagerLeaseName, le.LeaseDuration, leaselock.Options{
			IsNotFound: client.IsNotFound,
			IsConflict: func(err error) bool { return client.IsConflict(err) || client.IsAlreadyExists(err) },
		})
	}
	el, err := election.New(lock, le.electionConfig(identity), log, election.Options{Component: "controller-manager"})
	if err != nil {
		if closer != nil {
			_ = closer()
		}
		return nil, nil, err
	}
	run = func(ctx context.Context) error {
		if closer != nil {
			defer closer()
		}
		return el.Run(ctx, m.Run)
	}
	return run, closer, nil
}
