package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/dashboard"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/version"
)

// allCommand is `minik8s all`: every component in one process, talking to
// each other only over loopback HTTP.
func allCommand() *cli.Command {
	d := app.Default() // the flags' Value is only what --help shows
	return &cli.Command{
		Name:  "all",
		Usage: "run the API server, scheduler, controller manager and node agents in one process",
		Flags: append(append(serverFlags(), dashboardFlags(true)...),
			&cli.IntFlag{Name: "nodes", Value: 3, Usage: "node agents (kubelets) to run", EnvVars: []string{"MINIK8S_NODES"}},
			&cli.StringFlag{Name: "runtime", Value: d.Kubelet.Runtime, Usage: "container runtime of the nodes: docker, sim, or auto (Docker when its engine answers); config kubelet.runtime", EnvVars: []string{"MINIK8S_RUNTIME"}},
			&cli.IntFlag{Name: "scheduler-replicas", Value: d.Scheduler.Replicas, Usage: "scheduler replicas (one leads); config scheduler.replicas", EnvVars: []string{"MINIK8S_SCHEDULER_REPLICAS"}},
			&cli.IntFlag{Name: "controller-manager-replicas", Value: d.ControllerManager.Replicas, Usage: "controller manager replicas (one leads); config controllerManager.replicas", EnvVars: []string{"MINIK8S_CONTROLLER_MANAGER_REPLICAS"}},
			&cli.IntFlag{Name: "zones", Value: d.Kubelet.Zones, Usage: "spread the nodes over N zones (topology.kubernetes.io/zone and region labels; 0: none); config kubelet.zones", EnvVars: []string{"MINIK8S_ZONES"}},
			&cli.BoolFlag{Name: "scheduler-decisions", Usage: "publish each scheduling decision on its pod (annotation scheduler.minik8s.io/decision); config scheduler.decisions", EnvVars: []string{"MINIK8S_SCHEDULER_DECISIONS"}},
			&cli.IntFlag{Name: "scheduler-port", Value: 0, Usage: "port of the scheduler's /healthz, /metrics and /replicas (0: off; config scheduler.port is for `minik8s scheduler`)", EnvVars: []string{"MINIK8S_SCHEDULER_PORT"}},
			&cli.IntFlag{Name: "controller-manager-port", Value: 0, Usage: "port of the controller manager's /healthz, /metrics and /replicas (0: off; config controllerManager.port is for `minik8s controller-manager`)", EnvVars: []string{"MINIK8S_CONTROLLER_MANAGER_PORT"}},
		),
		Action: runAll,
	}
}

// stage is a group of components started together and stopped together.
type stage struct {
	name string
	fns  []func(context.Context) error
}

// allConfig builds the configuration of `all` with the usual precedence,
// DefaultConfig < config.yaml < MINIK8S_* environment < flags, for every
// flag: a flag (or its environment variable) overrides the configuration
// only when it is set. Two exceptions keep several clusters apart on one
// machine: the scheduler's and controller manager's ports are off unless
// --scheduler-port or --controller-manager-port asks (config.yaml's
// scheduler.port and controllerManager.port are for their own
// subcommands), and each node agent serves logs on a free port (published
// in its Node).
func allConfig(c *cli.Context) (cfg app.Config, nodes int, err error) {
	cfg, err = loadConfig(c)
	if err != nil {
		return cfg, 0, err
	}
	nodes = c.Int("nodes")
	if nodes < 1 {
		return cfg, 0, fmt.Errorf("--nodes %d must be at least 1", nodes)
	}
	if c.IsSet("runtime") {
		cfg.Kubelet.Runtime = c.String("runtime")
	}
	if c.IsSet("scheduler-decisions") {
		cfg.Scheduler.Decisions = c.Bool("scheduler-decisions")
	}
	for name, dst := range map[string]*int{
		"scheduler-replicas":          &cfg.Scheduler.Replicas,
		"controller-manager-replicas": &cfg.ControllerManager.Replicas,
		"zones":                       &cfg.Kubelet.Zones,
	} {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	cfg.Scheduler.Port = c.Int("scheduler-port")
	cfg.ControllerManager.Port = c.Int("controller-manager-port")
	cfg.Kubelet.Port = 0
	if err := cfg.Validate(); err != nil {
		return cfg, 0, err
	}
	if err := cfg.Kubelet.Validate(); err != nil {
		return cfg, 0, err
	}
	return cfg, nodes, nil
}

func runAll(c *cli.Context) error {
	start := time.Now()
	cfg, nodes, err := allConfig(c)
	if err != nil {
		return err
	}
	log := setUp(cfg)
	ctx := c.Context

	api, err := app.NewAPIServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	scheds, err := app.NewSchedulers(cfg, cfg.Scheduler.Replicas, log)
	if err != nil {
		return err
	}
	cms, err := app.NewControllerManagers(cfg, cfg.ControllerManager.Replicas, log)
	if err != nil {
		return err
	}
	kubelets, picked, err := app.NewKubelets(ctx, cfg, cfg.Kubelet, nodes, log)
	if err != nil {
		return err
	}

	var dash *dashboard.Server
	if c.Bool("dashboard") {
		if dash, err = newDashboard(c, cfg, log); err != nil {
			return err
		}
	}

	w := c.App.Writer
	fmt.Fprintf(w, "minik8s %s: a Kubernetes control plane in one process\n", version.Version)
	fmt.Fprintf(w, "  API server          %s\n", api.URL)
	fmt.Fprintf(w, "  store, watch        %s\n", api.Backends)
	fmt.Fprintf(w, "  scheduler           %d replica(s), leader-elected (%s)\n", cfg.Scheduler.Replicas, cfg.LeaderElection.Backend)
	fmt.Fprintf(w, "  controller manager  %d replica(s): replicaset, deployment, node lifecycle, gc, namespace, disruption, job, cronjob, horizontal pod autoscaler, pod gc, daemonset, statefulset\n", cfg.ControllerManager.Replicas)
	fmt.Fprintf(w, "  node agents         %d, %s\n", nodes, picked.Why)
	fmt.Fprintf(w, "  Services' traffic   %s\n", picked.Proxy)
	fmt.Fprintf(w, "  data dir            %s\n", absPath(cfg.DataDir))
	fmt.Fprintf(w, "  kubeconfig          %s\n", absPath(api.Kubeconfig))
	if dash != nil {
		fmt.Fprintf(w, "  dashboard           %s (the link works once)\n", dash.LoginURL())
	}
	fmt.Fprintln(w)

	stages := []stage{
		{"API server", []func(context.Context) error{api.Run}},
		{"dashboard", dashboardRun(dash)},
		{"scheduler", scheds},
		{"controller manager", cms},
		{"node agents", kubelets},
	}
	// waitReady stops when the components stop, whether Ctrl-C or a
	// failure stopped them.
	wctx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		if !waitReady(wctx, w, api.Kubeconfig, nodes, start) {
			return
		}
		fmt.Fprintf(w, "\nTry:\n  export KUBECONFIG=%s\n  kubectl get nodes\n  kubectl create deployment web --image=%s --replicas=3\n  kubectl get pods -o wide\n  kubectl logs deployment/web\n\nCtrl-C stops every component.\n", absPath(api.Kubeconfig), picked.DemoImage)
	}()
	err = runStages(ctx, stages, log)
	stopWait()
	<-ready
	if picked.Name == app.RuntimeDocker {
		printContainersLeft(w, cfg.DataDir)
	}
	return err
}

