package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// The API server is SIGKILLed, and restarted on its data dir and address,
// while 8 writers create Events as fast as they can, on SQLite and on
// Postgres. Every acknowledged create is there afterwards, with the
// revision it was acknowledged with; revisions are distinct and follow
// real time (a create sent after another was acknowledged has the higher
// one), across the restarts too.
func TestAPIServerKilledUnderWriters(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { killUnderWriters(t, store) })
	}
}

func killUnderWriters(t *testing.T, store string) {
	r := newRow(t, "apiserver SIGKILL, "+store)
	var (
		writers = 8
		kills   = pick(1, 4)
		between = pick(1500*time.Millisecond, 4*time.Second) // writes before each kill, and after the last
	)
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	opt := bench.ServerOptions{Listen: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}
	if store == "postgres" {
		env.Postgres = testsvc.Require(t, testsvc.Postgres)
		db, err := env.CreateDatabase(ctx)
		must(t, err)
		opt.Store = db
	}
	srv, err := env.StartServer(ctx, opt)
	must(t, err)
	must(t, bench.CreateNamespace(ctx, srv, ns))
	opt.DataDir = srv.DataDir

	wctx, stopWriters := context.WithCancel(ctx)
	wl := startWriters(wctx, srv, ns, writers, 0)
	var restarts []time.Duration
	live := srv
	for range kills {
		time.Sleep(between) // writes flow
		must(t, live.Kill())
		killed := time.Now()
		live, err = env.StartServer(ctx, opt)
		must(t, err)
		restarts = append(restarts, time.Since(killed))
	}
	time.Sleep(between) // writes flow after the last restart
	stopWriters()
	wl.wait()
	acks := wl.acked()

	list, listRV, err := newClient(t, live).Events(ns).List(ctx, client.ListOptions{})
	must(t, err)
	stored := make(map[string]*api.Event, len(list))
	dups := 0
	for _, e := range list {
		if _, ok := stored[e.Name]; ok {
			dups++
		}
		stored[e.Name] = e
	}
	var lost, changed []string
	var maxRV int64
	for _, a := range acks {
		maxRV = max(maxRV, a.rv)
		e, ok := stored[a.name]
		switch {
		case !ok:
			lost = append(lost, a.name)
		case client.ResourceVersion(e) != a.rv:
			changed = append(changed, fmt.Sprintf("%s: acknowledged at %d, stored at %d", a.name, a.rv, client.ResourceVersion(e)))
		}
	}
	violations := revisionViolations(acks)
	lat := wl.latencies()
	var worst time.Duration
	for _, d := range restarts {
		worst = max(worst, d)
	}
	r.load = fmt.Sprintf("%d writers, %d SIGKILLs, %d creates acknowledged", writers, kills, len(acks))
	r.lost = fmt.Sprintf("%d of %d", len(lost), len(acks))
	r.dup = fmt.Sprint(dups)
	r.reorder = fmt.Sprintf("%d revision violations", len(violations))
	r.recovery = fmt.Sprintf("restart to /readyz max %s", ms(worst))
	r.latency = fmt.Sprintf("create p50 %s p99 %s", ms(lat.Pct(0.5)), ms(lat.Pct(0.99)))
	if rss, err := live.PeakRSS(); err == nil {
		r.rss = mib(rss) + " (last server)"
	}
	t.Logf("%d failed attempts; %d creates committed without acknowledgement; restarts %v", wl.failures, len(wl.unacked), restarts)
	r.check(len(acks) > 0, "no create acknowledged")
	r.check(len(lost) == 0, "%d acknowledged creates lost: %v", len(lost), first(lost, 10))
	r.check(len(changed) == 0, "acknowledged creates stored at another revision: %v", first(changed, 10))
	r.check(dups == 0, "%d names listed twice", dups)
	r.check(len(violations) == 0, "revisions not monotonic: %v", violations)
	r.check(listRV >= maxRV, "list after the restarts at revision %d, before the last acknowledged create (%d)", listRV, maxRV)
}
