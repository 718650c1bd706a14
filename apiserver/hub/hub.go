package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/store"
)

// Defaults of the Hub's options.
const (
	DefaultPollInterval  = time.Second
	DefaultRingSize      = 10000
	DefaultRingBytes     = 64 << 20
	DefaultWatcherBuffer = 1000
	DefaultWatcherBytes  = 16 << 20
)

const (
	pageSize   = 500 // changes read from the log per query
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

var (
	// ErrSlowWatcher: the watcher's client fell further behind than the
	// watcher's buffer allows, so the hub closed it. The client should watch
	// again from the last revision it received.
	ErrSlowWatcher = errors.New("hub: watcher fell behind")
	// ErrStopped: the hub's Run has returned; no more changes are delivered.
	ErrStopped = errors.New("hub: stopped")
)

// Option changes a Hub default.
type Option func(*options)

type options struct {
	pollInterval  time.Duration
	ringSize      int
	ringBytes     int64
	watcherBuffer int
	watcherBytes  int64
	index         func(*store.Change) (string, bool)
}

// WithPollInterval sets how often the hub compares its revision with the
// change log's (DefaultPollInterval); d <= 0 keeps the default.
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pollInterval = d
		}
	}
}

// WithRingSize sets how many recent changes the hub keeps in memory for
// replay (DefaultRingSize); 0 disables the ring, n < 0 keeps the default.
func WithRingSize(n int) Option {
	return func(o *options) {
		if n >= 0 {
			o.ringSize = n
		}
	}
}

// WithRingBytes bounds the memory of the changes the ring keeps
// (DefaultRingBytes): the oldest are dropped beyond n bytes, and watchers
// from before them replay from the change log; n <= 0 keeps the default.
func WithRingBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.ringBytes = n
		}
	}
}

// WithWatcherBytes sets how many bytes of changes a watcher may have
// pending before it is closed as slow (DefaultWatcherBytes); a single
// change larger than that is still delivered to a watcher with nothing
// pending. n <= 0 keeps the default.
func WithWatcherBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.watcherBytes = n
		}
	}
}

// WithIndex has the hub index watchers by a value of each change, as
// Kubernetes' watch cache indexes pod watchers by spec.nodeName: index
// returns that value and whether the change's resource is indexed. A
// watcher registered with an IndexKey (WatchIndexed) is then offered only
// the changes of its resource whose value, before or after the change, is
// its key's, instead of every change: a pod's change costs the watchers of
// its node, not those of every node. A watcher's filter still decides what
// it gets; the index only skips the watchers a change cannot concern.
func WithIndex(index func(*store.Change) (value string, indexed bool)) Option {
	return func(o *options) { o.index = index }
}

// WithWatcherBuffer sets how many changes a watcher may have pending before
// it is closed as slow (DefaultWatcherBuffer); n <= 0 keeps the default.
func WithWatcherBuffer(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.watcherBuffer = n
		}
	}
}

// Hub delivers committed changes to watchers in revision order; see the
// package documentation. Its methods are safe for concurrent use.
type Hub struct {
	log    store.ChangeLog
	bus    Bus
	logger zerolog.Logger
	errLog zerolog.Logger // rate-limited, for errors repeated by loops
	opts   options

	running    atomic.Bool
	subscribed atomic.Bool
	started    chan struct{} // closed once the starting revision is known
	stopped    chan struct{} // closed when Run returns
	packer     packer        // only Run's goroutine delivers

	mu       sync.Mutex
	last     int64         // last delivered revision
	advanced chan struct{} // if not nil, closed when last next changes
	ring     ring
	watchers map[*Watcher]struct{} // all of them
	// unindexed are the watchers without an IndexKey; indexed those with
	// one, by resource and value. lastIndex is the indexed value of every
	// object of an indexed resource as of the last change delivered: a
	// change is offered to the watchers of its old value too. A change of
	// an object missing from it (one that has not changed since the hub
	// started) is offered to every indexed watcher of its resource.
	unindexed map[*Watcher]struct{}
	indexed   map[string]map[string]map[*Watcher]struct{}
	lastIndex map[store.Key]string
	closed    bool
}

