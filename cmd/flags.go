package cmd

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
)

// Flags shared by the roles that talk to the API server. Each is applied
// to the configuration only when set (defaults come from app.Default and
// config.yaml), so their Value is only what --help shows.

// clientFlags say how to reach the API server; qps and burst are the
// role's defaults, shown in --help.
func clientFlags(qps float32, burst int) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig to reach the API server (default <data-dir>/kubeconfig)", EnvVars: []string{"MINIK8S_KUBECONFIG"}},
		&cli.Float64Flag{Name: "kube-api-qps", Value: float64(qps), Usage: "requests per second to the API server, per replica"},
		&cli.IntFlag{Name: "kube-api-burst", Value: burst, Usage: "request burst to the API server, per replica"},
	}
}

// electionFlags configure leader election.
func electionFlags() []cli.Flag {
	d := app.DefaultLeaderElectionConfig()
	return []cli.Flag{
		&cli.BoolFlag{Name: "leader-elect", Value: d.LeaderElect, Usage: "elect a leader among the replicas; only it acts"},
		&cli.StringFlag{Name: "leader-elect-backend", Value: d.Backend, Usage: "lease (Lease objects through the API server) or redis (needs --redis)"},
		&cli.DurationFlag{Name: "leader-elect-lease-duration", Value: d.LeaseDuration, Usage: "how long a standby waits for a leader that stopped renewing"},
		&cli.DurationFlag{Name: "leader-elect-renew-deadline", Value: d.RenewDeadline, Usage: "how long a leader tries to renew before it stops acting"},
		&cli.DurationFlag{Name: "leader-elect-retry-period", Value: d.RetryPeriod, Usage: "interval between renewals and between attempts to acquire"},
	}
}

// redisFlag is --redis for roles that use Redis only for leader election.
func redisFlag() cli.Flag {
	return &cli.StringFlag{Name: "redis", Usage: "Redis for --leader-elect-backend redis: redis://HOST:PORT/DB", EnvVars: []string{"MINIK8S_REDIS"}}
}

// applyClientFlags sets the kubeconfig, and qps and burst, from the flags
// that are set.
func applyClientFlags(c *cli.Context, cfg *app.Config, qps *float32, burst *int) {
	if c.IsSet("kubeconfig") {
		cfg.Kubeconfig = c.String("kubeconfig")
	}
	if c.IsSet("kube-api-qps") {
		*qps = float32(c.Float64("kube-api-qps"))
	}
	if c.IsSet("kube-api-burst") {
		*burst = c.Int("kube-api-burst")
	}
}

// applyElectionFlags sets cfg.LeaderElection from the flags that are set.
func applyElectionFlags(c *cli.Context, cfg *app.Config) {
	le := &cfg.LeaderElection
	if c.IsSet("leader-elect") {
		le.LeaderElect = c.Bool("leader-elect")
	}
	if c.IsSet("leader-elect-backend") {
		le.Backend = c.String("leader-elect-backend")
	}
	setDuration(c, "leader-elect-lease-duration", &le.LeaseDuration)
	setDuration(c, "leader-elect-renew-deadline", &le.RenewDeadline)
	setDuration(c, "leader-elect-retry-period", &le.RetryPeriod)
}

func setDuration(c *cli.Context, name string, dst *time.Duration) {
	if c.IsSet(name) {
		*dst = c.Duration(name)
	}
}
