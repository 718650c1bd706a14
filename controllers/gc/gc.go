package gc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// Deps are the collector's client and the shared informers it reads
// (whoever made them runs them). Every other resource discovery lists that
// can be listed, watched and deleted, custom resources included, the
// collector watches itself through metadata-only informers.
type Deps struct {
	Client *client.Client
	Shared []Shared
	// ResyncPeriod is that of the collector's own informers (default 10
	// minutes); DiscoveryPeriod how often it asks discovery for resources
	// added or removed (default 30 seconds, as kube-controller-manager).
	// An owner reference to a kind it does not know yet asks at once.
	ResyncPeriod, DiscoveryPeriod time.Duration
}

// Collector is the garbage collector; see the package doc.
type Collector struct {
	deps  Deps
	log   zerolog.Logger
	graph *graph
	loop  controllerutil.Loop // of object uids, as Key.Name
	kick  chan struct{}       // asks for a discovery now

	mu      sync.RWMutex
	sources map[groupKind]*source

	absentMu sync.Mutex
	absent   map[string]struct{} // owner uids known not to exist
}

// source is a resource the collector watches: its client and its cache.
type source struct {
	objects
	cached func(informer.Key) (*api.ObjectMeta, bool)
	synced func() bool
	stop   context.CancelFunc // of the collector's own informer; nil if shared
}

// maxAbsent bounds the cache of absent owner uids; it is cleared when full.
const maxAbsent = 10000

// New returns a collector. It registers its handlers on the shared
// informers, so it must be called before they start or while they run; it
// starts nothing.
func New(deps Deps, log zerolog.Logger) (*Collector, error) {
	if deps.Client == nil {
		return nil, errors.New("gc: a client is required")
	}
	if deps.ResyncPeriod <= 0 {
		deps.ResyncPeriod = 10 * time.Minute
	}
	if deps.DiscoveryPeriod <= 0 {
		deps.DiscoveryPeriod = 30 * time.Second
	}
	c := &Collector{
		deps:    deps,
		log:     log,
		graph:   newGraph(),
		kick:    make(chan struct{}, 1),
		sources: make(map[groupKind]*source),
		absent:  make(map[string]struct{}),
	}
	var synced []func() bool
	for _, sh := range deps.Shared {
		synced = append(synced, sh.synced)
		gk := groupKind{Group: sh.gvr.Group, Kind: sh.kind}
		c.sources[gk] = &source{objects: objects{deps.Client, sh.gvr}, cached: sh.get, synced: sh.synced}
		sh.attach(c, gk)
	}
	// Discovery starts watching the other resources once the shared
	// informers have synced.
	c.loop = controllerutil.Loop{Name: "garbage collector", Log: log, Sync: c.sync, HasSynced: synced, Also: c.runDiscovery}
	return c, nil
}

func (c *Collector) enqueue(uid string) { c.loop.Add(informer.Key{Name: uid}) }

// source returns the watched resource of kind gk.
func (c *Collector) source(gk groupKind) (*source, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.sources[gk]
	return s, ok
}

// handler keeps the graph in step with one informer and enqueues the
// objects a change may concern. An update that changes neither owners,
// finalizers nor deletion (a pod's status) concerns nobody, except as a
// resync (same resourceVersion), which re-checks the object.
func handler[T api.Object](c *Collector, gk groupKind) informer.Handler[T] {
	upsert := func(obj T) {
		m := obj.GetObjectMeta()
		// Into the graph before into the queue: a worker may take the
		// key at once, and a sync that does not find the object does
		// nothing and is not tried again.
		concerned := c.graph.upsert(gk, m)
		c.enqueue(m.UID)
		for _, uid := range concerned {
			c.enqueue(uid)
		}
	}
	return informer.HandlerFuncs[T]{
		AddFunc: upsert,
		UpdateFunc: func(old, obj T) {
			o, m := old.GetObjectMeta(), obj.GetObjectMeta()
			if o.ResourceVersion != m.ResourceVersion && o.UID == m.UID && (o.DeletionTimestamp == nil) == (m.DeletionTimestamp == nil) &&
				slices.Equal(o.Finalizers, m.Finalizers) && slices.EqualFunc(o.OwnerReferences, m.OwnerReferences, equalRef) {
				return
			}
			upsert(obj)
		},
		DeleteFunc: func(obj T) {
			for _, uid := range c.graph.remove(obj.GetObjectMeta().UID) {
				c.enqueue(uid)
			}
		},
	}
}

