package admission

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/store"
)

// Cache keeps the objects of one resource (namespaces, limitranges,
// resourcequotas) in memory, fed by the watch hub, so that admitting a
// write costs no database read in the common case, as Kubernetes' plugins
// read informers. Until it has synced (and after its watch broke, until it
// has listed again) it answers from the store. Like an informer it may be
// a few milliseconds behind the store, except for what this API server
// creates: Created puts it in at once, so that a quota or LimitRange that
// a client created applies to the very next write of that client.
type Cache struct {
	resource string
	st       store.Store

	// loaded is set once the first list is in: HasSynced.
	loaded atomic.Bool

	mu     sync.RWMutex
	synced bool
	objs   map[store.Key]*store.Record
	rev    int64 // the revision of the last list or change applied
}

// NewCache returns a cache of resource (its store name), reading st until
// Run has synced it.
func NewCache(resource string, st store.Store) *Cache {
	return &Cache{resource: resource, st: st}
}

// Get returns the object namespace/name, or store.ErrNotFound. An object
// the cache does not hold (it has not synced, or the object was created
// through another API server a moment ago) is looked up in the store:
// only the cache's positive answers are trusted.
func (c *Cache) Get(ctx context.Context, namespace, name string) (*store.Record, error) {
	k := store.Key{Resource: c.resource, Namespace: namespace, Name: name}
	c.mu.RLock()
	rec, ok := c.objs[k]
	c.mu.RUnlock()
	if ok {
		return rec, nil
	}
	return c.st.Get(ctx, k)
}

// Created puts in an object this API server has just created, ahead of
// the watch, which will bring the same change; a change the watch has
// already applied (rev is newer: the object may be deleted since) wins.
func (c *Cache) Created(rec *store.Record) {
	if rec.Resource != c.resource {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced && rec.ResourceVersion > c.rev {
		if _, ok := c.objs[rec.Key]; !ok {
			r := *rec
			c.objs[rec.Key] = &r
		}
	}
}

// List returns the objects of namespace, sorted by name.
func (c *Cache) List(ctx context.Context, namespace string) ([]*store.Record, error) {
	c.mu.RLock()
	if c.synced {
		var out []*store.Record
		for k, r := range c.objs {
			if k.Namespace == namespace {
				out = append(out, r)
			}
		}
		c.mu.RUnlock()
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	c.mu.RUnlock()
	recs, _, err := c.st.List(ctx, store.Prefix{Resource: c.resource, Namespace: namespace}, store.ListOptions{})
	return recs, err
}

// Resource is the store name of what the cache holds.
func (c *Cache) Resource() string { return c.resource }

// HasSynced tells whether the cache has loaded its resource once, as an
// informer's HasSynced does: a cache listing again after a broken watch
// still has.
func (c *Cache) HasSynced() bool { return c.loaded.Load() }

// Run keeps the cache in step with the store until ctx ends: list, then
// watch from the list's revision, and start over when the watch ends.
func (c *Cache) Run(ctx context.Context, h *hub.Hub) {
	for ctx.Err() == nil {
		if err := c.sync(ctx, h); err != nil && ctx.Err() == nil {
			c.mu.Lock()
			c.synced = false
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (c *Cache) sync(ctx context.Context, h *hub.Hub) error {
	recs, rev, err := c.st.List(ctx, store.Prefix{Resource: c.resource}, store.ListOptions{})
	if err != nil {
		return err
	}
	w, err := h.Watch(ctx, rev, func(ch *store.Change) bool { return ch.Resource == c.resource })
	if err != nil {
		return err
	}
	defer w.Stop()
	m := make(map[store.Key]*store.Record, len(recs))
	for _, r := range recs {
		m[r.Key] = r
	}
	c.mu.Lock()
	c.objs, c.synced, c.rev = m, true, rev
	c.mu.Unlock()
	c.loaded.Store(true)
	for ch := range w.Events() {
		c.mu.Lock()
		c.rev = ch.Revision
		if ch.Type == store.Deleted {
			delete(c.objs, ch.Key)
		} else {
			rec := ch.Record
			c.objs[ch.Key] = &rec
		}
		c.mu.Unlock()
	}
	return w.Err()
}
