package leaselock_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
)

var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("conflict")
)

// fakeLeases is an in-memory LeaseClient with the API server's optimistic
// concurrency: every write bumps resourceVersion, and an Update naming a
// stale one fails with errConflict.
type fakeLeases struct {
	mu          sync.Mutex
	rv          int
	leases      map[string]*api.Lease
	beforeWrite func() // if set, runs (once) before the next write takes effect
	getErr      error
}

var _ leaselock.LeaseClient = (*fakeLeases)(nil)

func newFakeLeases() *fakeLeases { return &fakeLeases{leases: map[string]*api.Lease{}} }

func (f *fakeLeases) Get(ctx context.Context, name string) (*api.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	l, ok := f.leases[name]
	if !ok {
		return nil, errNotFound
	}
	return api.DeepCopy(l), nil
}

func (f *fakeLeases) Create(ctx context.Context, l *api.Lease) (*api.Lease, error) {
	f.hook()
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.leases[l.Name]; ok {
		return nil, errConflict
	}
	return f.store(l), nil
}

func (f *fakeLeases) Update(ctx context.Context, l *api.Lease) (*api.Lease, error) {
	f.hook()
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.leases[l.Name]
	if !ok {
		return nil, errNotFound
	}
	if cur.ResourceVersion != l.ResourceVersion {
		return nil, errConflict
	}
	return f.store(l), nil
}

// store saves a copy of l under a new resourceVersion; f.mu is held.
func (f *fakeLeases) store(l *api.Lease) *api.Lease {
	f.rv++
	c := api.DeepCopy(l)
	c.ResourceVersion = strconv.Itoa(f.rv)
	f.leases[l.Name] = c
	return api.DeepCopy(c)
}

func (f *fakeLeases) hook() {
	f.mu.Lock()
	h := f.beforeWrite
	f.beforeWrite = nil
	f.mu.Unlock()
	if h != nil {
		h()
	}
}

