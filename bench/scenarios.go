package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/app"
)

// Targets from the issues; each is printed beside its figure.
const (
	createP99Target      = 10 * time.Millisecond
	crossWatchP99Target  = 20 * time.Millisecond
	pgbenchRatioTarget   = 0.60 // Postgres creates/s over pgbench -N TPS…
	pgbenchRatioAtClient = 8    // …at this many clients
	schedRateTarget      = 2000 // pods bound per second
	// pods bound per second with anti-affinity or spreading
	schedConstrainedTarget = 1000
	allRunningSQLite       = 1500 * time.Millisecond
	allRunningPostgres     = 2500 * time.Millisecond
	allPeakRSSTarget       = 150 << 20
)

// Scenarios is the registry, in the order a full run goes through it.
// Add new scenarios here.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name: "api-sqlite",
			Help: "creates/s and updates/s with p50/p99 through the HTTP API, and same-server watch latency, on SQLite",
			Run:  func(ctx context.Context, env *Env) error { return apiScenario(ctx, env, false) },
		},
		{
			Name:  "api-postgres",
			Help:  "pgbench -N, then the api-sqlite figures on a fresh Postgres database, with creates/s as a share of pgbench's TPS",
			Needs: []Need{NeedPostgres},
			Run:   func(ctx context.Context, env *Env) error { return apiScenario(ctx, env, true) },
		},
		{
			Name:  "watch-redis",
			Help:  "watch latency across two API servers on one Postgres and one Redis: write via A, watch via B",
			Needs: []Need{NeedPostgres, NeedRedis},
			Run:   watchAcrossServers,
		},
		{
			Name:  "crd-redis",
			Help:  "how soon a new CRD's kind is served, on the API server that created it and on a second one sharing Postgres and Redis",
			Needs: []Need{NeedPostgres, NeedRedis},
			Run:   crdServed,
		},
		{
			Name: "scheduler-sqlite",
			Help: "scheduling throughput: apiserver and scheduler processes on SQLite, Node objects without kubelets, pods created as fast as possible",
			Run:  func(ctx context.Context, env *Env) error { return schedulerScenario(ctx, env, false, schedPlain) },
		},
		{
			Name: "scheduler-anti-affinity",
			Help: "scheduler-sqlite with pods of 10 Deployments, each with required pod anti-affinity by hostname against its own replicas",
			Run: func(ctx context.Context, env *Env) error {
				return schedulerScenario(ctx, env, false, schedAntiAffinity)
			},
		},
		{
			Name: "scheduler-spread",
			Help: "scheduler-sqlite with nodes over 10 zones and pods of 10 Deployments, each spread over zones (maxSkew 1, DoNotSchedule)",
			Run: func(ctx context.Context, env *Env) error {
				return schedulerScenario(ctx, env, false, schedSpread)
			},
		},
		{
			Name:  "scheduler-postgres",
			Help:  "the scheduler-sqlite figures on a fresh Postgres database",
			Needs: []Need{NeedPostgres},
			Run:   func(ctx context.Context, env *Env) error { return schedulerScenario(ctx, env, true, schedPlain) },
		},
		{
			Name: "deploy-bound",
			Help: "kubectl apply of a Deployment to every pod bound, on `minik8s all` with simulated nodes (SQLite)",
			Run:  func(ctx context.Context, env *Env) error { return clusterScenario(ctx, env, clusterRun{kubectl: true}) },
		},
		{
			Name: "all-sqlite",
			Help: "one `minik8s all` process, simulated nodes, SQLite: a Deployment created through the API to every pod Running, and the process's peak RSS",
			Run:  func(ctx context.Context, env *Env) error { return clusterScenario(ctx, env, clusterRun{}) },
		},
		{
			Name: "all-sqlite-default-limits",
			Help: "all-sqlite with the controller manager's default API client rate limit (" + defaultClientLimits() + "), for reference",
			Run: func(ctx context.Context, env *Env) error {
				return clusterScenario(ctx, env, clusterRun{defaultClientLimits: true})
			},
		},
		{
			Name:  "all-postgres-redis",
			Help:  "the all-sqlite figures with --store on a fresh Postgres database and --redis",
			Needs: []Need{NeedPostgres, NeedRedis},
			Run: func(ctx context.Context, env *Env) error {
				return clusterScenario(ctx, env, clusterRun{postgres: true})
			},
		},
		{
			Name: "portforward-docker",
			Help: "MiB/s through kubectl port-forward (WebSocket and SPDY) to a pod on `minik8s all` with a Docker node, beside the pod's IP; skipped without a Docker engine",
			Run:  portForwardScenario,
		},
	}
}

