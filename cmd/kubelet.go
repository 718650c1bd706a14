package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
)

// kubeletCommand is `minik8s kubelet`.
func kubeletCommand() *cli.Command {
	d := app.DefaultKubeletConfig()
	flags := []cli.Flag{
		&cli.StringFlag{Name: "node-name", Usage: "name of the node (with --sim-nodes K: NAME-1 … NAME-K)", DefaultText: "the host name"},
		&cli.StringFlag{Name: "runtime", Value: d.Runtime, Usage: "container runtime: docker, sim (simulated), or auto (docker when its engine answers)"},
		&cli.IntFlag{Name: "sim-nodes", Value: 1, Usage: "nodes this process runs (one informer, queue and heartbeat loop for all)"},
		&cli.StringFlag{Name: "address", Value: d.Address, Usage: "address of the log server, published as the node's InternalIP"},
		&cli.IntFlag{Name: "port", Value: d.Port, Usage: "port of the log server (the API server proxies kubectl logs to it; 0: any free port)"},
		&cli.IntFlag{Name: "max-pods", Value: d.MaxPods, Usage: "pods capacity of each node"},
		&cli.DurationFlag{Name: "node-lease-renew-interval", Value: d.NodeLeaseRenewInterval, Usage: "how often each node's Lease is renewed"},
		&cli.DurationFlag{Name: "node-status-update-interval", Value: d.NodeStatusUpdateInterval, Usage: "how often each node's status is computed (written when it changed)"},
		&cli.DurationFlag{Name: "node-status-report-frequency", Value: d.NodeStatusReportFrequency, Usage: "how often each node's status is written when it did not change"},
		&cli.StringFlag{Name: "sim-cpu", Value: d.Sim.CPU, Usage: "cpu capacity of each simulated node"},
		&cli.StringFlag{Name: "sim-memory", Value: d.Sim.Memory, Usage: "memory capacity of each simulated node"},
		&cli.DurationFlag{Name: "sim-start-delay", Value: d.Sim.StartDelay, Usage: "how long a simulated container takes to start (plus up to --sim-start-jitter)"},
		&cli.DurationFlag{Name: "sim-start-jitter", Value: d.Sim.StartJitter, Usage: "random extra start delay of simulated containers"},
		&cli.StringFlag{Name: "docker-host", Usage: "Docker engine address", DefaultText: "$DOCKER_HOST or unix:///var/run/docker.sock"},
		&cli.IntFlag{Name: "zones", Value: d.Zones, Usage: "spread the nodes over N zones (labels topology.kubernetes.io/zone and region; 0: none)"},
		&cli.StringFlag{Name: "region", Value: d.Region, Usage: "region of the zones (--zones)"},
	}
	flags = append(flags, clientFlags(d.KubeAPIQPS, d.KubeAPIBurst)...)
	return &cli.Command{
		Name:   "kubelet",
		Usage:  "run a node agent (or many simulated ones with --sim-nodes K)",
		Flags:  flags,
		Action: runKubelet,
	}
}

func runKubelet(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	kc := cfg.Kubelet
	applyClientFlags(c, &cfg, &kc.KubeAPIQPS, &kc.KubeAPIBurst)
	str := func(name string, dst *string) {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	str("node-name", &kc.NodeName)
	str("runtime", &kc.Runtime)
	str("address", &kc.Address)
	str("sim-cpu", &kc.Sim.CPU)
	str("sim-memory", &kc.Sim.Memory)
	str("docker-host", &kc.Docker.Host)
	str("region", &kc.Region)
	if c.IsSet("zones") {
		kc.Zones = c.Int("zones")
	}
	if c.IsSet("port") {
		kc.Port = c.Int("port")
	}
	if c.IsSet("max-pods") {
		kc.MaxPods = c.Int("max-pods")
	}
	setDuration(c, "node-lease-renew-interval", &kc.NodeLeaseRenewInterval)
	setDuration(c, "node-status-update-interval", &kc.NodeStatusUpdateInterval)
	setDuration(c, "node-status-report-frequency", &kc.NodeStatusReportFrequency)
	setDuration(c, "sim-start-delay", &kc.Sim.StartDelay)
	setDuration(c, "sim-start-jitter", &kc.Sim.StartJitter)
	log := setUp(cfg)
	fns, picked, err := app.NewKubelets(c.Context, cfg, kc, c.Int("sim-nodes"), log)
	if err != nil {
		return err
	}
	log.Info().Str("runtime", picked.Why).Str("services", picked.Proxy).Int("nodes", c.Int("sim-nodes")).Str("kubeconfig", cfg.ClientKubeconfig()).Msg("kubelet started")
	return run(c.Context, fns...)
}
