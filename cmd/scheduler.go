package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
)

// schedulerCommand is `minik8s scheduler`.
func schedulerCommand() *cli.Command {
	d := app.DefaultSchedulerConfig()
	flags := []cli.Flag{
		&cli.IntFlag{Name: "replicas", Value: d.Replicas, Usage: "independent scheduler replicas in this process (only the leader schedules)"},
		&cli.IntFlag{Name: "port", Value: d.Port, Usage: "port on 127.0.0.1 for /healthz, /metrics and /replicas (0: off)"},
		&cli.BoolFlag{Name: "decisions", Usage: "publish each scheduling decision on its pod (annotation scheduler.minik8s.io/decision)"},
		redisFlag(),
	}
	flags = append(flags, clientFlags(d.KubeAPIQPS, d.KubeAPIBurst)...)
	flags = append(flags, electionFlags()...)
	return &cli.Command{
		Name:   "scheduler",
		Usage:  "run the scheduler (several replicas with --replicas N, leader-elected)",
		Flags:  flags,
		Action: runScheduler,
	}
}

func runScheduler(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	if err := applySchedulerFlags(c, &cfg); err != nil {
		return err
	}
	log := setUp(cfg)
	fns, err := app.NewSchedulers(cfg, cfg.Scheduler.Replicas, log)
	if err != nil {
		return err
	}
	log.Info().Int("replicas", cfg.Scheduler.Replicas).Str("kubeconfig", cfg.ClientKubeconfig()).
		Bool("leaderElect", cfg.LeaderElection.LeaderElect).Str("backend", cfg.LeaderElection.Backend).
		Msg("scheduler started")
	return run(c.Context, fns...)
}

// applySchedulerFlags applies the scheduler's own flags, then validates
// again.
func applySchedulerFlags(c *cli.Context, cfg *app.Config) error {
	applyClientFlags(c, cfg, &cfg.Scheduler.KubeAPIQPS, &cfg.Scheduler.KubeAPIBurst)
	applyElectionFlags(c, cfg)
	if c.IsSet("replicas") {
		cfg.Scheduler.Replicas = c.Int("replicas")
	}
	if c.IsSet("port") {
		cfg.Scheduler.Port = c.Int("port")
	}
	if c.IsSet("decisions") {
		cfg.Scheduler.Decisions = c.Bool("decisions")
	}
	return cfg.Validate()
}
