package election_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"
)

func TestConfigValidate(t *testing.T) {
	def := election.DefaultConfig()
	def.Identity = "a"
	tests := []struct {
		name    string
		mutate  func(*election.Config)
		wantErr string
	}{
		{"defaults with identity", func(*election.Config) {}, ""},
		{"empty identity", func(c *election.Config) { c.Identity = "" }, "identity is empty"},
		{"lease equals renew deadline", func(c *election.Config) { c.LeaseDuration = c.RenewDeadline }, "leaseDuration"},
		{"renew deadline equals 1.2 retry", func(c *election.Config) { c.RetryPeriod = 5 * time.Second; c.RenewDeadline = 6 * time.Second }, "renewDeadline"},
		{"renew deadline just above 1.2 retry", func(c *election.Config) { c.RetryPeriod = 5 * time.Second; c.RenewDeadline = 6*time.Second + 1 }, ""},
		{"zero retry", func(c *election.Config) { c.RetryPeriod = 0 }, "retryPeriod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := def
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want error mentioning %q", err, tt.wantErr)
			}
		})
	}
	if d := election.DefaultConfig(); d.LeaseDuration != 15*time.Second || d.RenewDeadline != 10*time.Second || d.RetryPeriod != 2*time.Second {
		t.Errorf("DefaultConfig() = %+v, want client-go's 15s/10s/2s", d)
	}
}

func TestLeaseExistsErrorIsTyped(t *testing.T) {
	err := error(&election.LeaseExistsError{Holder: "b"})
	err = errors.Join(errors.New("context"), err)
	var held *election.LeaseExistsError
	if !errors.As(err, &held) || held.Holder != "b" {
		t.Fatalf("errors.As(%v) did not find the holder", err)
	}
}

const (
	testLease = 300 * time.Millisecond
	testRenew = 200 * time.Millisecond
	testRetry = 5 * time.Millisecond
)

func testConfig(id string, clk *fakeClock) election.Config {
	return election.Config{Identity: id, LeaseDuration: testLease, RenewDeadline: testRenew, RetryPeriod: testRetry, Now: clk.Now}
}

