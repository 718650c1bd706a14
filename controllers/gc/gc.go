package gc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// Deps are the collector's client and the shared informers it builds its
// graph from; whoever owns the informers runs them.
type Deps struct {
	Client      *client.Client
	Pods        *informer.Informer[*api.Pod]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	Deployments *informer.Informer[*api.Deployment]
	// Jobs and CronJobs are optional: without them, Jobs as owners or
	// dependents are not collected.
	Jobs     *informer.Informer[*api.Job]
	CronJobs *informer.Informer[*api.CronJob]
	// DaemonSets, StatefulSets and their ControllerRevisions are optional
	// in the same way.
	DaemonSets   *informer.Informer[*api.DaemonSet]
	StatefulSets *informer.Informer[*api.StatefulSet]
	Revisions    *informer.Informer[*api.ControllerRevision]
	// Claims are PersistentVolumeClaims (a StatefulSet's, with a retention
	// policy of Delete); optional too.
	Claims *informer.Informer[*api.PersistentVolumeClaim]
}

// Collector is the garbage collector; see the package doc.
type Collector struct {
	deps    Deps
	log     zerolog.Logger
	clients map[groupKind]objects
	graph   *graph
	queue   *workqueue.Queue[informer.Key] // object uids, as Key.Name

	absentMu sync.Mutex
	absent   map[string]struct{} // owner uids known not to exist
}

// maxAbsent bounds the cache of absent owner uids; it is cleared when full.
const maxAbsent = 10000

// New returns a collector. It registers its handlers on the informers, so
// it must be called before they start or while they run; it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Collector, error) {
	if deps.Client == nil || deps.Pods == nil || deps.ReplicaSets == nil || deps.Deployments == nil {
		return nil, errors.New("gc: client and pod, replica set and deployment informers are required")
	}
	c := &Collector{
		deps:    deps,
		log:     log,
		clients: clientsFor(deps.Client),
		graph:   newGraph(),
		queue:   workqueue.New(workqueue.Config[informer.Key]{}),
		absent:  make(map[string]struct{}),
	}
	deps.Pods.AddHandler(handler[*api.Pod](c, podKind))
	deps.ReplicaSets.AddHandler(handler[*api.ReplicaSet](c, replicaSetKind))
	deps.Deployments.AddHandler(handler[*api.Deployment](c, deploymentKind))
	if deps.Jobs != nil {
		deps.Jobs.AddHandler(handler[*api.Job](c, jobKind))
	}
	if deps.CronJobs != nil {
		deps.CronJobs.AddHandler(handler[*api.CronJob](c, cronJobKind))
	}
	if deps.DaemonSets != nil {
		deps.DaemonSets.AddHandler(handler[*api.DaemonSet](c, daemonSetKind))
	}
	if deps.StatefulSets != nil {
		deps.StatefulSets.AddHandler(handler[*api.StatefulSet](c, statefulSetKind))
	}
	if deps.Revisions != nil {
		deps.Revisions.AddHandler(handler[*api.ControllerRevision](c, revisionKind))
	}
	if deps.Claims != nil {
		deps.Claims.AddHandler(handler[*api.PersistentVolumeClaim](c, claimKind))
	}
	return c, nil
}

func (c *Collector) enqueue(uid string) { c.queue.Add(informer.Key{Name: uid}) }

// handler keeps the graph in step with one informer and enqueues the
// objects a change may concern.
func handler[T api.Object](c *Collector, gk groupKind) informer.Handler[T] {
	upsert := func(obj T) {
		m := obj.GetObjectMeta()
		c.enqueue(m.UID)
		for _, uid := range c.graph.upsert(gk, m) {
			c.enqueue(uid)
		}
	}
	return informer.HandlerFuncs[T]{
		AddFunc:    upsert,
		UpdateFunc: func(_, obj T) { upsert(obj) },
		DeleteFunc: func(obj T) {
			for _, uid := range c.graph.remove(obj.GetObjectMeta().UID) {
				c.enqueue(uid)
			}
		},
	}
}

// Run waits for the informers to sync, then runs workers until ctx ends.
// It returns nil then, after the workers have stopped.
// Run may be called once: build a new one for each term of leadership.
func (c *Collector) Run(ctx context.Context, workers int) error {
	defer c.queue.ShutDown()
	synced := []func() bool{c.deps.Pods.HasSynced, c.deps.ReplicaSets.HasSynced, c.deps.Deployments.HasSynced}
	if c.deps.Jobs != nil {
		synced = append(synced, c.deps.Jobs.HasSynced)
	}
	if c.deps.CronJobs != nil {
		synced = append(synced, c.deps.CronJobs.HasSynced)
	}
	if c.deps.DaemonSets != nil {
		synced = append(synced, c.deps.DaemonSets.HasSynced)
	}
	if c.deps.StatefulSets != nil {
		synced = append(synced, c.deps.StatefulSets.HasSynced)
	}
	if c.deps.Revisions != nil {
		synced = append(synced, c.deps.Revisions.HasSynced)
	}
	if c.deps.Claims != nil {
		synced = append(synced, c.deps.Claims.HasSynced)
	}
	if !informer.WaitForCacheSync(ctx, synced...) {
		return nil
	}
	c.log.Info().Int("workers", workers).Msg("garbage collector started")
	controllerutil.RunWorkers(ctx, c.queue, workers, func(ctx context.Context, k informer.Key) (time.Duration, error) {
		return 0, c.sync(ctx, k.Name)
	}, c.log)
	return nil
}

