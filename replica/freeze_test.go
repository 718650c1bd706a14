package replica

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// memLock is an in-memory election.Lock on the wall clock.
type memLock struct {
	mu      sync.Mutex
	ttl     time.Duration
	holder  string
	expires time.Time
	fence   int64
}

func (l *memLock) TryAcquire(_ context.Context, id string) (election.Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.holder != "" && l.holder != id && now.Before(l.expires) {
		return election.Lease{}, &election.LeaseExistsError{Holder: l.holder, Expires: l.expires}
	}
	if l.holder != id {
		l.fence++
	}
	l.holder, l.expires = id, now.Add(l.ttl)
	return election.Lease{Holder: id, Expires: l.expires, Fence: l.fence}, nil
}

func (l *memLock) Renew(_ context.Context, lease election.Lease) (election.Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.holder != lease.Holder || l.fence != lease.Fence || !now.Before(l.expires) {
		return election.Lease{}, election.ErrLeaseLost
	}
	l.expires = now.Add(l.ttl)
	lease.Expires = l.expires
	return lease, nil
}

func (l *memLock) Release(_ context.Context, lease election.Lease) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder == lease.Holder && l.fence == lease.Fence {
		l.holder = ""
	}
	return nil
}

func (l *memLock) Describe() string { return "memory" }

// gatedRole counts the steps its gate lets through.
type gatedRole struct {
	gate  func(context.Context) error
	steps chan struct{}
}

func (g *gatedRole) Lead(ctx context.Context) error {
	for {
		if err := g.gate(ctx); err != nil {
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case g.steps <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFreezeLosesLease: a frozen leader stops renewing and acting; a
// standby takes over once the lease expires; the unfrozen replica acts on
// nothing and becomes a standby.
func TestFreezeLosesLease(t *testing.T) {
	cfg := election.Config{LeaseDuration: 300 * time.Millisecond, RenewDeadline: 200 * time.Millisecond, RetryPeriod: 50 * time.Millisecond}
	lock := &memLock{ttl: cfg.LeaseDuration}
	var reps []*Replica
	var roles []*gatedRole
	for i, id := range []string{"a", "b"} {
		r := New(i, id, zerolog.Nop())
		c := cfg
		c.Identity = id
		el, err := election.New(r.Hold().Lock(lock), c, zerolog.Nop(), election.Options{})
		if err != nil {
			t.Fatal(err)
		}
		role := &gatedRole{gate: r.Gate, steps: make(chan struct{}, 1<<16)}
		r.Attach(role.Lead, el)
		reps, roles = append(reps, r), append(roles, role)
		if i == 0 {
			// Let a lead before b campaigns.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = r.Run(ctx) }()
			waitUntil(t, "a leads", func() bool { return r.Status().Leading })
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = reps[1].Run(ctx) }()
	a, b := reps[0], reps[1]

	a.Hold().Freeze()
	drain(roles[0].steps)
	waitUntil(t, "b leads", func() bool { return b.Status().Leading })
	if st := a.Status(); !st.Frozen || !st.Leading {
		// Frozen, a cannot even notice: its status is as it was.
		t.Fatalf("frozen a: %+v", st)
	}
	time.Sleep(20 * time.Millisecond)
	if n := drain(roles[0].steps); n > 1 {
		t.Fatalf("a took %d steps while frozen", n)
	}

	a.Hold().Unfreeze()
	waitUntil(t, "a stands by", func() bool { return !a.Status().Leading })
	time.Sleep(100 * time.Millisecond)
	if n := drain(roles[0].steps); n != 0 {
		t.Fatalf("a took %d steps after it was unfrozen without its lease", n)
	}
	if err := a.Gate(context.Background()); !errors.Is(err, ErrLeaseExpired) {
		t.Fatalf("a's gate = %v, want ErrLeaseExpired", err)
	}
	if st := b.Status(); !st.Leading || st.Fence != 2 {
		t.Fatalf("b: %+v, want leading with fence 2", st)
	}
}

func drain(ch chan struct{}) int {
	n := 0
	for {
		select {
		case <-ch:
			n++
		default:
			return n
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}
