package bench

import (
	"context"
	"fmt"
	"time"
)

// Targets from the issues; each is printed beside its figure.
const (
	createP99Target      = 10 * time.Millisecond
	crossWatchP99Target  = 20 * time.Millisecond
	pgbenchRatioTarget   = 0.60 // Postgres creates/s over pgbench -N TPS…
	pgbenchRatioAtClient = 8    // …at this many clients
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
		if err := createNamespace(ctx, srv, ns); err != nil {
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