func equalRef(a, b api.OwnerReference) bool {
	return a.UID == b.UID && a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Name == b.Name &&
		(a.BlockOwnerDeletion != nil && *a.BlockOwnerDeletion) == (b.BlockOwnerDeletion != nil && *b.BlockOwnerDeletion)
}

// discover watches every resource discovery lists that it does not watch
// yet and stops watching those that are gone (a deleted CRD).
func (c *Collector) discover(ctx context.Context) error {
	all, err := c.deps.Client.Discover(ctx)
	if err != nil {
		return err
	}
	seen := make(map[groupKind]bool, len(all))
	for _, r := range all {
		gk := groupKind{Group: r.Group, Kind: r.Kind}
		if ignored[gk] || !r.Supports("list", "watch", "delete") {
			continue
		}
		seen[gk] = true
		if _, ok := c.source(gk); ok {
			continue
		}
		inf := informer.New(client.ListWatch(client.Resource[api.PartialObjectMetadata](c.deps.Client, r.GVR, ""),
			client.ListOptions{Limit: 500}), c.deps.ResyncPeriod).WithLogger(c.log.With().Str("informer", r.Resource).Logger())
		sh := Watch(r.GVR, r.Kind, inf)
		ictx, stop := context.WithCancel(ctx)
		c.mu.Lock()
		c.sources[gk] = &source{objects: objects{c.deps.Client, r.GVR}, cached: sh.get, synced: sh.synced, stop: stop}
		c.mu.Unlock()
		sh.attach(c, gk)
		go func() { _ = inf.Run(ictx) }()
		c.log.Debug().Str("resource", r.Resource).Str("group", r.Group).Msg("watching for garbage")
	}
	c.mu.Lock()
	for gk, s := range c.sources {
		if s.stop != nil && !seen[gk] {
			s.stop()
			delete(c.sources, gk)
			c.log.Debug().Str("kind", gk.Kind).Str("group", gk.Group).Msg("resource gone; no longer watched")
		}
	}
	c.mu.Unlock()
	return nil
}

// runDiscovery calls discover every DiscoveryPeriod, when kicked, and a
// second after a failure, until ctx ends; it then stops the collector's
// own informers.
func (c *Collector) runDiscovery(ctx context.Context) {
	defer func() {
		c.mu.Lock()
		for _, s := range c.sources {
			if s.stop != nil {
				s.stop()
			}
		}
		c.mu.Unlock()
	}()
	for {
		wait := c.deps.DiscoveryPeriod
		if err := c.discover(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("discovery failed; trying again")
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Run waits for the shared informers to sync, starts watching the other
// resources, then runs workers until ctx ends. It returns nil then, after
// the workers have stopped. Run may be called once: build a new one for
// each term of leadership.
func (c *Collector) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

// sync reconciles the object with uid: the deletion of its dependents if
// it is being deleted in the foreground or with orphaning, else the
// presence of its owners.
func (c *Collector) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	n, ok := c.graph.get(key.Name)
	if !ok {
		return 0, nil
	}
	switch {
	case n.deleting && n.hasFinalizer(api.FinalizerOrphan):
		return 0, c.orphanDependents(ctx, n)
	case n.deleting && n.hasFinalizer(api.FinalizerForeground):
		return 0, c.deleteDependents(ctx, n)
	case n.deleting:
		return 0, nil // going anyway
	}
	return c.checkOwners(ctx, n)
}

// orphanDependents removes owner's references from its dependents, then
// its orphan finalizer.
func (c *Collector) orphanDependents(ctx context.Context, owner node) error {
	deps, err := c.liveDependents(ctx, owner)
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := c.removeOwnerRefs(ctx, d, []string{owner.uid}); err != nil {
			return fmt.Errorf("orphan %s %s/%s: %w", d.gk.Kind, d.namespace, d.name, err)
		}
	}
	return c.removeFinalizer(ctx, owner, api.FinalizerOrphan)
}

// deleteDependents deletes owner's dependents and, once none that blocks
// owner deletion is left, removes owner's foregroundDeletion finalizer.
// It is called again whenever a dependent goes.
func (c *Collector) deleteDependents(ctx context.Context, owner node) error {
	deps, err := c.liveDependents(ctx, owner)
	if err != nil {
		return err
	}
	blocking := 0
	for _, d := range deps {
		block := blocks(d.ownerRef(owner.uid))
		if block {
			blocking++
		}
		if d.deleting {
			continue
		}
		policy := api.PropagationBackground
		if block {
			policy = api.PropagationForeground
		}
		if err := c.deleteObject(ctx, d, policy); err != nil {
			return err
		}
	}
	if blocking > 0 {
		c.log.Debug().Str("owner", owner.namespace+"/"+owner.name).Int("blocking", blocking).Msg("waiting for dependents")
		return nil
	}
	return c.removeFinalizer(ctx, owner, api.FinalizerForeground)
}

// liveDependents lists owner's dependents on the API server. The graph
// may not have seen a dependent created a moment ago, and removing an
// orphan or foreground finalizer on its word would let the owner go with
// a dependent still pointing at it (deleted, later, as an orphan); an
// owner's deletion is rare enough to read its namespace.
func (c *Collector) liveDependents(ctx context.Context, owner node) ([]node, error) {
	c.mu.RLock()
	sources := maps.Clone(c.sources)
	c.mu.RUnlock()
	var out []node
	for gk, cl := range sources {
		if owner.namespace != "" && !cl.gvr.Namespaced {
			continue // a cluster-scoped object cannot have a namespaced owner
		}
		objs, err := cl.list(ctx, owner.namespace)
		if err != nil {
			return nil, fmt.Errorf("list %s in %s: %w", gk.Kind, owner.namespace, err)
		}
		for _, m := range objs {
			if !slices.ContainsFunc(m.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == owner.uid }) {
				continue
			}
			out = append(out, node{gk: gk, namespace: m.Namespace, name: m.Name, uid: m.UID,
				owners: m.OwnerReferences, finalizers: m.Finalizers, deleting: m.DeletionTimestamp != nil})
		}
	}
	return out, nil
}