// apiScenario measures one API server on SQLite, or on a fresh Postgres
// database after measuring pgbench -N on the same Postgres server.
func apiScenario(ctx context.Context, env *Env, onPostgres bool) error {
	p := env.Params
	label, opt := "SQLite", ServerOptions{}
	var tps map[int]float64
	if onPostgres {
		label = "Postgres"
		var err error
		if tps, err = runPgbench(ctx, env); err != nil {
			return err
		}
		if opt.Store, err = env.CreateDatabase(ctx); err != nil {
			return err
		}
	}
	srv, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	for _, c := range p.Clients {
		ns := fmt.Sprintf("bench-c%d", c)
		if err := CreateNamespace(ctx, srv, ns); err != nil {
			return err
		}
		if err := warmUp(ctx, srv, c); err != nil {
			return err
		}
		cs, created, err := measureCreates(ctx, srv, ns, p.Creates, c, p.RunTimeout)
		if err != nil {
			return fmt.Errorf("creates with %s: %w", clients(c), err)
		}
		env.Logf("creates with %s: %d in %s, %s, p99 %s ms", clients(c), cs.N, cs.Elapsed.Round(time.Millisecond), perSecond(cs.Rate()), ms(cs.Pct(0.99)))
		env.Report(createRateRow(label, c, cs, tps), latencyRow(label+" create", c, cs, createP99Target))

		us, err := measureUpdates(ctx, srv, ns, created, c, p.RunTimeout)
		if err != nil {
			return fmt.Errorf("updates with %s: %w", clients(c), err)
		}
		env.Logf("updates with %s: %d in %s, %s, p99 %s ms", clients(c), us.N, us.Elapsed.Round(time.Millisecond), perSecond(us.Rate()), ms(us.Pct(0.99)))
		env.Report(
			Info(fmt.Sprintf("%s updates/s, %s", label, clients(c)), perSecond(us.Rate())+us.cut()),
			latencyRow(label+" update", c, us, 0),
		)
	}

	ws, err := measureWatch(ctx, p, srv, srv, "bench-watch")
	if err != nil {
		return fmt.Errorf("watch latency: %w", err)
	}
	env.Logf("watch, same server: %d events, p50 %s ms, p99 %s ms", ws.N, ms(ws.Pct(0.5)), ms(ws.Pct(0.99)))
	env.Report(Info(label+" watch latency p50 / p99, same server", ms(ws.Pct(0.5))+" / "+ms(ws.Pct(0.99))+" ms"+ws.cut()))
	rss, err := srv.PeakRSS()
	if err != nil {
		return err
	}
	env.Report(Info(label+" API server peak RSS", mib(rss)))
	return nil
}

// runPgbench measures pgbench -N on a scratch database of the Postgres
// server for each client count, reports the TPS and returns it by count.
func runPgbench(ctx context.Context, env *Env) (map[int]float64, error) {
	pb, err := env.NewPgbench()
	if err != nil {
		return nil, err
	}
	db, err := env.CreateDatabase(ctx)
	if err != nil {
		return nil, err
	}
	if err := pb.Init(ctx, db); err != nil {
		return nil, err
	}
	tps := map[int]float64{}
	for _, c := range env.Params.Clients {
		t, err := pb.RunSimple(ctx, db, c, env.Params.PgbenchDuration)
		if err != nil {
			return nil, err
		}
		env.Logf("pgbench -N with %s: %.0f TPS", clients(c), t)
		tps[c] = t
		env.Report(Info(fmt.Sprintf("pgbench -N TPS, %s", clients(c)), perSecond(t)))
	}
	return tps, nil
}

// createRateRow is the creates/s figure; on Postgres it is also given as a
// share of pgbench's TPS at the same client count, with a target at
// pgbenchRatioAtClient clients.
func createRateRow(label string, c int, s Sample, tps map[int]float64) Row {
	fig := fmt.Sprintf("%s creates/s, %s", label, clients(c))
	measured := perSecond(s.Rate()) + s.cut()
	base, ok := tps[c]
	if !ok || base <= 0 {
		return Info(fig, measured)
	}
	ratio := s.Rate() / base
	measured += fmt.Sprintf(" = %.0f%% of pgbench", 100*ratio)
	if c != pgbenchRatioAtClient {
		return Info(fig, measured)
	}
	target := fmt.Sprintf("≥ %.0f%% of pgbench (%s)", 100*pgbenchRatioTarget, perSecond(pgbenchRatioTarget*base))
	return Check(fig, measured, target, ratio >= pgbenchRatioTarget)
}

