package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
)

// controllerManagerCommand is `minik8s controller-manager`.
func controllerManagerCommand() *cli.Command {
	d := app.DefaultControllerManagerConfig()
	flags := []cli.Flag{
		&cli.IntFlag{Name: "replicas", Value: d.Replicas, Usage: "independent controller-manager replicas in this process (only the leader acts)"},
		&cli.IntFlag{Name: "port", Value: d.Port, Usage: "port on 127.0.0.1 for /healthz, /metrics and /replicas (0: off)"},
		&cli.IntFlag{Name: "concurrent-replicaset-syncs", Value: d.ConcurrentReplicaSetSyncs, Usage: "replica sets reconciled at once"},
		&cli.IntFlag{Name: "concurrent-deployment-syncs", Value: d.ConcurrentDeploymentSyncs, Usage: "deployments reconciled at once"},
		&cli.IntFlag{Name: "concurrent-gc-syncs", Value: d.ConcurrentGCSyncs, Usage: "objects the garbage collector handles at once"},
		&cli.IntFlag{Name: "concurrent-namespace-syncs", Value: d.ConcurrentNamespaceSyncs, Usage: "namespaces emptied at once"},
		&cli.DurationFlag{Name: "node-monitor-period", Value: d.NodeMonitorPeriod, Usage: "how often node heartbeats are checked"},
		&cli.DurationFlag{Name: "node-monitor-grace-period", Value: d.NodeMonitorGracePeriod, Usage: "how long a node may be silent before it is marked Unknown and tainted unreachable"},
		redisFlag(),
	}
	flags = append(flags, clientFlags(d.KubeAPIQPS, d.KubeAPIBurst)...)
	flags = append(flags, electionFlags()...)
	return &cli.Command{
		Name:   "controller-manager",
		Usage:  "run the controllers: ReplicaSet, Deployment, node lifecycle, garbage collector, namespace (leader-elected)",
		Flags:  flags,
		Action: runControllerManager,
	}
}

func runControllerManager(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	if err := applyControllerManagerFlags(c, &cfg); err != nil {
		return err
	}
	log := setUp(cfg)
	cm := cfg.ControllerManager
	fns, err := app.NewControllerManagers(cfg, cm.Replicas, log)
	if err != nil {
		return err
	}
	log.Info().Int("replicas", cm.Replicas).Str("kubeconfig", cfg.ClientKubeconfig()).
		Bool("leaderElect", cfg.LeaderElection.LeaderElect).Str("backend", cfg.LeaderElection.Backend).
		Msg("controller manager started")
	return run(c.Context, fns...)
}

// applyControllerManagerFlags applies the controller manager's own flags,
// then validates again.
func applyControllerManagerFlags(c *cli.Context, cfg *app.Config) error {
	cm := &cfg.ControllerManager
	applyClientFlags(c, cfg, &cm.KubeAPIQPS, &cm.KubeAPIBurst)
	applyElectionFlags(c, cfg)
	for name, dst := range map[string]*int{
		"replicas":                    &cm.Replicas,
		"port":                        &cm.Port,
		"concurrent-replicaset-syncs": &cm.ConcurrentReplicaSetSyncs,
		"concurrent-deployment-syncs": &cm.ConcurrentDeploymentSyncs,
		"concurrent-gc-syncs":         &cm.ConcurrentGCSyncs,
		"concurrent-namespace-syncs":  &cm.ConcurrentNamespaceSyncs,
	} {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	setDuration(c, "node-monitor-period", &cm.NodeMonitorPeriod)
	setDuration(c, "node-monitor-grace-period", &cm.NodeMonitorGracePeriod)
	return cfg.Validate()
}