// checkOwners deletes n if all its owners are gone, or drops its
// references to the owners that are gone if some remain.
func (c *Collector) checkOwners(ctx context.Context, n node) (time.Duration, error) {
	if len(n.owners) == 0 {
		return 0, nil
	}
	var absent []string
	var unknown string
	for _, r := range n.owners {
		exists, known, err := c.ownerExists(ctx, n.namespace, r)
		if err != nil {
			return 0, err
		}
		if !known {
			unknown = r.APIVersion + " " + r.Kind
		}
		if !exists {
			absent = append(absent, r.UID)
		}
	}
	switch {
	case len(absent) == 0 && unknown != "":
		// An owner of a kind discovery has not shown (yet: a CRD created
		// a moment ago): ask discovery now, and look again with backoff.
		select {
		case c.kick <- struct{}{}:
		default:
		}
		return 0, fmt.Errorf("owner kind %s is not served (yet)", unknown)
	case len(absent) == 0:
		return 0, nil
	case len(absent) == len(n.owners):
		return 0, c.deleteOrphaned(ctx, n, absent)
	default:
		return 0, c.removeOwnerRefs(ctx, n, absent)
	}
}

// deleteOrphaned deletes n, whose owners (absent) are all gone, after
// checking on the API server that it still names no other owner: the
// graph may lag behind a change of its references (an orphaning owner
// removes them just before it goes), and deleting from a stale view would
// delete an object that was orphaned on purpose. The delete is
// conditional on the resourceVersion read, so a change in between wins.
func (c *Collector) deleteOrphaned(ctx context.Context, n node, absent []string) error {
	cl, ok := c.source(n.gk)
	if !ok {
		return nil // no longer served
	}
	live, err := cl.get(ctx, n.namespace, n.name)
	if client.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s %s/%s: %w", n.gk.Kind, n.namespace, n.name, err)
	}
	if live.UID != n.uid || len(live.OwnerReferences) == 0 {
		return nil // replaced, or orphaned meanwhile
	}
	for _, r := range live.OwnerReferences {
		if !slices.Contains(absent, r.UID) {
			return nil // its references changed; their event brings it back
		}
	}
	return c.deleteObjectAt(ctx, n, api.PropagationBackground, live.ResourceVersion)
}

// ownerExists reports whether the owner r names exists: in the graph, or,
// if not cached, on the API server with the same uid. An owner of a kind
// the collector does not watch (not, or not yet, served) is taken to
// exist, and known is false.
func (c *Collector) ownerExists(ctx context.Context, ns string, r api.OwnerReference) (exists, known bool, err error) {
	cl, known := c.source(groupKindOf(r))
	if !known {
		return true, false, nil
	}
	if !cl.gvr.Namespaced {
		ns = "" // a namespaced dependent of a cluster-scoped owner
	}
	if _, ok := c.graph.get(r.UID); ok {
		return true, true, nil
	}
	if m, ok := cl.cached(informer.Key{Namespace: ns, Name: r.Name}); ok && m.UID == r.UID {
		return true, true, nil // cached, but not yet in the graph
	}
	c.absentMu.Lock()
	_, gone := c.absent[r.UID]
	c.absentMu.Unlock()
	if gone {
		return false, true, nil
	}
	m, err := cl.get(ctx, ns, r.Name)
	switch {
	case client.IsNotFound(err):
	case err != nil:
		return false, true, fmt.Errorf("get owner %s %s/%s: %w", r.Kind, ns, r.Name, err)
	case m.UID == r.UID:
		return true, true, nil
	}
	c.absentMu.Lock()
	if len(c.absent) >= maxAbsent {
		clear(c.absent)
	}
	c.absent[r.UID] = struct{}{}
	c.absentMu.Unlock()
	return false, true, nil
}

