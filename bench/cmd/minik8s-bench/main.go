// Command minik8s-bench runs the benchmark scenarios of package bench
// against the minik8s binary and prints one table of figures and targets
// (make bench). Run it with --list to see the scenarios.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minik8s/minik8s/bench"
)

func main() {
	if err := run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "minik8s-bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("minik8s-bench", flag.ContinueOnError)
	var (
		opt     bench.Options
		only    = fs.String("only", "", "comma-separated scenarios to run (default: all; see --list)")
		list    = fs.Bool("list", false, "list the scenarios and exit")
		quick   = fs.Bool("quick", false, "a short smoke run with small counts: shows every step works, figures mean little")
		creates = fs.Int("creates", 0, "objects created and updated per run (default 3000, 100 with --quick)")
		clients = fs.String("clients", "", "comma-separated concurrent client counts (default 1,8)")
		events  = fs.Int("watch-events", 0, "creates timed through a watch (default 2000, 50 with --quick)")
		rate    = fs.Float64("watch-rate", 0, "creates per second while timing the watch (default 200)")
		pgbench = fs.Duration("pgbench-duration", 0, "length of each pgbench run (default 10s, 2s with --quick)")
		timeout = fs.Duration("run-timeout", 0, "bound on each run (default 60s, 10s with --quick)")
		sNodes  = fs.Int("sched-nodes", 0, "Node objects of the scheduler runs (default 1000, 50 with --quick)")
		sPods   = fs.Int("sched-pods", 0, "pods of the scheduler runs (default 10000, 500 with --quick)")
		sClient = fs.Int("sched-clients", 0, "concurrent clients creating the scheduler runs' pods (default 16, 8 with --quick)")
		cNodes  = fs.Int("cluster-nodes", 0, "simulated nodes of the `all` runs (default 100, 10 with --quick)")
		reps    = fs.Int("replicas", 0, "replicas of the `all` runs' Deployment (default 1000, 100 with --quick)")
		scale   = fs.Bool("scale", false, "also run the scale scenarios (all-10k, all-150k), which take minutes; with --quick, at a small size")
		scNodes = fs.Int("scale-nodes", 0, "simulated nodes of all-10k (default 1000, 20 with --quick)")
		scPods  = fs.Int("scale-pods", 0, "replicas of all-10k's Deployment (default 10000, 200 with --quick)")
		hNodes  = fs.Int("huge-nodes", 0, "simulated nodes of all-150k (default 5000, 50 with --quick)")
		hPods   = fs.Int("huge-pods", 0, "replicas of all-150k's Deployment (default 150000, 1000 with --quick)")
		scTime  = fs.Duration("scale-timeout", 0, "bound on each step of the scale scenarios (default 30m, 2m with --quick)")
	)
	fs.StringVar(&opt.Binary, "bin", "./minik8s", "the minik8s binary to measure")
	fs.StringVar(&opt.Postgres, "postgres", os.Getenv("MINIK8S_TEST_POSTGRES"), "Postgres URL; the benchmark creates and drops databases on its server (default $MINIK8S_TEST_POSTGRES; empty skips Postgres scenarios)")
	fs.StringVar(&opt.Redis, "redis", os.Getenv("MINIK8S_TEST_REDIS"), "Redis URL (default $MINIK8S_TEST_REDIS; empty skips Redis scenarios)")
	fs.StringVar(&opt.ProfileDir, "cpuprofile-dir", "", "write a CPU profile of the API server (the whole process for `all`) over each timed scheduler and cluster run to this dir")
	fs.DurationVar(&opt.ProfileFor, "cpuprofile-for", 5*time.Second, "length of each CPU profile")
	fs.StringVar(&opt.WorkDir, "workdir", "", "keep the servers' data dirs and logs here (default: a temporary dir, removed)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *list {
		for _, s := range bench.Scenarios() {
			fmt.Printf("%-26s %s\n", s.Name, s.Help)
		}
		return nil
	}

	p := bench.DefaultParams(*quick)
	if *creates > 0 {
		p.Creates = *creates
	}
	if *clients != "" {
		p.Clients = nil
		for _, f := range strings.Split(*clients, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("--clients %q: want positive integers separated by commas", *clients)
			}
			p.Clients = append(p.Clients, n)
		}
	}
	if *events > 0 {
		p.WatchEvents = *events
	}
	if *rate > 0 {
		p.WatchRate = *rate
	}
	if *pgbench > 0 {
		p.PgbenchDuration = *pgbench
	}
	if *timeout > 0 {
		p.RunTimeout = *timeout
	}
	if *scTime > 0 {
		p.ScaleTimeout = *scTime
	}
	for _, f := range []struct {
		flag int
		dst  *int
	}{{*sNodes, &p.SchedNodes}, {*sPods, &p.SchedPods}, {*sClient, &p.SchedClients}, {*cNodes, &p.ClusterNodes}, {*reps, &p.Replicas},
		{*scNodes, &p.ScaleNodes}, {*scPods, &p.ScalePods}, {*hNodes, &p.HugeNodes}, {*hPods, &p.HugePods}} {
		if f.flag > 0 {
			*f.dst = f.flag
		}
	}
	opt.Params = p
	opt.Scale = *scale
	if opt.ProfileDir != "" {
		if err := os.MkdirAll(opt.ProfileDir, 0o755); err != nil {
			return fmt.Errorf("--cpuprofile-dir: %w", err)
		}
	}
	if *only != "" {
		opt.Only = strings.Split(*only, ",")
	}
	opt.CommandLine = "minik8s-bench " + strings.Join(args[1:], " ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	err := bench.Run(ctx, opt, os.Stdout, os.Stderr)
	fmt.Fprintf(os.Stderr, "minik8s-bench: finished in %s\n", time.Since(start).Round(time.Second))
	return err
}