// latencyRow is a p50 / p99 figure, checked against a p99 target unless
// target is 0.
func latencyRow(what string, c int, s Sample, target time.Duration) Row {
	fig := fmt.Sprintf("%s latency p50 / p99, %s", what, clients(c))
	measured := ms(s.Pct(0.5)) + " / " + ms(s.Pct(0.99)) + " ms"
	if target == 0 {
		return Info(fig, measured)
	}
	return Check(fig, measured, p99Target(target), s.Pct(0.99) <= target)
}

func p99Target(d time.Duration) string { return fmt.Sprintf("p99 ≤ %d ms", d.Milliseconds()) }

func clients(c int) string {
	if c == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", c)
}

// watchAcrossServers measures watch delivery between two API servers that
// share a Postgres database and a Redis: creates through A, watch on B.
func watchAcrossServers(ctx context.Context, env *Env) error {
	db, err := env.CreateDatabase(ctx)
	if err != nil {
		return err
	}
	opt := ServerOptions{Store: db, Redis: env.Redis}
	a, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	b, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	s, err := measureWatch(ctx, env.Params, a, b, "bench-xwatch")
	if err != nil {
		return fmt.Errorf("watch latency: %w", err)
	}
	env.Logf("watch, A to B: %d events, p50 %s ms, p99 %s ms", s.N, ms(s.Pct(0.5)), ms(s.Pct(0.99)))
	env.Report(Check("Postgres+Redis watch latency p50 / p99, write via A, watch via B",
		ms(s.Pct(0.5))+" / "+ms(s.Pct(0.99))+" ms"+s.cut(),
		p99Target(crossWatchP99Target), s.Pct(0.99) <= crossWatchP99Target))
	return nil
}

// schedulerScenario measures scheduling throughput through the API: an
// API server and a scheduler, each its own process, SchedNodes Ready Node
// objects (no kubelets behind them), then SchedPods pending pods created
// as fast as SchedClients clients can. The figure is pods bound per second
// from just before the first create is sent to the last binding seen by a
// watch, so it is bounded by the creates as much as by the scheduler.
// schedPods is the kind of pods schedulerScenario creates.
type schedPods int

const (
	schedPlain        schedPods = iota // PodJSON
	schedAntiAffinity                  // AntiAffinityPodJSON
	schedSpread                        // SpreadPodJSON, on nodes in zones
)

// Zones the nodes of scheduler-spread are in, and Deployments whose pods
// the constrained scenarios create.
const (
	benchZones       = 10
	benchDeployments = 10
)

