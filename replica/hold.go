package replica

import (
	"context"
	"sync"

	"github.com/minik8s/minik8s/election"
)

// Hold freezes a replica: while it is frozen, Wait and every call to a lock
// wrapped with Lock block. The zero value is not usable; use NewHold.
type Hold struct {
	mu     sync.Mutex
	thawed chan struct{} // closed while not frozen
	done   chan struct{} // closed by Close: nothing waits any more
	closed bool
}

// NewHold returns a hold that is not frozen.
func NewHold() *Hold {
	h := &Hold{thawed: make(chan struct{}), done: make(chan struct{})}
	close(h.thawed)
	return h
}

// Freeze makes waiters block until Unfreeze. Freezing twice is a no-op.
func (h *Hold) Freeze() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.thawed:
		h.thawed = make(chan struct{})
	default:
	}
}

// Unfreeze releases the waiters. Unfreezing a thawed hold is a no-op.
func (h *Hold) Unfreeze() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.thawed:
	default:
		close(h.thawed)
	}
}

// Frozen reports whether the hold is frozen.
func (h *Hold) Frozen() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.thawed:
		return false
	default:
		return true
	}
}

// Close releases every waiter for good (the replica is stopping).
func (h *Hold) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

func (h *Hold) channels() (thawed, done <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.thawed, h.done
}

// Wait blocks while the hold is frozen; it returns ctx's error if ctx ends
// first.
func (h *Hold) Wait(ctx context.Context) error {
	thawed, _ := h.channels()
	select {
	case <-thawed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stall blocks while the hold is frozen, whatever ctx does, as a stopped
// process would; only Close ends it early. Then it reports ctx's error,
// if ctx ended meanwhile.
func (h *Hold) stall(ctx context.Context) error {
	thawed, done := h.channels()
	select {
	case <-thawed:
	case <-done:
	}
	return ctx.Err()
}

// Lock wraps l so that each call first stalls while the hold is frozen: a
// frozen leader neither renews nor notices that its renewal deadline has
// passed until it is unfrozen.
func (h *Hold) Lock(l election.Lock) election.Lock { return heldLock{l, h} }

type heldLock struct {
	election.Lock
	h *Hold
}

func (l heldLock) TryAcquire(ctx context.Context, id string) (election.Lease, error) {
	if err := l.h.stall(ctx); err != nil {
		return election.Lease{}, err
	}
	return l.Lock.TryAcquire(ctx, id)
}

func (l heldLock) Renew(ctx context.Context, lease election.Lease) (election.Lease, error) {
	if err := l.h.stall(ctx); err != nil {
		return election.Lease{}, err
	}
	return l.Lock.Renew(ctx, lease)
}

func (l heldLock) Release(ctx context.Context, lease election.Lease) error {
	if err := l.h.stall(ctx); err != nil {
		return err
	}
	return l.Lock.Release(ctx, lease)
}