func newElector(t *testing.T, lock election.Lock, cfg election.Config, opts election.Options) *election.Elector {
	t.Helper()
	e, err := election.New(lock, cfg, zerolog.Nop(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// start runs e in the background; stop cancels it and returns Run's result.
func start(t *testing.T, e *election.Elector, lead func(context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx, lead) }()
	var result error
	stopped := false
	stop = func() error {
		t.Helper()
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-errc:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return stop
}

// leader is a lead function that records its runs and how many overlap.
type leader struct {
	started   chan context.Context
	active    atomic.Int32
	maxActive atomic.Int32
	runs      atomic.Int32
	linger    time.Duration // keeps working this long after cancellation
}

func newLeader(linger time.Duration) *leader {
	return &leader{started: make(chan context.Context, 16), linger: linger}
}

func (l *leader) run(ctx context.Context) error {
	n := l.active.Add(1)
	for m := l.maxActive.Load(); n > m && !l.maxActive.CompareAndSwap(m, n); m = l.maxActive.Load() {
	}
	l.runs.Add(1)
	l.started <- ctx
	<-ctx.Done()
	time.Sleep(l.linger)
	l.active.Add(-1)
	return ctx.Err()
}

func (l *leader) waitStarted(t *testing.T) context.Context {
	t.Helper()
	select {
	case ctx := <-l.started:
		return ctx
	case <-time.After(5 * time.Second):
		t.Fatal("lead was not started")
		return nil
	}
}

func TestRunAcquiresRenewsAndReleases(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	var leadReturned atomic.Bool
	releasedAfterLead := make(chan bool, 1)
	lock.onRelease = func() { releasedAfterLead <- leadReturned.Load() }
	e := newElector(t, lock, testConfig("a", clk), election.Options{})
	started := make(chan context.Context, 1)
	stop := start(t, e, func(ctx context.Context) error {
		started <- ctx
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // a release before this returns would show
		leadReturned.Store(true)
		return ctx.Err()
	})
	leadCtx := <-started
	if st := e.Status(); !st.Leader || st.Holder != "a" || st.Fence != 1 || st.Transitions != 1 {
		t.Fatalf("Status() = %+v, want leader a with fence 1", st)
	}

	// Keep the lease through several lease durations of fake time. Steps
	// of a quarter of the renew deadline, each waiting for a renewal at the
	// new time, so the elector is never near its deadline.
	for range 20 {
		clk.Advance(testRenew / 4)
		want := clk.Now().Add(testLease)
		eventually(t, "renewal at the new time", func() bool {
			_, _, exp, _ := lock.state()
			return !exp.Before(want)
		})
	}
	if leadCtx.Err() != nil {
		t.Fatal("lead cancelled while renewals succeeded")
	}
	if st := e.Status(); !st.Leader || st.Fence != 1 || st.Transitions != 1 {
		t.Fatalf("Status() = %+v, want still leader with fence 1", st)
	}

	if err := stop(); err != nil {
		t.Fatalf("Run() = %v, want nil on shutdown", err)
	}
	if leadCtx.Err() == nil {
		t.Error("lead context not cancelled on shutdown")
	}
	select {
	case after := <-releasedAfterLead:
		if !after {
			t.Error("lease released before lead returned")
		}
	default:
		t.Error("lease not released on shutdown")
	}
	if holder, _, _, _ := lock.state(); holder != "" {
		t.Errorf("holder after shutdown = %q, want none", holder)
	}
	if st := e.Status(); st.Leader || st.Transitions != 2 {
		t.Errorf("Status() = %+v, want standby after 2 transitions", st)
	}
}

func TestRunStopsLeadingBeforeLeaseExpires(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	e := newElector(t, lock, testConfig("a", clk), election.Options{})
	l := newLeader(0)
	start(t, e, l.run)
	leadCtx := l.waitStarted(t)
	_, _, expires, _ := lock.state()

	lock.setDown(errors.New("service unreachable"))
	clk.Advance(testRenew * 3 / 4)
	_, _, _, n := lock.state()
	eventually(t, "failed renewals", func() bool { _, _, _, m := lock.state(); return m >= n+3 })
	if leadCtx.Err() != nil {
		t.Fatal("lead cancelled before the renew deadline")
	}

	clk.Advance(testRenew/4 + 10*time.Millisecond) // past the deadline, before expiry
	eventually(t, "lead cancelled", func() bool { return leadCtx.Err() != nil })
	if now := clk.Now(); !now.Before(expires) {
		t.Fatalf("lead cancelled at %s, not before the lease expired at %s", now, expires)
	}
	eventually(t, "standby", func() bool { return !e.Status().Leader })

	// The elector campaigns again: it sees the new holder, then takes over
	// once that holder's lease expires.
	lock.steal("b")
	lock.setDown(nil)
	eventually(t, "holder b seen", func() bool { return e.Status().Holder == "b" })
	if e.Status().Leader || l.runs.Load() != 1 {
		t.Fatal("led while b held the lease")
	}
	clk.Advance(testLease)
	l.waitStarted(t)
	if st := e.Status(); !st.Leader || st.Holder != "a" || st.Fence != 3 || st.Transitions != 3 {
		t.Fatalf("Status() = %+v, want leader a again with fence 3", st)
	}
}

func TestRunStopsAtOnceWhenLeaseTaken(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	e := newElector(t, lock, testConfig("a", clk), election.Options{})
	l := newLeader(0)
	start(t, e, l.run)
	leadCtx := l.waitStarted(t)

	lock.steal("b") // the clock stands still: only ErrLeaseLost can stop a
	eventually(t, "lead cancelled", func() bool { return leadCtx.Err() != nil })
	eventually(t, "holder b seen", func() bool { st := e.Status(); return !st.Leader && st.Holder == "b" })
}

func TestRunReturnsLeadError(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	e := newElector(t, lock, testConfig("a", clk), election.Options{})
	boom := errors.New("boom")
	err := e.Run(context.Background(), func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run() = %v, want %v", err, boom)
	}
	if holder, _, _, _ := lock.state(); holder != "" {
		t.Errorf("holder = %q, want released", holder)
	}
}

func TestRunShutdownWhileStandby(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	lock.steal("b")
	e := newElector(t, lock, testConfig("a", clk), election.Options{})
	l := newLeader(0)
	stop := start(t, e, l.run)
	eventually(t, "holder b seen", func() bool { return e.Status().Holder == "b" })
	if err := stop(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if holder, _, _, _ := lock.state(); holder != "b" || l.runs.Load() != 0 {
		t.Fatalf("holder = %q, runs = %d; want b's lease untouched and no run", holder, l.runs.Load())
	}
}

func TestElectorsNeverLeadAtOnce(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	l := newLeader(20 * time.Millisecond) // outlives cancellation a little
	ids := []string{"a", "b", "c"}
	electors := map[string]*election.Elector{}
	stops := map[string]func() error{}
	for _, id := range ids {
		electors[id] = newElector(t, lock, testConfig(id, clk), election.Options{})
		stops[id] = start(t, electors[id], l.run)
	}
	for round := range ids {
		l.waitStarted(t)
		var leaders []string
		for id, e := range electors {
			if e.Status().Leader {
				leaders = append(leaders, id)
			}
		}
		if len(leaders) != 1 {
			t.Fatalf("round %d: leaders %v, want exactly one", round, leaders)
		}
		if err := stops[leaders[0]](); err != nil {
			t.Fatal(err)
		}
		delete(electors, leaders[0])
	}
	if got := l.maxActive.Load(); got != 1 {
		t.Fatalf("%d leads ran at once, want 1", got)
	}
	if got := l.runs.Load(); got != 3 {
		t.Fatalf("%d leads ran, want 3 (each standby took over)", got)
	}
}

func TestMetrics(t *testing.T) {
	clk := newFakeClock()
	lock := &fakeLock{now: clk.Now, ttl: testLease}
	reg := prometheus.NewRegistry()
	opts := election.Options{Component: "scheduler", Registerer: reg}
	a := newElector(t, lock, testConfig("a", clk), opts)
	b := newElector(t, lock, testConfig("b", clk), opts) // shares the collectors
	la := newLeader(0)
	stopA := start(t, a, la.run)
	la.waitStarted(t)
	start(t, b, newLeader(0).run)
	eventually(t, "b standby", func() bool { return b.Status().Holder == "a" })

	check := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if got := metricValue(t, reg, name, labels); got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	check("minik8s_leader_is_leader", map[string]string{"component": "scheduler", "identity": "a"}, 1)
	check("minik8s_leader_is_leader", map[string]string{"component": "scheduler", "identity": "b"}, 0)
	check("minik8s_leader_transitions_total", map[string]string{"component": "scheduler"}, 1)

	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b leads", func() bool { return b.Status().Leader })
	check("minik8s_leader_is_leader", map[string]string{"component": "scheduler", "identity": "a"}, 0)
	check("minik8s_leader_is_leader", map[string]string{"component": "scheduler", "identity": "b"}, 1)
	check("minik8s_leader_transitions_total", map[string]string{"component": "scheduler"}, 3)
}

// metricValue returns the value of the gauge or counter name with exactly
// labels, or -1 if there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}
