package hub

import (
	"context"
	"sync"

	"github.com/minik8s/minik8s/store"
)

// Bus carries committed changes from the API server that made them to every
// API server's Hub.
//
// Publish is called with each commit's changes, in revision order, from the
// store's commit loop: it must return quickly (a bus may queue internally)
// and must keep the order of successive calls. Callers serialise Publish.
// Publish does not retain the slice after it returns, but may retain the
// changes' Value bytes, which nobody may modify.
//
// Subscribe returns a channel yielding changes published from then on by any
// publisher, each publisher's changes in order. The channel is closed when
// ctx is done or the subscription fails (a slow reader, a lost connection);
// the subscriber then subscribes again. Delivery is best-effort: the Hub
// heals lost messages from the change log.
type Bus interface {
	Publish(ctx context.Context, changes []store.Change) error
	Subscribe(ctx context.Context) (<-chan store.Change, error)
}

var _ Bus = (*Local)(nil)

// DefaultLocalBuffer is the channel capacity of a Local subscription.
const DefaultLocalBuffer = 4096

// Local is the in-process Bus of a single API server. It fans each change
// out to every subscriber without blocking: a subscriber whose channel is
// full is dropped (its channel closed) rather than waited for, like kine's
// broadcaster. Local is safe for concurrent use; the zero value is not
// usable, call NewLocal.
type Local struct {
	buffer int

	mu   sync.Mutex
	subs map[chan store.Change]struct{}
}

// NewLocal returns a Local bus whose subscriptions buffer up to buffer
// changes (DefaultLocalBuffer when buffer <= 0).
func NewLocal(buffer int) *Local {
	if buffer <= 0 {
		buffer = DefaultLocalBuffer
	}
	return &Local{buffer: buffer, subs: make(map[chan store.Change]struct{})}
}

// Publish hands changes to every subscriber and never blocks; it always
// returns nil.
func (l *Local) Publish(_ context.Context, changes []store.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
	send:
		for _, c := range changes {
			select {
			case ch <- c:
			default:
				// Too slow: drop it rather than wait. Its reader
				// resubscribes and catches up from the change log.
				l.dropLocked(ch)
				break send
			}
		}
	}
	return nil
}

// Subscribe registers a subscriber until ctx is done. It never fails.
func (l *Local) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	ch := make(chan store.Change, l.buffer)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.dropLocked(ch)
	})
	return ch, nil
}

// Subscribers returns the number of live subscriptions.
func (l *Local) Subscribers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
}

func (l *Local) dropLocked(ch chan store.Change) {
	if _, ok := l.subs[ch]; ok {
		delete(l.subs, ch)
		close(ch)
	}
}