func (f *fakeLeases) spec(t *testing.T, name string) api.LeaseSpec {
	t.Helper()
	l, err := f.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Spec
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const ttl = 15 * time.Second

func newLock(f *fakeLeases, clk *fakeClock) *leaselock.Lock {
	return leaselock.New(f, "scheduler", ttl, leaselock.Options{
		IsNotFound: func(err error) bool { return errors.Is(err, errNotFound) },
		IsConflict: func(err error) bool { return errors.Is(err, errConflict) },
		Now:        clk.Now,
	})
}

func acquire(t *testing.T, l election.Lock, id string) election.Lease {
	t.Helper()
	lease, err := l.TryAcquire(context.Background(), id)
	if err != nil {
		t.Fatalf("TryAcquire(%q) = %v", id, err)
	}
	if lease.Holder != id {
		t.Fatalf("TryAcquire(%q) holder = %q", id, lease.Holder)
	}
	return lease
}

func wantHeldBy(t *testing.T, l election.Lock, id, holder string) *election.LeaseExistsError {
	t.Helper()
	_, err := l.TryAcquire(context.Background(), id)
	var held *election.LeaseExistsError
	if !errors.As(err, &held) || held.Holder != holder {
		t.Fatalf("TryAcquire(%q) = %v, want LeaseExistsError naming %q", id, err, holder)
	}
	return held
}

func TestLeaseLifecycle(t *testing.T) {
	f := newFakeLeases()
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLock(f, clk)
	ctx := context.Background()
	t0 := clk.Now()

	a := acquire(t, l, "a") // creates the Lease
	if a.Fence != 0 || !a.Expires.Equal(t0.Add(ttl)) {
		t.Errorf("first lease = %+v, want fence 0 expiring at %s", a, t0.Add(ttl))
	}
	s := f.spec(t, "scheduler")
	if *s.HolderIdentity != "a" || *s.LeaseDurationSeconds != 15 || *s.LeaseTransitions != 0 ||
		!s.AcquireTime.Equal(t0) || !s.RenewTime.Equal(t0) {
		t.Errorf("created spec = %+v", s)
	}
	if held := wantHeldBy(t, l, "b", "a"); !held.Expires.Equal(t0.Add(ttl)) {
		t.Errorf("LeaseExistsError.Expires = %s, want %s", held.Expires, t0.Add(ttl))
	}

	// Renewal moves renewTime, not acquireTime or the fence.
	clk.Advance(10 * time.Second)
	a, err := l.Renew(ctx, a)
	if err != nil {
		t.Fatalf("Renew = %v", err)
	}
	if s := f.spec(t, "scheduler"); !s.RenewTime.Equal(clk.Now()) || !s.AcquireTime.Equal(t0) || a.Fence != 0 {
		t.Errorf("after renew: spec %+v, lease %+v", s, a)
	}
	clk.Advance(10 * time.Second) // 20 s after acquiring, 10 s after renewing
	wantHeldBy(t, l, "b", "a")
	// The holder acquiring again keeps its fence and acquire time.
	if again := acquire(t, l, "a"); again.Fence != 0 || !f.spec(t, "scheduler").AcquireTime.Equal(t0) {
		t.Errorf("re-acquire by holder = %+v", again)
	}

	// Once the lease lapses, b takes it with the next fence; a is locked out.
	clk.Advance(ttl + time.Microsecond)
	b := acquire(t, l, "b")
	if b.Fence != 1 {
		t.Errorf("b's fence = %d, want 1", b.Fence)
	}
	if s := f.spec(t, "scheduler"); !s.AcquireTime.Equal(clk.Now()) || *s.LeaseTransitions != 1 {
		t.Errorf("after takeover: spec %+v", s)
	}
	if _, err := l.Renew(ctx, a); !errors.Is(err, election.ErrLeaseLost) {
		t.Errorf("a.Renew after takeover = %v, want ErrLeaseLost", err)
	}
	if err := l.Release(ctx, a); err != nil {
		t.Errorf("a.Release after takeover = %v, want nil", err)
	}
	wantHeldBy(t, l, "c", "b")

	// Release lets c in at once, without the clock moving.
	if err := l.Release(ctx, b); err != nil {
		t.Fatal(err)
	}
	if s := f.spec(t, "scheduler"); *s.HolderIdentity != "" || *s.LeaseDurationSeconds != 1 || *s.LeaseTransitions != 1 {
		t.Errorf("released spec = %+v", s)
	}
	if c := acquire(t, l, "c"); c.Fence != 2 {
		t.Errorf("c's fence = %d, want 2", c.Fence)
	}
	if _, err := l.Renew(ctx, b); !errors.Is(err, election.ErrLeaseLost) {
		t.Errorf("b.Renew after release = %v, want ErrLeaseLost", err)
	}
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name     string
		after    time.Duration
		acquired bool
	}{
		{"just renewed", 0, false},
		{"at expiry", ttl, false},
		{"past expiry", ttl + time.Microsecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLeases()
			clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := newLock(f, clk)
			acquire(t, l, "a")
			clk.Advance(tt.after)
			_, err := l.TryAcquire(context.Background(), "b")
			if got := err == nil; got != tt.acquired {
				t.Fatalf("TryAcquire(b) %s after renewal = %v, want acquired %v", tt.after, err, tt.acquired)
			}
		})
	}
}