// New returns a Hub that reads gaps from log and live changes from bus. It
// starts nothing; call Run.
func New(log store.ChangeLog, bus Bus, logger zerolog.Logger, opts ...Option) *Hub {
	o := options{
		pollInterval:  DefaultPollInterval,
		ringSize:      DefaultRingSize,
		ringBytes:     DefaultRingBytes,
		watcherBuffer: DefaultWatcherBuffer,
		watcherBytes:  DefaultWatcherBytes,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Hub{
		log:       log,
		bus:       bus,
		logger:    logger,
		errLog:    logger.Sample(&zerolog.BurstSampler{Burst: 3, Period: 10 * time.Second}),
		opts:      o,
		started:   make(chan struct{}),
		stopped:   make(chan struct{}),
		ring:      newRing(o.ringSize, o.ringBytes),
		watchers:  make(map[*Watcher]struct{}),
		unindexed: make(map[*Watcher]struct{}),
		indexed:   make(map[string]map[string]map[*Watcher]struct{}),
		lastIndex: make(map[store.Key]string),
	}
}

// Run subscribes to the bus, learns the change log's current revision and
// delivers changes until ctx is done. A failed or closed subscription is
// renewed with backoff while the hub keeps polling the change log. When Run
// returns, every watcher is closed with ErrStopped and Watch fails. Run
// returns nil once ctx is done; it may be called only once.
func (h *Hub) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return errors.New("hub: Run called twice")
	}
	defer h.shutdown()

	// Subscribe before reading the revision: whatever commits in between
	// arrives on the bus and is dropped as a duplicate, so nothing is lost.
	events, err := h.bus.Subscribe(ctx)
	retry := time.NewTimer(minBackoff)
	backoff := minBackoff
	if err != nil {
		h.errLog.Warn().Err(err).Msg("subscribe to bus failed; polling the change log meanwhile")
	} else {
		h.subscribed.Store(true)
		retry.Stop()
	}
	defer retry.Stop()

	rev, err := h.startRevision(ctx)
	if err != nil {
		return nil // ctx done
	}
	h.mu.Lock()
	h.last = rev
	h.ring.reset(rev)
	h.advanceLocked()
	h.mu.Unlock()
	close(h.started)
	h.logger.Info().Int64("rev", rev).Msg("watch hub started")

	poll := time.NewTicker(h.opts.pollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case c, ok := <-events:
			if !ok {
				events = nil
				h.subscribed.Store(false)
				h.logger.Warn().Msg("bus subscription closed; resubscribing")
				backoff = minBackoff
				retry.Reset(backoff)
				continue
			}
			h.receive(ctx, c)
		case <-poll.C:
			h.poll(ctx)
		case <-retry.C:
			events, err = h.bus.Subscribe(ctx)
			if err != nil {
				h.errLog.Warn().Err(err).Dur("backoff", backoff).Msg("subscribe to bus failed")
				backoff = min(2*backoff, maxBackoff)
				retry.Reset(backoff)
				continue
			}
			h.subscribed.Store(true)
			h.logger.Info().Msg("bus subscription renewed")
			// Catch up with what was published while unsubscribed; anything
			// committed later arrives on the new subscription.
			h.poll(ctx)
		}
	}
}

// startRevision returns the change log's revision, retrying with backoff;
// it fails only when ctx is done.
func (h *Hub) startRevision(ctx context.Context) (int64, error) {
	for backoff := minBackoff; ; backoff = min(2*backoff, maxBackoff) {
		rev, err := h.log.Revision(ctx)
		if err == nil {
			return rev, nil
		}
		h.errLog.Warn().Err(err).Msg("read store revision failed")
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

func (h *Hub) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.subscribed.Store(false)
	for w := range h.watchers {
		h.removeLocked(w, ErrStopped)
	}
	close(h.stopped)
}

// receive handles one change from the bus.
func (h *Hub) receive(ctx context.Context, c store.Change) {
	last := h.Revision()
	if c.Revision <= last {
		return // duplicate, or already read from the change log
	}
	if c.Revision > last+1 {
		// A gap: deliver the missing revisions from the log first.
		if err := h.catchUp(ctx, c.Revision-1); err != nil {
			h.errLog.Warn().Err(err).Int64("rev", c.Revision).Msg("fill gap from change log failed; retrying at next poll")
			return
		}
		if last = h.Revision(); c.Revision != last+1 {
			// Already delivered from the log, or the log does not show the
			// gap's revisions yet: the next poll takes it from there.
			return
		}
	}
	h.deliver([]store.Change{c})
}

// poll delivers whatever the change log holds beyond the last revision.
func (h *Hub) poll(ctx context.Context) {
	rev, err := h.log.Revision(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.errLog.Warn().Err(err).Msg("read store revision failed")
		}
		return
	}
	if rev > h.Revision() {
		if err := h.catchUp(ctx, rev); err != nil && ctx.Err() == nil {
			h.errLog.Warn().Err(err).Msg("read change log failed")
		}
	}
}