func schedulerScenario(ctx context.Context, env *Env, onPostgres bool, kind schedPods) error {
	p := env.Params
	label, opt := "SQLite", ServerOptions{}
	target := float64(schedRateTarget)
	podJSON := func(ns string, i int) []byte { return PodJSON(ns, "pod-"+strconv.Itoa(i)) }
	switch kind {
	case schedAntiAffinity:
		label, target = "SQLite anti-affinity", schedConstrainedTarget
		podJSON = func(ns string, i int) []byte { return AntiAffinityPodJSON(ns, i, benchDeployments) }
	case schedSpread:
		label, target = "SQLite zone spread", schedConstrainedTarget
		podJSON = func(ns string, i int) []byte { return SpreadPodJSON(ns, i, benchDeployments) }
	}
	if onPostgres {
		label = "Postgres"
		var err error
		if opt.Store, err = env.CreateDatabase(ctx); err != nil {
			return err
		}
	}
	srv, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	if _, err := createObjects(ctx, srv, "/api/v1/nodes", p.SchedNodes, 8, p.RunTimeout, func(i int) []byte {
		if kind == schedSpread {
			return NodeInZoneJSON("node-"+strconv.Itoa(i), 110, fmt.Sprintf("zone-%d", i%benchZones))
		}
		return NodeJSON("node-"+strconv.Itoa(i), 110)
	}); err != nil {
		return fmt.Errorf("create nodes: %w", err)
	}
	sched, err := env.StartProcessOn(srv, "scheduler", "--port", "0")
	if err != nil {
		return err
	}
	// One pod bound means the scheduler leads and its caches are synced.
	if err := CreateNamespace(ctx, srv, "bench-probe"); err != nil {
		return err
	}
	if _, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, podsPath("bench-probe"), PodJSON("bench-probe", "probe")); err != nil {
		return err
	}
	if err := waitBound(ctx, srv, "bench-probe", "probe", startTimeout); err != nil {
		return fmt.Errorf("wait for the scheduler: %w%s", err, sched.logTail())
	}
	env.Logf("scheduler pid %d binds; %d nodes", sched.PID(), p.SchedNodes)

	const ns = "bench-sched"
	if err := CreateNamespace(ctx, srv, ns); err != nil {
		return err
	}
	if err := warmUp(ctx, srv, p.SchedClients); err != nil {
		return err
	}
	w, err := watchPods(ctx, srv, ns, p.SchedPods)
	if err != nil {
		return err
	}
	defer w.stop()
	env.profile(ctx, srv, "apiserver")
	start := time.Now()
	cs, err := createObjects(ctx, srv, podsPath(ns), p.SchedPods, p.SchedClients, p.RunTimeout, func(i int) []byte {
		return podJSON(ns, i)
	})
	if err != nil {
		return fmt.Errorf("create pods: %w", err)
	}
	timedOut, err := w.wait(ctx, w.allBound, start.Add(p.RunTimeout), sched, srv.Process)
	if err != nil {
		return err
	}
	bound, _, last, _ := w.progress()
	elapsed := last.Sub(start)
	rate := 0.0
	if bound > 0 && elapsed > 0 {
		rate = float64(bound) / elapsed.Seconds()
	}
	env.Logf("%d pods created in %s (%s), %d bound in %s: %s", cs.N, cs.Elapsed.Round(time.Millisecond), perSecond(cs.Rate()),
		bound, elapsed.Round(time.Millisecond), perSecond(rate))
	measured := fmt.Sprintf("%.0f pods/s (%d in %s)", rate, bound, seconds(elapsed))
	if timedOut {
		measured += fmt.Sprintf(" (timed out after %d of %d bound)", bound, p.SchedPods)
	}
	env.Report(
		Check(fmt.Sprintf("%s scheduling throughput, %d nodes × %d pods, first create to last bound", label, p.SchedNodes, p.SchedPods),
			measured, fmt.Sprintf("≥ %.0f pods/s", target), !timedOut && rate >= target),
		Info(fmt.Sprintf("%s pod creates/s meanwhile, %s", label, clients(p.SchedClients)), perSecond(cs.Rate())+cs.cut()),
	)
	srss, err := sched.PeakRSS()
	if err != nil {
		return err
	}
	arss, err := srv.PeakRSS()
	if err != nil {
		return err
	}
	env.Report(Info(label+" scheduler / API server peak RSS", mib(srss)+" / "+mib(arss)))
	return nil
}

// clusterRun says which clusterScenario to run.
type clusterRun struct {
	// kubectl creates the Deployment with kubectl apply (else through the
	// API) and stops the clock when every pod is bound (else Running).
	kubectl bool
	// postgres runs `all` on a fresh Postgres database and Redis.
	postgres bool
	// defaultClientLimits keeps the controller manager's default client
	// rate limit; the figure is then reported without a target.
	defaultClientLimits bool
}

