package resourcemetrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// agent is a fake node agent: its counters grow at the rates set, as a
// kubelet's do, and it counts the scrapes.
type agent struct {
	mu      sync.Mutex
	start   time.Time
	now     time.Time
	podRate float64 // cores
	scrapes int
	nodes   []string
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scrapes++
	want := r.URL.Query()["node"]
	ts := a.now.UnixMilli()
	secs := a.now.Sub(a.start).Seconds()
	for _, n := range a.nodes {
		if len(want) > 0 && !contains(want, n) {
			continue
		}
		fmt.Fprintf(w, "container_cpu_usage_seconds_total{container=\"c\",namespace=\"ns\",node=%q,pod=\"p-%s\"} %g %d\n", n, n, a.podRate*secs, ts)
		fmt.Fprintf(w, "container_memory_working_set_bytes{container=\"c\",namespace=\"ns\",node=%q,pod=\"p-%s\"} 1048576 %d\n", n, n, ts)
		fmt.Fprintf(w, "container_start_time_seconds{container=\"c\",namespace=\"ns\",node=%q,pod=\"p-%s\"} %d %d\n", n, n, a.start.Unix(), ts)
		fmt.Fprintf(w, "node_cpu_usage_seconds_total{node=%q} %g %d\n", n, a.podRate*secs, ts)
		fmt.Fprintf(w, "node_memory_working_set_bytes{node=%q} 1048576 %d\n", n, ts)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestCollect checks the data path: a first ask takes two samples a pair
// interval apart, the figures are rates, asks within the resolution are
// served from memory, a later ask rates one new sample against the kept
// one, and one scrape serves every node of an agent.
func TestCollect(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	a := &agent{start: start, now: start.Add(time.Minute), podRate: 0.25, nodes: []string{"n1", "n2"}}
	srv := httptest.NewTLSServer(a)
	defer srv.Close()
	c, err := New(Config{Resolution: 10 * time.Second, MaxWindow: time.Minute, PairInterval: time.Second, Timeout: time.Second}, srv.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	clock := start.Add(time.Minute)
	c.now = func() time.Time { return clock }
	c.sleep = func(_ context.Context, d time.Duration) error {
		clock = clock.Add(d)
		a.mu.Lock()
		a.now = a.now.Add(d)
		a.mu.Unlock()
		return nil
	}
	addr := strings.TrimPrefix(srv.URL, "https://")
	targets := []Target{{Node: "n1", Addr: addr}, {Node: "n2", Addr: addr}}

	got, err := c.Collect(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if a.scrapes != 2 {
		t.Errorf("first ask: %d scrapes, want 2 (a pair, each for both nodes)", a.scrapes)
	}
	for _, n := range []string{"n1", "n2"} {
		u := got[n]
		if u == nil || !u.HasNode || u.CPUMilli != 250 || u.MemoryBytes != 1<<20 || u.Window != time.Second {
			t.Fatalf("node %s: %+v", n, u)
		}
		p := u.Pods["ns/p-"+n]
		if p == nil || len(p.Containers) != 1 || p.Containers[0].CPUMilli != 250 || p.Containers[0].MemoryBytes != 1<<20 {
			t.Fatalf("pod of %s: %+v", n, p)
		}
	}

	// Within the resolution: no scrape.
	clock = clock.Add(5 * time.Second)
	if _, err := c.Collect(context.Background(), targets[:1]); err != nil || a.scrapes != 2 {
		t.Errorf("ask within resolution: err %v, %d scrapes, want 2", err, a.scrapes)
	}

	// Later, at a new rate: one scrape, rated against the kept sample over
	// the 20s between them.
	a.mu.Lock()
	base := a.podRate * a.now.Sub(a.start).Seconds()
	a.start, a.podRate = a.now.Add(-time.Duration(base/0.5*float64(time.Second))), 0.5 // counter continues at 0.5 core
	a.now = a.now.Add(20 * time.Second)
	a.mu.Unlock()
	clock = clock.Add(15 * time.Second)
	got, err = c.Collect(context.Background(), targets[:1])
	if err != nil {
		t.Fatal(err)
	}
	if a.scrapes != 3 {
		t.Errorf("later ask: %d scrapes, want 3", a.scrapes)
	}
	if u := got["n1"]; u == nil || u.Window != 20*time.Second || u.CPUMilli != 500 {
		t.Errorf("later figure: %+v, want 500m over 20s", u)
	}
}

// TestCollectAgentDown: a node whose agent does not answer is left out
// and the error says which.
func TestCollectAgentDown(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	tr := srv.Client().Transport
	addr := strings.TrimPrefix(srv.URL, "https://")
	srv.Close()
	c, err := New(DefaultConfig(), tr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Collect(context.Background(), []Target{{Node: "n1", Addr: addr}})
	if err == nil || !strings.Contains(err.Error(), addr) || len(got) != 0 {
		t.Errorf("got %v, %v; want no figures and an error naming %s", got, err, addr)
	}
}

func TestRateCounterReset(t *testing.T) {
	at := time.Unix(100, 0)
	k := containerKey{"ns", "p", "c"}
	prev := &sample{at: at, cpu: 10, hasNode: true, containers: map[containerKey]*containerSample{k: {at: at, cpu: 5, start: 50, hasCPU: true}}}
	cur := &sample{at: at.Add(time.Second), cpu: 4, hasNode: true, containers: map[containerKey]*containerSample{k: {at: at.Add(time.Second), cpu: 0.5, start: 99, hasCPU: true}}}
	u := rate(prev, cur)
	if u == nil || u.HasNode {
		t.Fatalf("a node counter that went down is no rate: %+v", u)
	}
	if p := u.Pods["ns/p"]; p == nil || p.Containers[0].CPUMilli != 250 || p.Window != 2*time.Second {
		t.Errorf("a restarted container is rated from its start: %+v", u.Pods["ns/p"])
	}
}
