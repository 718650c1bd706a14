package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testsvc"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
		{"tiny q is the min", ms(1, 2, 3), 0.0001, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

// TestAfter: a time that never came (a run that timed out before its
// first pod got there) reads "never", not the zero time's distance from
// start (-9223372036.85 s).
func TestAfter(t *testing.T) {
	start := time.Unix(1000, 0)
	if got := after(start, start.Add(1500*time.Millisecond)); got != "1.50 s" {
		t.Errorf("after 1.5 s = %q, want \"1.50 s\"", got)
	}
	if got := after(start, time.Time{}); got != "never" {
		t.Errorf("after a zero time = %q, want \"never\"", got)
	}
}

func TestParseTPS(t *testing.T) {
	const pg15 = `transaction type: <builtin: simple update>
scaling factor: 1
number of clients: 8
duration: 10 s
number of transactions actually processed: 55123
latency average = 1.451 ms
initial connection time = 12.345 ms
tps = 5512.300000 (without initial connection time)
`
	tests := []struct {
		name    string
		out     string
		want    float64
		wantErr bool
	}{
		{"pgbench 15", pg15, 5512.3, false},
		{"older pgbench prints two tps lines", "tps = 100.5 (including connections establishing)\ntps = 101.5 (excluding connections establishing)\n", 100.5, false},
		{"no tps line", "pgbench: error: connection refused\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTPS(tt.out)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseTPS = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCreateRateRow(t *testing.T) {
	second := Sample{N: 1000, Want: 1000, Elapsed: time.Second} // 1000/s
	tests := []struct {
		name    string
		clients int
		tps     map[int]float64
		want    Row
	}{
		{"no baseline", 8, nil, Row{Figure: "X creates/s, 8 clients", Measured: "1000/s"}},
		{"ratio without target at 1 client", 1, map[int]float64{1: 2000},
			Row{Figure: "X creates/s, 1 client", Measured: "1000/s = 50% of pgbench"}},
		{"target met", 8, map[int]float64{8: 1500},
			Row{"X creates/s, 8 clients", "1000/s = 67% of pgbench", "≥ 60% of pgbench (900/s)", VerdictOK}},
		{"target missed", 8, map[int]float64{8: 2000},
			Row{"X creates/s, 8 clients", "1000/s = 50% of pgbench", "≥ 60% of pgbench (1200/s)", VerdictMiss}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := createRateRow("X", tt.clients, second, tt.tps); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRBACRows(t *testing.T) {
	run := func(n int, d time.Duration, lat ...time.Duration) Sample {
		return Sample{N: n, Want: 1000, Elapsed: d, Lat: lat}
	}
	allow := run(1000, time.Second) // 1000/s
	for _, tt := range []struct {
		name string
		rbac Sample
		want Row
	}{
		{"within 5%", run(1000, 1040*time.Millisecond), Row{"SQLite creates/s by an edit user, Node,RBAC as a share of AlwaysAllow, 8 clients",
			"96.2% (962/s vs 1000/s)", "≥ 95% of AlwaysAllow", VerdictOK}},
		{"more than 5% fewer", run(1000, 1100*time.Millisecond), Row{"SQLite creates/s by an edit user, Node,RBAC as a share of AlwaysAllow, 8 clients",
			"90.9% (909/s vs 1000/s)", "≥ 95% of AlwaysAllow", VerdictMiss}},
		{"cut short", run(500, 400*time.Millisecond), Row{"SQLite creates/s by an edit user, Node,RBAC as a share of AlwaysAllow, 8 clients",
			"125.0% (1250/s vs 1000/s)", "≥ 95% of AlwaysAllow", VerdictMiss}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rbacRateRow(8, tt.rbac, allow); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	fast, slow := run(2, 0, 3*time.Microsecond, 5*time.Microsecond), run(2, 0, 3*time.Microsecond, 25*time.Microsecond)
	if got := authorizeRow(1000, fast, fast); got.Verdict != VerdictOK || got.Measured != "3.0 µs / 5.0 µs; 3.0 µs / 5.0 µs" || got.Target != "p99 ≤ 20.0 µs" {
		t.Errorf("both p99 within 20 µs: %+v", got)
	}
	if got := authorizeRow(1000, fast, slow); got.Verdict != VerdictMiss {
		t.Errorf("denied p99 25 µs: %+v, want a miss", got)
	}
}

func TestSelect(t *testing.T) {
	got, err := Select([]string{"watch-redis", "api-sqlite"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "api-sqlite" || got[1].Name != "watch-redis" {
		t.Errorf("Select kept %v, want api-sqlite then watch-redis (registry order)", got)
	}
	if _, err := Select([]string{"nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Select(nope) = %v, want an error naming it", err)
	}
}

// TestQuickSQLite runs the tool's quick mode for the SQLite scenarios
// against a freshly built minik8s, to show every step works; it asserts no
// timing.
func TestQuickSQLite(t *testing.T) {
	testsvc.Slow(t, "builds minik8s and runs the quick benchmarks")
	bin := filepath.Join(t.TempDir(), "minik8s")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build minik8s: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	err := Run(ctx, Options{
		Binary:      bin,
		Only:        []string{"api-sqlite", "api-sqlite-rbac", "scheduler-sqlite", "all-sqlite"},
		Params:      DefaultParams(true),
		CommandLine: "go test",
	}, &out, &progress)
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s\nprogress:\n%s", err, &out, &progress)
	}
	for _, want := range []string{
		"command:  go test",
		"machine:  ",
		"| SQLite creates/s, 1 client ",
		"| SQLite create latency p50 / p99, 8 clients ",
		"| SQLite updates/s, 8 clients ",
		"| SQLite watch latency p50 / p99, same server ",
		"| SQLite API server peak RSS ",
		"| SQLite creates/s by an edit user, Node,RBAC, 8 clients ",
		"| SQLite creates/s by an edit user, AlwaysAllow, 8 clients ",
		"| SQLite creates/s by an edit user, Node,RBAC as a share of AlwaysAllow, 1 client ",
		"| one authorization (Node,RBAC, in-process) p50 / p99 with 100 Roles and RoleBindings, allowed; denied ",
		"| SQLite scheduling throughput, 50 nodes × 500 queued pods, first binding to last ",
		"| SQLite, all with 10 sim nodes: Deployment of 100 → all pods Running ",
		"| SQLite, all with 10 sim nodes: peak RSS (VmHWM) of the whole all process ",
		"- `minik8s all` runs with kubelet.sim.startDelay",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if strings.Contains(out.String(), VerdictError) || strings.Contains(out.String(), "timed out") {
		t.Errorf("a run failed or timed out:\n%s", &out)
	}
}

func TestPodWatchNote(t *testing.T) {
	w := newPodWatch(2)
	rv := 0
	ev := func(typ, name, node, phase string) *podEvent {
		rv++
		e := &podEvent{Type: typ}
		e.Object.Metadata.Name, e.Object.Spec.NodeName, e.Object.Status.Phase = name, node, phase
		e.Object.Metadata.ResourceVersion = strconv.Itoa(rv)
		return e
	}
	t0 := time.Unix(100, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	closed := func(c chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	steps := []struct {
		ev                     *podEvent
		bound, running         int
		allBound, allRunning   bool
		lastBound, lastRunning time.Time
	}{
		{ev("ADDED", "a", "", "Pending"), 0, 0, false, false, time.Time{}, time.Time{}},
		{ev("MODIFIED", "a", "n1", "Pending"), 1, 0, false, false, at(1), time.Time{}},
		{ev("MODIFIED", "a", "n1", "Pending"), 1, 0, false, false, at(1), time.Time{}},   // a repeat counts once
		{ev("BOOKMARK", "b", "n1", "Running"), 1, 0, false, false, at(1), time.Time{}},   // not a pod change
		{ev("MODIFIED", "old", "n1", "Running"), 1, 0, false, false, at(1), time.Time{}}, // created before the watch
		{ev("ADDED", "b", "n2", "Running"), 2, 1, true, false, at(5), at(5)},
		{ev("MODIFIED", "a", "n1", "Running"), 2, 2, true, true, at(5), at(6)},
	}
	for i, s := range steps {
		w.note(s.ev, at(i))
		b, r, lb, lr := w.progress()
		if b != s.bound || r != s.running || !lb.Equal(s.lastBound) || !lr.Equal(s.lastRunning) ||
			closed(w.allBound) != s.allBound || closed(w.allRunning) != s.allRunning {
			t.Errorf("after event %d: bound %d (last %v), running %d (last %v), all bound %v, all running %v; want %+v",
				i, b, lb, r, lr, closed(w.allBound), closed(w.allRunning), s)
		}
	}
	if n, last := w.created(); n != 2 || !last.Equal(at(5)) {
		t.Errorf("created = %d, last %v; want 2, %v", n, last, at(5))
	}
	// Deletions count whether the watch saw the pod created or not.
	w.note(ev("DELETED", "old", "n1", "Running"), at(10))
	if n, _ := w.deletions(); n != 1 || closed(w.allDeleted) {
		t.Errorf("after one deletion: %d deleted, all deleted %v", n, closed(w.allDeleted))
	}
	w.note(ev("DELETED", "a", "n1", "Running"), at(11))
	if n, last := w.deletions(); n != 2 || !last.Equal(at(11)) || !closed(w.allDeleted) {
		t.Errorf("after two deletions: %d deleted (last %v), all deleted %v; want 2, %v, true", n, last, closed(w.allDeleted), at(11))
	}
	// The stream resumes from the last resourceVersion seen.
	if w.rv != strconv.Itoa(rv) {
		t.Errorf("resume from %q, want %q", w.rv, strconv.Itoa(rv))
	}
}

// TestScaleScenariosNeedTheFlag: the scale scenarios are reported as
// skipped unless Options.Scale is set, like those needing a service.
func TestScaleScenariosNeedTheFlag(t *testing.T) {
	names := []string{"all-10k", "all-10k-service", "all-150k"}
	scale, err := Select(names)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scale {
		if got := missingNeeds(s, Options{}); got != "--scale" {
			t.Errorf("%s without --scale: missing %q, want --scale", s.Name, got)
		}
		if got := missingNeeds(s, Options{Scale: true}); got != "" {
			t.Errorf("%s with --scale: missing %q, want nothing", s.Name, got)
		}
	}
	for _, s := range Scenarios() {
		if slices.Contains(s.Needs, NeedScale) != slices.Contains(names, s.Name) {
			t.Errorf("scenario %s: needs %v", s.Name, s.Needs)
		}
	}
}