// deleteObject deletes n, provided it is still the object with n's uid.
func (c *Collector) deleteObject(ctx context.Context, n node, policy string) error {
	return c.deleteObjectAt(ctx, n, policy, "")
}

// deleteObjectAt is deleteObject, also conditional on the object's
// resourceVersion when rv is not empty.
func (c *Collector) deleteObjectAt(ctx context.Context, n node, policy, rv string) error {
	uid := n.uid
	pre := &api.Preconditions{UID: &uid}
	if rv != "" {
		pre.ResourceVersion = &rv
	}
	cl, ok := c.source(n.gk)
	if !ok {
		return nil // no longer served
	}
	err := cl.delete(ctx, n.namespace, n.name, api.DeleteOptions{
		PropagationPolicy: &policy,
		Preconditions:     pre,
	})
	switch {
	case client.IsNotFound(err):
		return nil // gone
	case client.IsConflict(err) && rv != "":
		// Changed since it was read (a status write): read it again. No
		// event brings it back, since the collector ignores changes that
		// leave owners, finalizers and deletion alone.
		return fmt.Errorf("delete %s %s/%s: changed since read; trying again", n.gk.Kind, n.namespace, n.name)
	case client.IsConflict(err):
		return nil // replaced by another object of that name
	}
	if err != nil {
		return fmt.Errorf("delete %s %s/%s: %w", n.gk.Kind, n.namespace, n.name, err)
	}
	c.log.Info().Str("object", n.gk.Kind+" "+n.namespace+"/"+n.name).Str("propagation", policy).Msg("deleted dependent")
	return nil
}

// removeOwnerRefs removes the references to the owners with the given
// uids from n, re-reading it on conflict.
func (c *Collector) removeOwnerRefs(ctx context.Context, n node, owners []string) error {
	return c.update(ctx, n, func(m *api.ObjectMeta) (map[string]any, bool) {
		keep := slices.DeleteFunc(slices.Clone(m.OwnerReferences), func(r api.OwnerReference) bool {
			return slices.Contains(owners, r.UID)
		})
		if len(keep) == len(m.OwnerReferences) {
			return nil, false
		}
		if len(keep) == 0 {
			keep = nil
		}
		return map[string]any{"ownerReferences": keep}, true
	})
}

// removeFinalizer removes finalizer f from n; the API server deletes n if
// it was the last.
func (c *Collector) removeFinalizer(ctx context.Context, n node, f string) error {
	return c.update(ctx, n, func(m *api.ObjectMeta) (map[string]any, bool) {
		if !slices.Contains(m.Finalizers, f) {
			return nil, false
		}
		keep := slices.DeleteFunc(slices.Clone(m.Finalizers), func(s string) bool { return s == f })
		if len(keep) == 0 {
			keep = nil
		}
		return map[string]any{"finalizers": keep}, true
	})
}

// update reads n from the API server, asks change for the metadata fields
// to patch, and patches them conditionally on the resourceVersion read,
// retrying on conflict. An object that is gone, or replaced by another of
// the same name, needs nothing.
func (c *Collector) update(ctx context.Context, n node, change func(m *api.ObjectMeta) (map[string]any, bool)) error {
	cl, ok := c.source(n.gk)
	if !ok {
		return nil // no longer served
	}
	err := client.RetryOnConflict(ctx, client.DefaultBackoff, func() error {
		m, err := cl.get(ctx, n.namespace, n.name)
		if err != nil {
			return err
		}
		if m.UID != n.uid {
			return nil
		}
		fields, ok := change(m)
		if !ok {
			return nil
		}
		return cl.patch(ctx, n.namespace, n.name, metadataPatch(m.ResourceVersion, fields))
	})
	if client.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update %s %s/%s: %w", n.gk.Kind, n.namespace, n.name, err)
	}
	return nil
}
