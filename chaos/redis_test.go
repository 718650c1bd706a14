package chaos

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// Redis, the watch fan-out between two API servers on one Postgres
// database, is restarted while writers create Events through API server A
// and a watch follows them through API server B. The watch gets every
// acknowledged create exactly once, in revision order. /readyz of both
// servers stays 200 meanwhile: reads, writes and watches keep working
// (watchers catch up from the change log), so a Redis blip must not take
// the API out of a load balancer.
func TestRedisRestart(t *testing.T) {
	r := newRow(t, "redis restart")
	var (
		writers   = 4
		perSecond = pick(100.0, 200.0)
		before    = pick(2*time.Second, 5*time.Second) // writes before Redis stops
		down      = pick(time.Second, 5*time.Second)   // Redis stopped
		after     = pick(3*time.Second, 10*time.Second)
	)
	const ns = "chaos"
	ctx := context.Background()
	rd := startRedis(t)
	env := newEnv(t)
	env.Postgres = testsvc.Require(t, testsvc.Postgres)
	db, err := env.CreateDatabase(ctx)
	must(t, err)
	a, err := env.StartServer(ctx, bench.ServerOptions{Store: db, Redis: rd.URL})
	must(t, err)
	b, err := env.StartServer(ctx, bench.ServerOptions{Store: db, Redis: rd.URL})
	must(t, err)
	must(t, bench.CreateNamespace(ctx, a, ns))
	readyA, readyB := probeReadyz(t, a), probeReadyz(t, b)

	// The watch on B, from before the first write.
	var (
		mu       sync.Mutex
		seen     = map[string]int{}       // name → ADDED events
		arrived  = map[string]time.Time{} // name → first ADDED
		lastRV   int64
		reorders []string
	)
	events := newClient(t, b).Events(ns)
	rewatches := follow(t, events, listRV(t, events), func(typ client.EventType, e *api.Event) {
		rv := client.ResourceVersion(e)
		mu.Lock()
		defer mu.Unlock()
		if rv <= lastRV && len(reorders) < 10 {
			reorders = append(reorders, fmt.Sprintf("%s %s at revision %d after revision %d", typ, e.Name, rv, lastRV))
		}
		lastRV = max(lastRV, rv)
		if typ == client.Added {
			seen[e.Name]++
			if _, ok := arrived[e.Name]; !ok {
				arrived[e.Name] = time.Now()
			}
		}
	})

	wctx, stopWriters := context.WithCancel(ctx)
	wl := startWriters(wctx, a, ns, writers, perSecond)
	time.Sleep(before) // writes flow before the restart
	rd.stop(t)
	stopped := time.Now()
	time.Sleep(down) // the outage itself
	rd.start(t)
	restarted := time.Now()
	time.Sleep(after) // writes flow after it
	stopWriters()
	wl.wait()
	acks := wl.acked()

	// Every acknowledged create must reach B.
	missing := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, k := range acks {
			if seen[k.name] == 0 {
				out = append(out, k.name)
			}
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	lost := missing()

	mu.Lock()
	dups := 0
	for _, n := range seen {
		dups += max(0, n-1)
	}
	var delays []time.Duration
	var worst time.Duration
	var worstAt time.Time
	for _, k := range acks {
		if at, ok := arrived[k.name]; ok {
			d := max(0, at.Sub(k.acked))
			delays = append(delays, d)
			if d > worst {
				worst, worstAt = d, k.acked
			}
		}
	}
	reordered := slices.Clone(reorders)
	mu.Unlock()
	slices.Sort(delays)
	delay := bench.Sample{N: len(delays), Lat: delays}
	notA, longA, _ := readyA.result()
	notB, longB, _ := readyB.result()

	r.load = fmt.Sprintf("%d creates via A at %.0f/s, watch via B, Redis down %.1fs", len(acks), perSecond, restarted.Sub(stopped).Seconds())
	r.lost = fmt.Sprintf("%d of %d", len(lost), len(acks))
	r.dup = fmt.Sprint(dups)
	r.reorder = fmt.Sprint(len(reordered))
	r.recovery = fmt.Sprintf("A→B delay max %s (sent %+.1fs from Redis back)", ms(worst), worstAt.Sub(restarted).Seconds())
	r.latency = fmt.Sprintf("A→B p50 %s p99 %s", ms(delay.Pct(0.5)), ms(delay.Pct(0.99)))
	rssA, _ := a.PeakRSS()
	rssB, _ := b.PeakRSS()
	r.rss = fmt.Sprintf("A %s, B %s", mib(rssA), mib(rssB))
	t.Logf("writers: %d failed attempts, %d creates committed without acknowledgement; watch re-opened %d times", wl.failures, len(wl.unacked), rewatches())
	r.check(len(acks) > 0, "no create acknowledged")
	r.check(len(lost) == 0, "%d of %d acknowledged creates never reached the watch on B: %v", len(lost), len(acks), first(lost, 10))
	r.check(dups == 0, "%d duplicate ADDED events on B", dups)
	r.check(len(reordered) == 0, "events out of revision order on B: %v", reordered)

	// Readiness, on a row of its own: the watch fan-out degraded is a
	// check of /readyz?verbose, not a reason to fail readiness.
	r.run("readyz", func(t *testing.T) {
		r := newRow(t, "redis restart: readyz")
		r.load = fmt.Sprintf("/readyz of A and B every 100ms, Redis down %.1fs", restarted.Sub(stopped).Seconds())
		r.recovery = fmt.Sprintf("not 200: A %s, B %s", ms(notA), ms(notB))
		r.check(notA == 0 && notB == 0, "/readyz not 200 during the Redis restart: A for %s (longest %s), B for %s (longest %s)", ms(notA), ms(longA), ms(notB), ms(longB))
	})
}

// first is at most the first n of s.
func first[T any](s []T, n int) []T { return s[:min(n, len(s))] }
