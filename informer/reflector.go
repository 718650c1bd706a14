package informer

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/minik8s/minik8s/client"
)

// listAndWatch keeps the cache in step until ctx ends: list, watch from the
// list's revision, re-watch from the last revision seen when a stream ends,
// relist on 410, and back off after failures.
func (i *Informer[T]) listAndWatch(ctx context.Context) {
	var (
		rv         int64
		needList   = true
		justListed bool
		b          = backoff{min: i.minBackoff, max: i.maxBackoff}
	)
	for ctx.Err() == nil {
		if needList {
			items, listRV, err := i.lw.List(ctx, client.ListOptions{OmitManagedFields: true, Shared: i.share})
			if err != nil {
				if ctx.Err() == nil {
					i.log.Warn().Err(err).Msg("list failed")
					b.sleep(ctx)
				}
				continue
			}
			i.replace(items)
			rv, needList, justListed = listRV, false, true
			i.log.Debug().Int64("rv", rv).Int("objects", len(items)).Msg("listed")
		}

		n, lastRV, err := i.watch(ctx, rv)
		rv = lastRV
		switch {
		case ctx.Err() != nil:
			return
		case client.IsGone(err):
			i.log.Info().Int64("rv", rv).Msg("resource version too old, relisting")
			needList = true
			if justListed && n == 0 {
				// Even the fresh list's revision is gone: don't spin.
				b.sleep(ctx)
			}
		case err != nil:
			i.log.Warn().Err(err).Int64("rv", rv).Msg("watch failed")
			b.sleep(ctx)
		case n == 0:
			// A stream that ended without a single event: a server closing
			// streams at once must not make us spin.
			b.sleep(ctx)
		default:
			i.log.Debug().Int64("rv", rv).Msg("watch ended, resuming")
			b.reset()
		}
		justListed = false
	}
}

// watch applies the events of one watch stream from fromRV to the cache. It
// returns how many events it saw, the last revision seen and why the stream
// ended (nil: it closed).
func (i *Informer[T]) watch(ctx context.Context, fromRV int64) (int, int64, error) {
	// Stop the producer when we stop reading, whatever the reason.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := i.lw.Watch(ctx, client.ListOptions{TimeoutSeconds: i.watchTimeout(), OmitManagedFields: true, Shared: i.share}, fromRV)
	if err != nil {
		return 0, fromRV, err
	}
	rv, n := fromRV, 0
	for {
		var ev client.WatchEvent[T]
		var ok bool
		select {
		case <-ctx.Done():
			return n, rv, ctx.Err()
		case ev, ok = <-ch:
			if !ok {
				return n, rv, nil
			}
		}
		switch ev.Type {
		case client.Error:
			return n, rv, ev.Err
		case client.Added, client.Modified, client.Deleted:
			i.apply(ev.Type, ev.Object)
		case client.Bookmark:
		default:
			continue
		}
		n++
		if r := client.ResourceVersion(ev.Object); r > 0 {
			rv = r
		}
	}
}

// apply stores one watched change and queues its notification.
func (i *Informer[T]) apply(t client.EventType, obj T) {
	obj = keep(obj, i.share)
	k := KeyOf(obj)
	i.mu.Lock()
	defer i.mu.Unlock()
	old, exists := i.items[k]
	if exists {
		i.mutations.check(k, old, t == client.Deleted)
	}
	if t == client.Deleted {
		if !exists {
			return
		}
		delete(i.items, k)
		i.unindexLocked(k, old)
		i.notify(notification[T]{kind: notifyDelete, old: obj})
		return
	}
	i.items[k] = obj
	i.mutations.store(k, obj)
	if exists {
		i.reindexLocked(k, old, obj)
	} else {
		i.indexLocked(k, obj)
	}
	if exists {
		i.notify(notification[T]{kind: notifyUpdate, old: old, new: obj})
	} else {
		i.notify(notification[T]{kind: notifyAdd, new: obj})
	}
}

