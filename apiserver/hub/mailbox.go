package hub

import (
	"sync"

	"github.com/minik8s/minik8s/store"
)

// mailbox is a watcher's queue of changes from the hub. Unlike a buffered
// channel it holds no memory while empty: the hub keeps one per watcher,
// about fifty in a quiet `minik8s all`, where channels of
// DefaultWatcherBuffer changes cost about 9 MB together. The hub bounds it
// (put's limit and WithWatcherBytes); it grows only as far as a burst needs.
type mailbox struct {
	mu     sync.Mutex
	items  []store.Change
	closed bool
	ready  chan struct{} // holds a token once something was put or the box closed
}

func newMailbox() *mailbox { return &mailbox{ready: make(chan struct{}, 1)} }

// put appends c unless the mailbox holds limit changes already or is
// closed; it reports whether c was queued.
func (m *mailbox) put(c store.Change, limit int) bool {
	m.mu.Lock()
	ok := !m.closed && len(m.items) < limit
	if ok {
		m.items = append(m.items, c)
	}
	m.mu.Unlock()
	if ok {
		m.signal()
	}
	return ok
}

// close lets the reader drain what is queued, then see the end.
func (m *mailbox) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.signal()
}

func (m *mailbox) signal() {
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// maxKeptBatch is the largest batch slice take hands back for reuse; a
// larger one, left by a burst, is dropped so an idle watcher shrinks again.
const maxKeptBatch = 256

// take returns the queued changes (in order, emptying the mailbox) in a
// slice that may reuse buf's array, and whether more may come: false once
// the mailbox is closed and nothing is left. With nothing queued, wait on
// m.ready.
func (m *mailbox) take(buf []store.Change) (batch []store.Change, open bool) {
	if cap(buf) > maxKeptBatch {
		buf = nil
	}
	clear(buf[:cap(buf)]) // drop references to the values of the last batch
	m.mu.Lock()
	defer m.mu.Unlock()
	batch, m.items = m.items, buf[:0]
	return batch, !m.closed || len(batch) > 0
}
