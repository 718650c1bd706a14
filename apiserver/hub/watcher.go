package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/minik8s/minik8s/store"
)

// Watcher is one watch: Events yields its changes in revision order.
type Watcher struct {
	hub    *Hub
	filter func(*store.Change) bool
	index  IndexKey
	from   int64             // deliver only revisions above this
	live   *mailbox          // hub → watcher; closed by the hub on removal
	out    chan store.Change // watcher → client
	done   chan struct{}     // closed by Stop
	stop   sync.Once
	// pending is the changeSize of the changes in live, which the hub
	// bounds (WithWatcherBytes).
	pending atomic.Int64

	mu  sync.Mutex
	err error
}

// Watch returns a watcher yielding, in order and exactly once, every change
// with a revision above fromRev that passes filter (nil passes everything).
// fromRev 0 means from the hub's current revision. Changes up to the hub's
// current revision are replayed from memory or the change log, then live
// changes follow.
//
// filter is called from the hub's goroutine and the watcher's, possibly at
// the same time; it must be fast and must not retain or modify the change.
// Delivered changes share their Value bytes with other watchers: read only.
//
// Watch waits until Run has started (or ctx is done). It returns an error
// wrapping store.ErrCompacted if the change log no longer holds the revisions
// after fromRev and the ring does not either, and ErrStopped if Run has
// returned. The watcher ends when ctx is done, Stop is called, or as Err
// reports.
func (h *Hub) Watch(ctx context.Context, fromRev int64, filter func(*store.Change) bool) (*Watcher, error) {
	return h.WatchIndexed(ctx, fromRev, filter, IndexKey{})
}

// IndexKey is the resource and the indexed value (WithIndex) of the
// changes a watcher may want: one whose filter passes only objects of
// Resource whose indexed value is Value. The zero IndexKey is no index.
type IndexKey struct {
	Resource, Value string
}

// WatchIndexed is Watch for a watcher that wants only changes of ix's
// resource whose indexed value is, or was before the change, ix.Value;
// the hub offers it no other live change. Its filter must still select
// them: the index skips watchers, it does not filter them.
func (h *Hub) WatchIndexed(ctx context.Context, fromRev int64, filter func(*store.Change) bool, ix IndexKey) (*Watcher, error) {
	if fromRev < 0 {
		return nil, fmt.Errorf("watch: negative revision %d", fromRev)
	}
	select {
	case <-h.started:
	case <-h.stopped:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if filter == nil {
		filter = func(*store.Change) bool { return true }
	}
	w := &Watcher{
		hub:    h,
		filter: filter,
		index:  ix,
		live:   newMailbox(),
		out:    make(chan store.Change),
		done:   make(chan struct{}),
	}

	// Register at a known revision: the hub sends every change after head
	// to w.live; the replay covers (fromRev, head].
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrStopped
	}
	head := h.last
	if fromRev == 0 {
		fromRev = head
	}
	w.from = fromRev
	var fromRing []packed
	fromLog := false
	if fromRev < head {
		var inRing bool
		fromRing, inRing = h.ring.since(fromRev)
		fromLog = !inRing
	}
	h.watchers[w] = struct{}{}
	if ix == (IndexKey{}) {
		h.unindexed[w] = struct{}{}
	} else {
		byValue := h.indexed[ix.Resource]
		if byValue == nil {
			byValue = make(map[string]map[*Watcher]struct{})
			h.indexed[ix.Resource] = byValue
		}
		if byValue[ix.Value] == nil {
			byValue[ix.Value] = make(map[*Watcher]struct{})
		}
		byValue[ix.Value][w] = struct{}{}
	}
	h.mu.Unlock()

	var replay []store.Change
	if fromLog {
		// Read the first page now, so that a compacted revision is the
		// caller's error rather than an ended watch.
		var err error
		replay, err = h.log.Changes(ctx, fromRev, pageSize)
		if err != nil {
			h.remove(w, nil)
			return nil, fmt.Errorf("replay change log after %d: %w", fromRev, err)
		}
	}
	go w.run(ctx, fromRing, replay, fromLog, head)
	return w, nil
}

// Bookmark is the type of the progress notes that RequestBookmark asks
// for: a change without an object whose Revision says that every change up
// to it that passes the filter has been yielded before it.
const Bookmark store.EventType = "BOOKMARK"

// RequestBookmark queues a Bookmark at the hub's current revision behind
// every change already queued for w, so that Events yields it in revision
// order. It reports false, and no bookmark comes, if w's buffer is full or
// w has ended.
func (w *Watcher) RequestBookmark() bool {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.watchers[w]; !ok {
		return false
	}
	return w.live.put(store.Change{Revision: h.last, Type: Bookmark}, h.opts.watcherBuffer)
}

// Events returns the channel of changes (and of the bookmarks asked for).
// It is closed when the watcher ends; Err then says why.
func (w *Watcher) Events() <-chan store.Change { return w.out }

// Err returns why Events was closed: nil after Stop or when the Watch ctx
// is done, ErrSlowWatcher, ErrStopped, or an error reading the change log
// (wrapping store.ErrCompacted if the log was compacted meanwhile). It is
// meaningful once Events is closed.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stop ends the watcher; Events is closed soon after. Stop is idempotent and
// safe to call concurrently with everything.
func (w *Watcher) Stop() {
	w.hub.remove(w, nil)
	w.stop.Do(func() { close(w.done) })
}

func (w *Watcher) setErr(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// run replays (w.from, head] — all of it from the ring, or from the change
// log: replay is its first page, the rest is read page by page — then
// forwards live changes, which the hub has already filtered.
func (w *Watcher) run(ctx context.Context, fromRing []packed, replay []store.Change, fromLog bool, head int64) {
	defer close(w.out)
	defer w.hub.remove(w, nil) // unregister if ending for our own reasons

	for i := range fromRing {
		c, err := fromRing[i].unpack()
		if err != nil {
			w.setErr(fmt.Errorf("replay revision %d from the ring: %w", fromRing[i].Revision, err))
			return
		}
		fromRing[i] = packed{} // let its bytes go
		if w.filter(&c) && !w.send(ctx, c) {
			return
		}
	}
	after := w.from
replay:
	for page := replay; ; {
		for _, c := range page {
			if c.Revision > head {
				break replay // live from here
			}
			after = c.Revision
			if w.filter(&c) && !w.send(ctx, c) {
				return
			}
		}
		if !fromLog || len(page) < pageSize || after >= head {
			break
		}
		var err error
		if page, err = w.hub.log.Changes(ctx, after, pageSize); err != nil {
			if ctx.Err() == nil {
				w.setErr(fmt.Errorf("replay change log after %d: %w", after, err))
			}
			return
		}
	}

	var batch []store.Change
	for {
		var open bool
		batch, open = w.live.take(batch)
		for _, c := range batch {
			if c.Type != Bookmark {
				w.pending.Add(-changeSize(&c))
			}
			// A bookmark at w.from is news too: nothing up to it is missing.
			if (c.Revision > w.from || c.Type == Bookmark && c.Revision == w.from) && !w.send(ctx, c) {
				return
			}
		}
		if !open {
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-w.live.ready:
		case <-w.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// send hands c to the client; false means the watcher is ending.
func (w *Watcher) send(ctx context.Context, c store.Change) bool {
	select {
	case w.out <- c:
		return true
	case <-w.done:
		return false
	case <-ctx.Done():
		return false
	}
}