// catchUp delivers changes from the log until the last delivered revision
// reaches target or the log has nothing more. The log is authoritative: a
// revision it skips does not exist. If the log was compacted past the last
// delivered revision, every watcher is closed with store.ErrCompacted (their
// clients relist) and the hub restarts from the log's current revision.
func (h *Hub) catchUp(ctx context.Context, target int64) error {
	for {
		last := h.Revision()
		if last >= target {
			return nil
		}
		cs, err := h.log.Changes(ctx, last, pageSize)
		if errors.Is(err, store.ErrCompacted) {
			return h.restart(ctx, last)
		}
		if err != nil {
			return fmt.Errorf("read changes after %d: %w", last, err)
		}
		if len(cs) == 0 {
			return nil
		}
		h.deliver(cs)
	}
}

func (h *Hub) restart(ctx context.Context, last int64) error {
	rev, err := h.log.Revision(ctx)
	if err != nil {
		return fmt.Errorf("read store revision: %w", err)
	}
	h.logger.Error().Int64("rev", last).Int64("newRev", rev).
		Msg("change log compacted past the hub's revision; closing all watchers")
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		h.removeLocked(w, store.ErrCompacted)
	}
	h.last = rev
	h.ring.reset(rev)
	clear(h.lastIndex) // the changes skipped may have moved objects
	h.advanceLocked()
	return nil
}

// advanceLocked wakes the callers of WaitRevision to look at h.last again.
func (h *Hub) advanceLocked() {
	if h.advanced != nil {
		close(h.advanced)
		h.advanced = nil
	}
}

// WaitRevision waits until the hub has delivered revision rev, for at
// most timeout or until ctx is done, and returns the last delivered
// revision and whether it reached rev. A revision the change log does not
// hold yet is, to a client, one from the future: Kubernetes answers it with
// "Too large resource version" after such a wait.
func (h *Hub) WaitRevision(ctx context.Context, rev int64, timeout time.Duration) (int64, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		h.mu.Lock()
		last := h.last
		if last >= rev {
			h.mu.Unlock()
			return last, true
		}
		if h.advanced == nil {
			h.advanced = make(chan struct{})
		}
		advanced := h.advanced
		h.mu.Unlock()
		select {
		case <-advanced:
		case <-t.C:
			return h.Revision(), false
		case <-ctx.Done():
			return h.Revision(), false
		case <-h.stopped:
			return h.Revision(), false
		}
	}
}