// sync reconciles the object with uid: the deletion of its dependents if
// it is being deleted in the foreground or with orphaning, else the
// presence of its owners.
func (c *Collector) sync(ctx context.Context, uid string) error {
	n, ok := c.graph.get(uid)
	if !ok {
		return nil
	}
	switch {
	case n.deleting && n.hasFinalizer(api.FinalizerOrphan):
		return c.orphanDependents(ctx, n)
	case n.deleting && n.hasFinalizer(api.FinalizerForeground):
		return c.deleteDependents(ctx, n)
	case n.deleting:
		return nil // going anyway
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
	var out []node
	for gk, cl := range c.clients {
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
func (c *Collector) checkOwners(ctx context.Context, n node) error {
	if len(n.owners) == 0 {
		return nil
	}
	var absent []string
	for _, r := range n.owners {
		exists, err := c.ownerExists(ctx, n.namespace, r)
		if err != nil {
			return err
		}
		if !exists {
			absent = append(absent, r.UID)
		}
	}
	switch {
	case len(absent) == 0:
		return nil
	case len(absent) == len(n.owners):
		return c.deleteOrphaned(ctx, n, absent)
	default:
		return c.removeOwnerRefs(ctx, n, absent)
	}
}

// deleteOrphaned deletes n, whose owners (absent) are all gone, after
// checking on the API server that it still names no other owner: the
// graph may lag behind a change of its references (an orphaning owner
// removes them just before it goes), and deleting from a stale view would
// delete an object that was orphaned on purpose. The delete is
// conditional on the resourceVersion read, so a change in between wins.
func (c *Collector) deleteOrphaned(ctx context.Context, n node, absent []string) error {
	live, err := c.clients[n.gk].get(ctx, n.namespace, n.name)
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
// if not cached, on the API server with the same uid. Owners of kinds the
// collector does not watch are taken to exist.
func (c *Collector) ownerExists(ctx context.Context, ns string, r api.OwnerReference) (bool, error) {
	cl, known := c.clients[groupKindOf(r)]
	if !known {
		return true, nil
	}
	if _, ok := c.graph.get(r.UID); ok {
		return true, nil
	}
	if uid, ok := c.cachedUID(groupKindOf(r), ns, r.Name); ok && uid == r.UID {
		return true, nil // cached, but not yet in the graph
	}
	c.absentMu.Lock()
	_, gone := c.absent[r.UID]
	c.absentMu.Unlock()
	if gone {
		return false, nil
	}
	m, err := cl.get(ctx, ns, r.Name)
	switch {
	case client.IsNotFound(err):
	case err != nil:
		return false, fmt.Errorf("get owner %s %s/%s: %w", r.Kind, ns, r.Name, err)
	case m.UID == r.UID:
		return true, nil
	}
	c.absentMu.Lock()
	if len(c.absent) >= maxAbsent {
		clear(c.absent)
	}
	c.absent[r.UID] = struct{}{}
	c.absentMu.Unlock()
	return false, nil
}

// cachedUID returns the uid of the object of kind gk named ns/name in the
// informers' caches, which may be ahead of the graph.
func (c *Collector) cachedUID(gk groupKind, ns, name string) (string, bool) {
	k := informer.Key{Namespace: ns, Name: name}
	var m *api.ObjectMeta
	switch gk {
	case podKind:
		if o, ok := c.deps.Pods.Get(k); ok {
			m = &o.ObjectMeta
		}
	case replicaSetKind:
		if o, ok := c.deps.ReplicaSets.Get(k); ok {
			m = &o.ObjectMeta
		}
	case deploymentKind:
		if o, ok := c.deps.Deployments.Get(k); ok {
			m = &o.ObjectMeta
		}
	case jobKind:
		if c.deps.Jobs == nil {
			break
		}
		if o, ok := c.deps.Jobs.Get(k); ok {
			m = &o.ObjectMeta
		}
	case cronJobKind:
		if c.deps.CronJobs == nil {
			break
		}
		if o, ok := c.deps.CronJobs.Get(k); ok {
			m = &o.ObjectMeta
		}
	case daemonSetKind:
		m = cachedMeta(c.deps.DaemonSets, k)
	case statefulSetKind:
		m = cachedMeta(c.deps.StatefulSets, k)
	case revisionKind:
		m = cachedMeta(c.deps.Revisions, k)
	case claimKind:
		m = cachedMeta(c.deps.Claims, k)
	}
	if m == nil {
		return "", false
	}
	return m.UID, true
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
	err := c.clients[n.gk].delete(ctx, n.namespace, n.name, api.DeleteOptions{
		PropagationPolicy: &policy,
		Preconditions:     pre,
	})
	if client.IsNotFound(err) || client.IsConflict(err) {
		return nil // gone, or replaced by another object of that name
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
	cl := c.clients[n.gk]
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

// cachedMeta is the metadata of the object k names in inf (nil if inf is
// nil or lacks it).
func cachedMeta[T api.Object](inf *informer.Informer[T], k informer.Key) *api.ObjectMeta {
	if inf == nil {
		return nil
	}
	if o, ok := inf.Get(k); ok {
		return o.GetObjectMeta()
	}
	return nil
}