// printContainersLeft tells the user of a stopped Docker cluster what is
// still running and how to remove it.
func printContainersLeft(w io.Writer, dataDir string) {
	fmt.Fprintf(w, "\nThe pods' containers are left running in Docker, as a stopped kubelet leaves them;\n"+
		"minik8s all on the same data dir takes them over again. To remove them and the data dir:\n"+
		"  %s reset --data-dir %s\n", os.Args[0], absPath(dataDir))
}

// waitReady prints progress until nodes nodes are Ready, then how long the
// cluster took to come up, and reports true. It gives up quietly when ctx
// ends, and reports false. It lists the nodes once and then watches them:
// listing every node many times a second would cost the API server in
// proportion to the cluster while the nodes register.
func waitReady(ctx context.Context, w io.Writer, kubeconfig string, nodes int, start time.Time) bool {
	c, err := client.FromKubeconfig(kubeconfig, 50, 100)
	if err != nil {
		return false
	}
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	inf := informer.New(client.ListWatch(c.Nodes(), client.ListOptions{Limit: 500}), 0)
	inf.AddHandler(informer.HandlerFuncs[*api.Node]{
		AddFunc:    func(*api.Node) { signal() },
		UpdateFunc: func(_, _ *api.Node) { signal() },
		DeleteFunc: func(*api.Node) { signal() },
	})
	ictx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = inf.Run(ictx) }()
	defer func() { stop(); <-done }()
	last := -1
	for {
		readyN := 0
		for _, n := range inf.List() {
			if api.IsNodeReady(n) {
				readyN++
			}
		}
		if readyN != last {
			fmt.Fprintf(w, "waiting for nodes: %d/%d Ready\n", readyN, nodes)
			last = readyN
		}
		if readyN >= nodes {
			fmt.Fprintf(w, "cluster ready in %.2fs\n", time.Since(start).Seconds())
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
		// At most one progress line per 50 ms, however many nodes change.
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runStages starts the stages in order and runs them until ctx ends or a
// component fails; then it stops them in reverse order — node agents
// first, the API server last — each stage finishing before the next one
// is told to stop, so that nothing is cut off mid-write.
func runStages(ctx context.Context, stages []stage, log zerolog.Logger) error {
	type running struct {
		name   string
		cancel context.CancelFunc
		done   chan struct{}
	}
	failed := make(chan error, 1)
	var started []running
	for _, st := range stages {
		sctx, cancel := context.WithCancel(context.Background())
		r := running{name: st.name, cancel: cancel, done: make(chan struct{})}
		var wg sync.WaitGroup
		for _, fn := range st.fns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(sctx); err != nil && !errors.Is(err, context.Canceled) && sctx.Err() == nil {
					select {
					case failed <- fmt.Errorf("%s: %w", st.name, app.OneLine(err)):
					default:
					}
				}
			}()
		}
		go func() { wg.Wait(); close(r.done) }()
		started = append(started, r)
	}
	var err error
	select {
	case <-ctx.Done():
		log.Info().Msg("stopping: node agents, controllers, scheduler, dashboard, then the API server")
	case err = <-failed:
	}
	for i := len(started) - 1; i >= 0; i-- {
		r := started[i]
		r.cancel()
		select {
		case <-r.done:
			log.Info().Str("component", r.name).Msg("stopped")
		case <-time.After(15 * time.Second):
			log.Warn().Str("component", r.name).Msg("did not stop within 15s")
		}
	}
	return err
}

func dashboardRun(d *dashboard.Server) []func(context.Context) error {
	if d == nil {
		return nil
	}
	return []func(context.Context) error{d.Run}
}