// deliver hands changes, in revision order, to the ring and every watcher,
// skipping those at or below the last delivered revision. It never blocks:
// a watcher without room is closed with ErrSlowWatcher.
func (h *Hub) deliver(cs []store.Change) {
	// Pack for the ring and read the indexed values before taking the
	// lock that watchers wait on.
	var ps []packed
	if len(h.ring.buf) > 0 {
		ps = make([]packed, len(cs))
		for i, c := range cs {
			ps[i] = h.packer.pack(c)
		}
	}
	type indexValue struct {
		value string
		ok    bool
	}
	var ixs []indexValue
	if h.opts.index != nil {
		ixs = make([]indexValue, len(cs))
		for i := range cs {
			ixs[i].value, ixs[i].ok = h.opts.index(&cs[i])
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.advanceLocked()
	for i, c := range cs {
		if c.Revision <= h.last {
			continue
		}
		h.last = c.Revision
		if ps != nil {
			h.ring.push(ps[i])
		}
		sz := changeSize(&c)
		for w := range h.unindexed {
			h.offerLocked(w, &c, sz)
		}
		if ixs == nil || !ixs[i].ok {
			continue
		}
		value := ixs[i].value
		if byValue := h.indexed[c.Resource]; len(byValue) > 0 {
			old, known := h.lastIndex[c.Key]
			if c.Type == store.Added { // nothing before it
				old, known = value, true
			}
			switch {
			case !known:
				for _, ws := range byValue {
					for w := range ws {
						h.offerLocked(w, &c, sz)
					}
				}
			case old != value:
				for w := range byValue[old] {
					h.offerLocked(w, &c, sz)
				}
				fallthrough
			default:
				for w := range byValue[value] {
					h.offerLocked(w, &c, sz)
				}
			}
		}
		switch _, had := h.lastIndex[c.Key]; {
		case c.Type == store.Deleted:
			delete(h.lastIndex, c.Key)
		case had:
			h.lastIndex[c.Key] = value
		default:
			// A key of its own: the change's strings may share a buffer
			// that is not ours to keep.
			k := store.Key{Resource: unique.Make(c.Resource).Value(), Namespace: unique.Make(c.Namespace).Value(), Name: strings.Clone(c.Name)}
			h.lastIndex[k] = value
		}
	}
}

// offerLocked queues c for w if w's filter passes it, closing w as slow
// if it has no room.
func (h *Hub) offerLocked(w *Watcher, c *store.Change, sz int64) {
	if !w.filter(c) {
		return
	}
	if pending := w.pending.Load(); pending > 0 && pending+sz > h.opts.watcherBytes {
		h.removeLocked(w, ErrSlowWatcher)
		h.logger.Debug().Int64("rev", c.Revision).Int64("bytes", pending).Msg("closed slow watcher")
		return
	}
	if !w.live.put(*c, h.opts.watcherBuffer) {
		h.removeLocked(w, ErrSlowWatcher)
		h.logger.Debug().Int64("rev", c.Revision).Msg("closed slow watcher")
		return
	}
	w.pending.Add(sz)
}

// removeLocked unregisters w, if still registered, recording err as the
// reason; its live channel is closed, so it ends after draining it.
func (h *Hub) removeLocked(w *Watcher, err error) {
	if _, ok := h.watchers[w]; !ok {
		return
	}
	delete(h.watchers, w)
	if w.index == (IndexKey{}) {
		delete(h.unindexed, w)
	} else if byValue := h.indexed[w.index.Resource]; byValue != nil {
		delete(byValue[w.index.Value], w)
		if len(byValue[w.index.Value]) == 0 {
			delete(byValue, w.index.Value)
		}
	}
	w.setErr(err)
	w.live.close()
}

func (h *Hub) remove(w *Watcher, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(w, err)
}

// Latest returns the newest version of object k that the hub has
// delivered, if it holds it (among its recent changes, or kept beyond
// them for an object whose newest change is older) and it is not a
// deletion. It is a guess at the current version for a write, which
// checks it (compare-and-swap): the store may be ahead by changes not yet
// delivered. A client that saw a version through a watch finds it here or
// something newer, as changes reach the ring before any watcher. The
// Record's Value is the caller's own.
func (h *Hub) Latest(k store.Key) (store.Record, bool) {
	h.mu.Lock()
	held, ok := h.ring.current(k)
	h.mu.Unlock()
	if !ok {
		return store.Record{}, false
	}
	c, err := held.unpack()
	if err != nil { // never packed by us: let the caller read the store
		return store.Record{}, false
	}
	return c.Record, true
}

// Revision returns the last revision delivered to watchers (0 before Run has
// started), for bookmarks: every change up to it has been delivered.
func (h *Hub) Revision() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// BufferedBytes returns the memory the ring's changes hold (by
// changeSize), at most the WithRingBytes bound.
func (h *Hub) BufferedBytes() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ring.bytes
}

// Watchers returns the number of open watchers.
func (h *Hub) Watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers)
}

// Ready reports whether the hub is running and subscribed to the bus. A hub
// that is not ready still delivers every change, but only as fast as it
// polls the change log.
func (h *Hub) Ready() bool { return h.Started() && h.subscribed.Load() }

// Started reports whether Run has learnt the change log's revision and is
// delivering changes (from the bus, or by polling the change log while it
// is not subscribed).
func (h *Hub) Started() bool {
	select {
	case <-h.started:
		return true
	default:
		return false
	}
}
