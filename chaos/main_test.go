package chaos

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
)

var (
	binPath string // the minik8s binary under test
	long    bool   // MINIK8S_CHAOS_LONG: the long cases (make chaos)
	results table  // one row per case, printed at the end
)

// TestMain builds minik8s once (unless MINIK8S_BIN names a binary), runs
// the cases and prints the table of what they measured.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	long = os.Getenv("MINIK8S_CHAOS_LONG") != ""
	if !testing.Short() {
		tmp, err := os.MkdirTemp("", "minik8s-chaos-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		if binPath, err = testenv.Binary(tmp); err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
	}
	code := m.Run()
	results.print(os.Stdout)
	return code
}

// pick is fast in make test and slow under make chaos.
func pick[T any](fast, slow T) T {
	if long {
		return slow
	}
	return fast
}

// row is one case's line of the table. Cells left empty were not measured
// by that case.
type row struct {
	t        *testing.T
	name     string
	load     string // what ran
	lost     string // acknowledged work missing at the end
	dup      string // work done twice
	reorder  string // events out of order
	recovery string // time to recover, or to take over
	rss      string // the server's peak RSS
	latency  string
	problems []string
	parent   bool // has rows of its own subtests, whose failures are theirs
}

// run runs f as subtest name of the row's case; f reports on a row of its
// own, and its failure does not count against r.
func (r *row) run(name string, f func(t *testing.T)) {
	r.parent = true
	r.t.Run(name, f)
}

// newRow starts the row of the case t; it is printed and added to the
// table when t ends, with the verdict. Call it first, so that it ends
// after the processes of the case are stopped.
func newRow(t *testing.T, name string) *row {
	t.Helper()
	if testing.Short() {
		t.Skip("the chaos suite runs minik8s processes for seconds to minutes: not with -short")
	}
	r := &row{t: t, name: name}
	t.Cleanup(func() { results.add(r) })
	return r
}

// check fails the case with the message unless ok; the message's first
// words go into the row's verdict.
func (r *row) check(ok bool, format string, args ...any) bool {
	r.t.Helper()
	if !ok {
		msg := fmt.Sprintf(format, args...)
		r.problems = append(r.problems, msg)
		r.t.Error(msg)
	}
	return ok
}

func (r *row) verdict() string {
	switch {
	case len(r.problems) > 0:
		p := r.problems[0]
		if len(p) > 70 {
			p = p[:67] + "..."
		}
		if len(r.problems) > 1 {
			p += fmt.Sprintf(" (+%d)", len(r.problems)-1)
		}
		return "FAIL: " + p
	case r.t.Failed() && !r.parent:
		return "FAIL"
	case r.t.Skipped():
		return "skipped"
	}
	return "ok"
}

func (r *row) cells() []string {
	return []string{r.name, r.load, r.lost, r.dup, r.reorder, r.recovery, r.rss, r.latency, r.verdict()}
}

var tableHead = []string{"case", "load", "lost", "dup", "reordered", "recovery", "peak RSS", "latency", "verdict"}

// table collects the rows of the cases that ran.
type table struct {
	mu   sync.Mutex
	rows [][]string
}

func (tb *table) add(r *row) {
	c := r.cells()
	fmt.Printf("chaos: %s\n", strings.Join(c, " | "))
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, c)
}

func (tb *table) print(w io.Writer) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.rows) == 0 {
		return
	}
	mode := "fast cases (make test)"
	if long {
		mode = "long cases (make chaos)"
	}
	fmt.Fprintf(w, "\nminik8s chaos suite, %s, %s\n", mode, time.Now().UTC().Format(time.RFC3339))
	bench.WriteTable(w, tableHead, tb.rows)
}

// newEnv is a bench Env for the case: its processes and databases are
// stopped and dropped when the case ends, and their logs are in a
// temporary directory, shown (the tail) by failures that read them.
func newEnv(t *testing.T) *bench.Env {
	t.Helper()
	return newEnvWith(t, binPath)
}

// newEnvWith is newEnv with another command in place of the binary, one
// that runs it (e.g. with other limits).
func newEnvWith(t *testing.T, binary string) *bench.Env {
	t.Helper()
	env := bench.NewEnv(t.Name(), binary, t.TempDir(), logWriter{t})
	t.Cleanup(env.Close)
	return env
}

