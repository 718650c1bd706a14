package election_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/election"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeLock is an in-memory election.Lock on a fake clock, with the semantics
// of the real ones: acquire if free, expired or ours; the fence grows on
// every change of holder; renew and release are compare-and-set.
type fakeLock struct {
	now func() time.Time
	ttl time.Duration

	mu        sync.Mutex
	holder    string
	fence     int64
	expires   time.Time
	down      error  // while set, every call fails with it
	renews    int    // Renew calls
	onRelease func() // called by Release while the lease is still held
}

var _ election.Lock = (*fakeLock)(nil)

func (f *fakeLock) TryAcquire(ctx context.Context, id string) (election.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return election.Lease{}, f.down
	}
	now := f.now()
	if f.holder != "" && f.holder != id && now.Before(f.expires) {
		return election.Lease{}, &election.LeaseExistsError{Holder: f.holder, Expires: f.expires}
	}
	if f.holder != id {
		f.fence++
	}
	f.holder, f.expires = id, now.Add(f.ttl)
	return election.Lease{Holder: id, Expires: f.expires, Fence: f.fence}, nil
}

func (f *fakeLock) Renew(ctx context.Context, l election.Lease) (election.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renews++
	if f.down != nil {
		return election.Lease{}, f.down
	}
	now := f.now()
	if f.holder != l.Holder || f.fence != l.Fence || !now.Before(f.expires) {
		return election.Lease{}, election.ErrLeaseLost
	}
	f.expires = now.Add(f.ttl)
	l.Expires = f.expires
	return l, nil
}

func (f *fakeLock) Release(ctx context.Context, l election.Lease) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return f.down
	}
	if f.holder == l.Holder && f.fence == l.Fence {
		if f.onRelease != nil {
			f.onRelease()
		}
		f.holder, f.expires = "", time.Time{}
	}
	return nil
}

func (f *fakeLock) Describe() string { return "fake" }

// steal hands the lock to id at once, whatever its state.
func (f *fakeLock) steal(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fence++
	f.holder, f.expires = id, f.now().Add(f.ttl)
}

func (f *fakeLock) setDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

func (f *fakeLock) state() (holder string, fence int64, expires time.Time, renews int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holder, f.fence, f.expires, f.renews
}

// eventually polls cond every millisecond until it holds, failing after 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}