// clusterScenario starts one `minik8s all` process with ClusterNodes
// simulated nodes, waits for them to be Ready and for the scheduler and
// controller manager to lead, then creates a Deployment of Replicas pods
// and times, from just before the create, the last pod bound and the last
// pod Running as a watch sees them. It reports the process's peak RSS.
func clusterScenario(ctx context.Context, env *Env, run clusterRun) error {
	p := env.Params
	label := "SQLite"
	opt := ServerOptions{Role: "all", Args: []string{"--nodes", strconv.Itoa(p.ClusterNodes), "--runtime", "sim"},
		DefaultClientLimits: run.defaultClientLimits}
	if run.postgres {
		label = "Postgres+Redis"
		var err error
		if opt.Store, err = env.CreateDatabase(ctx); err != nil {
			return err
		}
		opt.Redis = env.Redis
	}
	env.Note("`minik8s all` runs with kubelet.sim.startDelay and startJitter 0 (defaults 100 ms + up to 200 ms, " +
		"which mimic a container runtime) and, except in all-sqlite-default-limits, controllerManager.kubeAPIQPS/Burst " +
		"5000 (default " + defaultClientLimits() + "); times start just before the Deployment " +
		"is created, once every node is Ready and the scheduler and controller manager lead.")
	srv, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	if err := WaitNodesReady(ctx, srv, p.ClusterNodes, p.RunTimeout); err != nil {
		return err
	}
	if err := WaitLeaders(ctx, srv, p.RunTimeout, "kube-scheduler", "kube-controller-manager"); err != nil {
		return err
	}
	env.Logf("%d nodes Ready, scheduler and controller manager lead", p.ClusterNodes)

	const ns = "bench-deploy"
	if err := CreateNamespace(ctx, srv, ns); err != nil {
		return err
	}
	w, err := watchPods(ctx, srv, ns, p.Replicas)
	if err != nil {
		return err
	}
	defer w.stop()
	manifest := DeploymentJSON(ns, "web", p.Replicas)
	how := "through the API"
	env.profile(ctx, srv, "all")
	cpu0, err := srv.CPUTime()
	if err != nil {
		return err
	}
	start := time.Now()
	if run.kubectl {
		how = "kubectl apply"
		err = kubectlApply(ctx, srv, manifest)
		if errors.Is(err, errNoKubectl) {
			how = "through the API (no kubectl on PATH)"
			_, err = srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apps/v1/namespaces/"+ns+"/deployments", manifest)
		}
	} else {
		_, err = srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apps/v1/namespaces/"+ns+"/deployments", manifest)
	}
	if err != nil {
		return fmt.Errorf("create deployment: %w", err)
	}
	created := time.Since(start)
	all := w.allRunning
	if run.kubectl {
		all = w.allBound
	}
	timedOut, err := w.wait(ctx, all, start.Add(p.RunTimeout), srv.Process)
	if err != nil {
		return err
	}
	sampled := time.Now()
	cpu1, err := srv.CPUTime()
	if err != nil {
		return err
	}
	bound, running, lastBound, lastRunning := w.progress()
	added, lastAdded := w.created()
	env.Logf("created %s in %s; %d pods created after %s, %d bound after %s, %d Running after %s", how, created.Round(time.Millisecond),
		added, lastAdded.Sub(start).Round(time.Millisecond), bound, lastBound.Sub(start).Round(time.Millisecond),
		running, lastRunning.Sub(start).Round(time.Millisecond))
	env.Logf("timeline (first, p10, p50, p90, last): %s", w.timeline(start))
	env.Logf("CPU time of all: %s in the %s to the last pod", cpu1-cpu0, sampled.Sub(start).Round(time.Millisecond))
	rss, err := srv.PeakRSS()
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s, all with %d sim nodes", label, p.ClusterNodes)
	if run.kubectl {
		measured := seconds(lastBound.Sub(start)) + fmt.Sprintf(" (kubectl returned after %s)", seconds(created))
		if timedOut {
			measured += fmt.Sprintf(" (timed out after %d of %d bound)", bound, p.Replicas)
		}
		env.Report(Info(fmt.Sprintf("%s: %s of a %d-replica Deployment → all pods bound", where, how, p.Replicas), measured))
		return nil
	}
	target := allRunningSQLite
	if run.postgres {
		target = allRunningPostgres
	}
	measured := seconds(lastRunning.Sub(start))
	if timedOut {
		measured += fmt.Sprintf(" (timed out after %d of %d Running)", running, p.Replicas)
	}
	if run.defaultClientLimits {
		env.Report(Info(fmt.Sprintf("%s, controller manager's default client limits: Deployment of %d → all pods Running", where, p.Replicas), measured))
		return nil
	}
	env.Report(
		Check(fmt.Sprintf("%s: Deployment of %d → all pods Running", where, p.Replicas),
			measured, fmt.Sprintf("≤ %s", seconds(target)), !timedOut && lastRunning.Sub(start) <= target),
		Info(fmt.Sprintf("%s: Deployment of %d → all pods bound", where, p.Replicas), seconds(lastBound.Sub(start))),
		Check(fmt.Sprintf("%s: peak RSS (VmHWM) of the whole all process", where), mib(rss), "≤ "+mib(allPeakRSSTarget), rss <= allPeakRSSTarget),
	)
	if !run.postgres {
		env.Report(Info("reference: real Kubernetes 1.37 + KWOK, same work on this machine", "7.7 s median, ~830 MiB"))
	}
	return nil
}

// defaultClientLimits describes the controller manager's default API client
// rate limit, from this source tree (the binary make bench builds).
func defaultClientLimits() string {
	cm := app.Default().ControllerManager
	return fmt.Sprintf("%g/s, burst %d", cm.KubeAPIQPS, cm.KubeAPIBurst)
}