// logWriter sends an Env's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newClient is a client of s with no client-side rate limit.
func newClient(t *testing.T, s *bench.Server) *client.Client {
	t.Helper()
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// follow follows the objects of lw from resourceVersion fromRV as an
// informer's reflector does: when the stream ends it watches again from
// the last resourceVersion seen, which the returned counter counts. fn gets
// every event but bookmarks, on one goroutine. A 410 (the change log was
// compacted past it) fails the test: no case should fall that far behind.
// It stops when the test ends.
func follow[PT api.Object](t *testing.T, lw client.ListerWatcher[PT], fromRV int64, fn func(client.EventType, PT)) (rewatches func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu sync.Mutex
		n  int
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rv := fromRV
		for ctx.Err() == nil {
			ch, err := lw.Watch(ctx, client.ListOptions{}, rv)
			if client.IsGone(err) {
				t.Errorf("watch from resourceVersion %d: %v", rv, err)
				return
			}
			if err == nil {
				for ev := range ch {
					if ev.Type == client.Error {
						if client.IsGone(ev.Err) {
							t.Errorf("watch from resourceVersion %d: %v", rv, ev.Err)
							return
						}
						continue // the stream ends after it: watch again
					}
					rv = client.ResourceVersion(ev.Object)
					if ev.Type != client.Bookmark {
						fn(ev.Type, ev.Object)
					}
				}
			}
			if ctx.Err() != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// listRV is the resourceVersion of a list of lw, to follow from.
func listRV[PT any](t *testing.T, lw client.ListerWatcher[PT]) int64 {
	t.Helper()
	_, rv, err := lw.List(context.Background(), client.ListOptions{})
	must(t, err)
	return rv
}

// podTracker follows the pods of a namespace and keeps what the cases
// judge: every binding (a pod must be bound once and never moved) and
// how many pods were live at once.
type podTracker struct {
	mu      sync.Mutex
	node    map[string]string    // pod → the node it was first seen bound to
	boundAt map[string]time.Time // pod → when first seen bound
	binds   map[string]int       // pod → times seen going from unbound to bound
	moved   []string             // "pod: n1 → n2"
	live    map[string]*api.Pod  // pods not terminating, not finished
	maxLive int                  // most live pods at once
	seen    map[string]time.Time // pod → when first seen
	byRS    map[string]string    // pod → its ReplicaSet
}

// trackPods follows the pods of namespace ns from now on.
func trackPods(t *testing.T, c *client.Client, ns string) *podTracker {
	t.Helper()
	pt := &podTracker{node: map[string]string{}, boundAt: map[string]time.Time{}, binds: map[string]int{},
		live: map[string]*api.Pod{}, seen: map[string]time.Time{}, byRS: map[string]string{}}
	lw := c.Pods(ns)
	follow(t, lw, listRV(t, lw), pt.note)
	return pt
}

func (pt *podTracker) note(typ client.EventType, p *api.Pod) {
	now := time.Now()
	pt.mu.Lock()
	defer pt.mu.Unlock()
	name := p.Name
	if _, ok := pt.seen[name]; !ok {
		pt.seen[name] = now
		for _, o := range p.OwnerReferences {
			if o.Kind == "ReplicaSet" {
				pt.byRS[name] = o.Name
			}
		}
	}
	if n := p.Spec.NodeName; n != "" {
		switch old := pt.node[name]; {
		case old == "":
			pt.node[name] = n
			pt.boundAt[name] = now
			pt.binds[name]++
		case old != n:
			pt.moved = append(pt.moved, fmt.Sprintf("%s: %s → %s", name, old, n))
		}
	}
	if typ == client.Deleted || p.DeletionTimestamp != nil || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		delete(pt.live, name)
	} else {
		pt.live[name] = p
		pt.maxLive = max(pt.maxLive, len(pt.live))
	}
}

// counts is how many pods are live, and of them Running on a node for
// which on returns true (nil: any node).
func (pt *podTracker) counts(on func(node string) bool) (live, running int) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for _, p := range pt.live {
		if p.Status.Phase == api.PodRunning && (on == nil || on(p.Spec.NodeName)) {
			running++
		}
	}
	return len(pt.live), running
}

// bound is how many pods were seen bound.
func (pt *podTracker) bound() int {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return len(pt.node)
}

// boundTwice lists the pods bound more than once or moved.
func (pt *podTracker) boundTwice() []string {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	out := append([]string(nil), pt.moved...)
	for pod, n := range pt.binds {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s bound %d times", pod, n))
		}
	}
	return out
}