// replace makes the cache exactly items, queueing deletes for cached objects
// not in items, updates for those in both and adds for new ones.
func (i *Informer[T]) replace(items []T) {
	fresh := make(map[Key]T, len(items))
	for j, obj := range items {
		items[j] = keep(obj, i.share)
		fresh[KeyOf(items[j])] = items[j]
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, old := range i.items {
		_, ok := fresh[k]
		i.mutations.check(k, old, !ok)
		if !ok {
			i.notify(notification[T]{kind: notifyDelete, old: old})
		}
	}
	for k, obj := range fresh {
		i.mutations.store(k, obj)
	}
	for _, obj := range items {
		if old, ok := i.items[KeyOf(obj)]; ok {
			i.notify(notification[T]{kind: notifyUpdate, old: old, new: obj})
		} else {
			i.notify(notification[T]{kind: notifyAdd, new: obj})
		}
	}
	i.items = fresh
	for name := range i.indices {
		i.indices[name] = make(map[string]*indexSet)
	}
	for k, obj := range fresh {
		i.indexLocked(k, obj)
	}
	if !i.synced.Load() {
		i.notify(notification[T]{kind: notifyListed})
		i.synced.Store(true)
	}
}

func (i *Informer[T]) indexLocked(k Key, obj T) {
	for _, ix := range i.indexers {
		for _, v := range ix.Func(obj) {
			i.indexSetLocked(ix.Name, v).add(k)
		}
	}
}

func (i *Informer[T]) unindexLocked(k Key, obj T) {
	for _, ix := range i.indexers {
		for _, v := range ix.Func(obj) {
			i.removeLocked(ix.Name, v, k)
		}
	}
}

// reindexLocked moves k from old's index values to obj's, touching only
// the values that differ: a status update leaves every set, and its sorted
// order, as it was.
func (i *Informer[T]) reindexLocked(k Key, old, obj T) {
	for _, ix := range i.indexers {
		cur := ix.Func(obj)
		for _, v := range cur {
			i.indexSetLocked(ix.Name, v).add(k)
		}
		for _, v := range ix.Func(old) {
			if !slices.Contains(cur, v) {
				i.removeLocked(ix.Name, v, k)
			}
		}
	}
}

func (i *Informer[T]) indexSetLocked(name, v string) *indexSet {
	idx := i.indices[name]
	set := idx[v]
	if set == nil {
		set = &indexSet{keys: make(map[Key]struct{})}
		idx[v] = set
	}
	return set
}

func (i *Informer[T]) removeLocked(name, v string, k Key) {
	idx := i.indices[name]
	if set := idx[v]; set != nil {
		set.remove(k)
		if len(set.keys) == 0 {
			delete(idx, v)
		}
	}
}

// indexSet is the keys with one value of one index, and their sorted
// order. ByIndex of a large set (a ReplicaSet's 10,000 pods, asked for on
// each change of one of them) sorts only the keys added since it last
// asked, and merges them into the order it kept: a set growing by a few
// keys between calls costs one pass over it, not a sort of it all.
type indexSet struct {
	keys map[Key]struct{}

	// Writers (under the informer's write lock) change keys and append to
	// added, and set stale. Readers (under its read lock, so alone with
	// other readers) bring sorted up to date under mu.
	mu      sync.Mutex
	sorted  []Key // sorted, as keys were when stale was last cleared
	added   []Key // keys added since, in any order
	stale   bool  // keys changed since sorted was made
	removed bool  // ... and some were removed: sorted and added may hold keys gone
	rebuild bool  // sorted and added were dropped: sort keys afresh
}

func (s *indexSet) add(k Key) {
	if _, ok := s.keys[k]; !ok {
		s.keys[k] = struct{}{}
		s.stale = true
		if s.rebuild {
			return
		}
		s.added = append(s.added, k)
		// A set nobody asks for (keys coming and going) would keep every
		// key it ever had in added.
		if len(s.added) > 2*len(s.keys)+16 {
			s.sorted, s.added, s.rebuild = nil, nil, true
		}
	}
}

func (s *indexSet) remove(k Key) {
	if _, ok := s.keys[k]; ok {
		delete(s.keys, k)
		s.stale, s.removed = true, true
	}
}

// sortedKeys returns the keys sorted by namespace and name; the caller
// must not change the slice.
func (s *indexSet) sortedKeys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stale {
		return s.sorted
	}
	if s.rebuild {
		s.added = slices.Collect(maps.Keys(s.keys))
	}
	slices.SortFunc(s.added, compareKeys)
	// Merge the two sorted runs; after removals, drop the keys removed
	// (and keep a key removed and added again, in both runs or twice in
	// added, once).
	check := s.removed
	out := make([]Key, 0, len(s.keys))
	old, add := s.sorted, s.added
	for len(old) > 0 || len(add) > 0 {
		var k Key
		switch {
		case len(add) == 0:
			k, old = old[0], old[1:]
		case len(old) == 0:
			k, add = add[0], add[1:]
		default:
			switch c := compareKeys(old[0], add[0]); {
			case c < 0:
				k, old = old[0], old[1:]
			case c > 0:
				k, add = add[0], add[1:]
			default:
				k, old, add = old[0], old[1:], add[1:]
			}
		}
		if check {
			if _, ok := s.keys[k]; !ok || (len(out) > 0 && out[len(out)-1] == k) {
				continue
			}
		}
		out = append(out, k)
	}
	s.sorted, s.added, s.stale, s.removed, s.rebuild = out, nil, false, false, false
	return out
}

// backoff is a jittered exponential delay between failed attempts.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) sleep(ctx context.Context) {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	d := b.cur + time.Duration(rand.Float64()*0.2*float64(b.cur))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (b *backoff) reset() { b.cur = 0 }

// WaitForCacheSync blocks until every synced function reports true, polling
// every 10 ms; it returns false if ctx ends first.
func WaitForCacheSync(ctx context.Context, synced ...func() bool) bool {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		done := true
		for _, s := range synced {
			if !s() {
				done = false
				break
			}
		}
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}