func TestRacingCandidates(t *testing.T) {
	ctx := context.Background()
	var held *election.LeaseExistsError
	t.Run("create", func(t *testing.T) {
		f := newFakeLeases()
		clk := &fakeClock{t: time.Now()}
		l := newLock(f, clk)
		f.beforeWrite = func() { acquire(t, l, "b") } // b creates it first
		if _, err := l.TryAcquire(ctx, "a"); !errors.As(err, &held) {
			t.Fatalf("TryAcquire(a) = %v, want LeaseExistsError", err)
		}
		wantHeldBy(t, l, "a", "b")
	})
	t.Run("update", func(t *testing.T) {
		f := newFakeLeases()
		clk := &fakeClock{t: time.Now()}
		l := newLock(f, clk)
		acquire(t, l, "old")
		clk.Advance(2 * ttl)
		f.beforeWrite = func() { acquire(t, l, "b") } // b takes the expired lease first
		if _, err := l.TryAcquire(ctx, "a"); !errors.As(err, &held) {
			t.Fatalf("TryAcquire(a) = %v, want LeaseExistsError", err)
		}
		wantHeldBy(t, l, "a", "b")
		if s := f.spec(t, "scheduler"); *s.LeaseTransitions != 1 {
			t.Errorf("leaseTransitions = %d, want 1", *s.LeaseTransitions)
		}
	})
	t.Run("renew", func(t *testing.T) {
		f := newFakeLeases()
		clk := &fakeClock{t: time.Now()}
		l := newLock(f, clk)
		a := acquire(t, l, "a")
		// Someone edits the Lease between a's read and write: not a loss.
		f.beforeWrite = func() {
			cur, _ := f.Get(ctx, "scheduler")
			cur.Labels = map[string]string{"edited": "true"}
			if _, err := f.Update(ctx, cur); err != nil {
				t.Error(err)
			}
		}
		_, err := l.Renew(ctx, a)
		if !errors.Is(err, errConflict) || errors.Is(err, election.ErrLeaseLost) {
			t.Fatalf("Renew during an edit = %v, want the conflict, not ErrLeaseLost", err)
		}
		if _, err := l.Renew(ctx, a); err != nil {
			t.Fatalf("Renew again = %v", err)
		}
	})
}

func TestClientErrorsAreNotLeaseErrors(t *testing.T) {
	f := newFakeLeases()
	l := newLock(f, &fakeClock{t: time.Now()})
	a := acquire(t, l, "a")
	down := errors.New("connection refused")
	f.getErr = down
	ctx := context.Background()
	if _, err := l.TryAcquire(ctx, "b"); !errors.Is(err, down) {
		t.Errorf("TryAcquire = %v, want %v", err, down)
	}
	if _, err := l.Renew(ctx, a); !errors.Is(err, down) || errors.Is(err, election.ErrLeaseLost) {
		t.Errorf("Renew = %v, want %v", err, down)
	}
	if err := l.Release(ctx, a); !errors.Is(err, down) {
		t.Errorf("Release = %v, want %v", err, down)
	}
}

// TestElection runs two electors over one Lease: one leads, and the standby
// takes over at once when the leader shuts down and releases.
func TestElection(t *testing.T) {
	f := newFakeLeases()
	l := newLock(f, &fakeClock{t: time.Now()}) // the clock stands still: only a release frees the lease
	started := make(chan string, 4)
	stops := map[string]func() error{}
	for _, id := range []string{"a", "b"} {
		cfg := election.Config{Identity: id, LeaseDuration: ttl, RenewDeadline: 10 * time.Second, RetryPeriod: 10 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- election.Run(ctx, l, cfg, zerolog.Nop(), func(ctx context.Context) error {
				started <- id
				<-ctx.Done()
				return nil
			})
		}()
		stops[id] = func() error { cancel(); return <-done }
	}
	first := <-started
	second := "a"
	if first == "a" {
		second = "b"
	}
	if err := stops[first](); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-started:
		if got != second {
			t.Fatalf("%s led again", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("standby did not take over after release")
	}
	if s := f.spec(t, "scheduler"); *s.HolderIdentity != second || *s.LeaseTransitions != 1 {
		t.Errorf("holder %q, transitions %d; want %s after 1 transition", *s.HolderIdentity, *s.LeaseTransitions, second)
	}
	if err := stops[second](); err != nil {
		t.Fatal(err)
	}
}
