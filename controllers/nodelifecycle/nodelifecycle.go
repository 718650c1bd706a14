package nodelifecycle

import (
	"context"
	"encoding/json"
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
)

// NodeLeaseNamespace holds the Lease each kubelet renews as its heartbeat.
const NodeLeaseNamespace = "kube-node-lease"

// IndexPodsByNode is the index of the pod informer the controller needs:
// pods by spec.nodeName (PodIndexer builds it).
const IndexPodsByNode = "nodeName"

// PodIndexer indexes bound pods by node name, for Deps.Pods.
func PodIndexer() informer.Indexer[*api.Pod] {
	return informer.Indexer[*api.Pod]{Name: IndexPodsByNode, Func: func(p *api.Pod) []string {
		if p.Spec.NodeName == "" {
			return nil
		}
		return []string{p.Spec.NodeName}
	}}
}

// Config tunes the controller.
type Config struct {
	// MonitorPeriod is how often every node's heartbeat is checked.
	MonitorPeriod time.Duration `yaml:"nodeMonitorPeriod"`
	// GracePeriod is how long a node may stay silent before it is marked
	// Unknown and tainted unreachable.
	GracePeriod time.Duration `yaml:"nodeMonitorGracePeriod"`
}

// DefaultConfig returns Kubernetes' defaults: check every 5s, 40s of grace.
func DefaultConfig() Config {
	return Config{MonitorPeriod: 5 * time.Second, GracePeriod: 40 * time.Second}
}

// Validate requires 0 < MonitorPeriod <= GracePeriod.
func (c Config) Validate() error {
	if c.MonitorPeriod <= 0 || c.GracePeriod < c.MonitorPeriod {
		return fmt.Errorf("node lifecycle config: want 0 < nodeMonitorPeriod (%s) <= nodeMonitorGracePeriod (%s)", c.MonitorPeriod, c.GracePeriod)
	}
	return nil
}

// Deps are the controller's client, shared informers and event recorder.
type Deps struct {
	Client *client.Client
	Nodes  *informer.Informer[*api.Node]
	// Leases holds the node leases (those outside NodeLeaseNamespace are
	// ignored).
	Leases *informer.Informer[*api.Lease]
	// Pods must carry the IndexPodsByNode index (PodIndexer).
	Pods   *informer.Informer[*api.Pod]
	Events controllerutil.EventRecorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Controller is the node lifecycle controller; see the package doc.
type Controller struct {
	cfg   Config
	deps  Deps
	log   zerolog.Logger
	now   func() time.Time
	nodes controllerutil.Loop // node names: heartbeats and taints
	pods  controllerutil.Loop // pods on tainted nodes: evictions

	mu     sync.Mutex
	health map[string]*health // by node name
}

// health is what the controller has seen of a node's heartbeats.
type health struct {
	heartbeat time.Time            // the latest heartbeat the node reported
	observed  time.Time            // when, by our clock, that heartbeat changed
	taintSeen map[string]time.Time // NoExecute taints without timeAdded: when first seen
}

// New validates cfg and returns a controller. It registers its handlers on
// the informers; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.Nodes == nil || deps.Leases == nil || deps.Pods == nil || deps.Events == nil {
		return nil, errors.New("node lifecycle: client, node, lease and pod informers and events are required")
	}
	c := &Controller{
		cfg:    cfg,
		deps:   deps,
		log:    log,
		now:    deps.Now,
		health: make(map[string]*health),
	}
	if c.now == nil {
		c.now = time.Now
	}
	synced := []func() bool{deps.Nodes.HasSynced, deps.Leases.HasSynced, deps.Pods.HasSynced}
	// Every node is looked at every MonitorPeriod, heartbeat or not.
	c.nodes = controllerutil.Loop{Name: "node lifecycle controller", Log: log, Sync: c.syncNode, HasSynced: synced,
		Keys: controllerutil.KeysOf(deps.Nodes), Resync: cfg.MonitorPeriod, StartFields: map[string]any{"gracePeriod": cfg.GracePeriod}}
	c.pods = controllerutil.Loop{Name: "taint eviction controller", Log: log, Sync: c.syncPod, HasSynced: synced}
	deps.Nodes.AddHandler(informer.HandlerFuncs[*api.Node]{
		AddFunc: func(n *api.Node) { c.nodes.Add(informer.KeyOf(n)) },
		UpdateFunc: func(old, n *api.Node) {
			c.nodes.Add(informer.KeyOf(n))
			if !slices.Equal(noExecute(old.Spec.Taints), noExecute(n.Spec.Taints)) {
				c.enqueuePodsOn(n.Name)
			}
		},
		DeleteFunc: func(n *api.Node) {
			c.mu.Lock()
			delete(c.health, n.Name)
			c.mu.Unlock()
		},
	})
	deps.Leases.AddHandler(informer.HandlerFuncs[*api.Lease]{
		AddFunc:    c.leaseChanged,
		UpdateFunc: func(_, l *api.Lease) { c.leaseChanged(l) },
	})
	enqueuePod := func(p *api.Pod) {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
			c.pods.Add(informer.KeyOf(p))
		}
	}
	deps.Pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc:    enqueuePod,
		UpdateFunc: func(_, p *api.Pod) { enqueuePod(p) },
	})
	return c, nil
}

func (c *Controller) leaseChanged(l *api.Lease) {
	if l.Namespace == NodeLeaseNamespace {
		c.nodes.Add(informer.Key{Name: l.Name})
	}
}

func (c *Controller) enqueuePodsOn(node string) {
	for _, p := range c.deps.Pods.ByIndex(IndexPodsByNode, node) {
		c.pods.Add(informer.KeyOf(p))
	}
}

// noExecute returns the NoExecute taints, for comparison.
func noExecute(taints []api.Taint) []string {
	var out []string
	for _, t := range taints {
		if t.Effect == api.TaintEffectNoExecute {
			out = append(out, t.Key+"="+t.Value)
		}
	}
	return out
}

// Run waits for the informers to sync, then monitors nodes every
// MonitorPeriod and runs workers for the node and the eviction queues until
// ctx ends. It returns nil then, after the workers have stopped.
// It may be called again after it returns, not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error {
	var wg sync.WaitGroup
	var podsErr error
	wg.Go(func() { podsErr = c.pods.Run(ctx, workers) })
	err := c.nodes.Run(ctx, workers)
	wg.Wait()
	return errors.Join(err, podsErr)
}

// observe records the node's latest heartbeat and returns when, by the
// controller's clock, it last changed. A node seen for the first time gets
// a full grace period from now: only heartbeats observed to change count,
// so clocks that disagree do not matter.
func (c *Controller) observe(name string, heartbeat, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[name]
	if h == nil {
		h = &health{heartbeat: heartbeat, observed: now}
		c.health[name] = h
	}
	if heartbeat.After(h.heartbeat) {
		h.heartbeat, h.observed = heartbeat, now
	}
	return h.observed
}

// heartbeat is the node's latest sign of life: its lease's renewTime or
// its Ready condition's lastHeartbeatTime, whichever is later.
func (c *Controller) heartbeat(n *api.Node) time.Time {
	var hb time.Time
	if r := api.NodeReadyCondition(n); r != nil {
		hb = r.LastHeartbeatTime.Time
	}
	if l, ok := c.deps.Leases.Get(informer.Key{Namespace: NodeLeaseNamespace, Name: n.Name}); ok && l.Spec.RenewTime != nil && l.Spec.RenewTime.After(hb) {
		hb = l.Spec.RenewTime.Time
	}
	return hb
}

// syncNode checks one node: a node silent for longer than the grace period
// gets its conditions set to Unknown; the pods of a node that is not ready
// are marked not ready; and the node's taints are made to match its state.
func (c *Controller) syncNode(ctx context.Context, key informer.Key) (time.Duration, error) {
	n, ok := c.deps.Nodes.Get(key)
	if !ok {
		return 0, nil
	}
	now := c.now()
	observed := c.observe(n.Name, c.heartbeat(n), now)
	if now.Sub(observed) > c.cfg.GracePeriod {
		status := api.DeepCopy(n.Status)
		if markUnknown(&status, n.CreationTimestamp, api.NewTime(now)) {
			updated, err := c.patchNode(ctx, n, map[string]any{"status": map[string]any{"conditions": status.Conditions}}, "status")
			if err != nil {
				return 0, fmt.Errorf("mark node %s unknown: %w", n.Name, err)
			}
			c.log.Info().Str("node", n.Name).Dur("silentFor", now.Sub(observed).Truncate(time.Second)).Msg("node stopped posting status")
			c.deps.Events.Eventf(controllerutil.Ref("v1", "Node", n), api.EventTypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", n.Name)
			n = updated
		}
	}
	if !api.IsNodeReady(n) && api.NodeReadyCondition(n) != nil {
		if err := c.markPodsNotReady(ctx, n.Name); err != nil {
			return 0, err
		}
	}
	c.pruneTaintsSeen(n)
	taints, changed := reconcileTaints(n.Spec.Taints, wantedTaints(n), api.NewTime(now))
	if changed {
		if _, err := c.patchNode(ctx, n, map[string]any{"spec": map[string]any{"taints": taints}}, ""); err != nil {
			return 0, fmt.Errorf("taint node %s: %w", n.Name, err)
		}
		c.log.Info().Str("node", n.Name).Strs("taints", taintStrings(taints)).Msg("node taints updated")
	}
	return 0, nil
}

// patchNode merge-patches the node (or its subresource), provided it is
// still at the resourceVersion read; a conflict is returned, to be
// retried against a fresh cache.
func (c *Controller) patchNode(ctx context.Context, n *api.Node, fields map[string]any, sub string) (*api.Node, error) {
	fields["metadata"] = map[string]any{"resourceVersion": n.ResourceVersion}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode patch: %w", err)
	}
	var subs []string
	if sub != "" {
		subs = append(subs, sub)
	}
	return c.deps.Client.Nodes().Patch(ctx, n.Name, client.MergePatchType, b, subs...)
}

// markPodsNotReady sets the Ready condition of the pods on a node that is
// not ready to False, as Kubernetes does, so that their owners stop
// counting them as ready.
func (c *Controller) markPodsNotReady(ctx context.Context, node string) error {
	var errs []error
	for _, p := range c.deps.Pods.ByIndex(IndexPodsByNode, node) {
		if !api.IsPodReady(p) || p.DeletionTimestamp != nil {
			continue
		}
		p = api.DeepCopy(p)
		api.SetPodCondition(&p.Status, api.PodCondition{Type: api.PodReady, Status: api.ConditionFalse})
		_, err := c.deps.Client.Pods(p.Namespace).UpdateStatus(ctx, p)
		if client.IsNotFound(err) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("mark pod %s/%s not ready: %w", p.Namespace, p.Name, err))
			continue
		}
		c.deps.Events.Eventf(controllerutil.Ref("v1", "Pod", p), api.EventTypeWarning, "NodeNotReady", "Node is not ready")
	}
	return errors.Join(errs...)
}

// syncPod evicts a pod from a node with NoExecute taints once it no
// longer tolerates them, or looks at it again when its toleration ends.
func (c *Controller) syncPod(ctx context.Context, key informer.Key) (time.Duration, error) {
	p, ok := c.deps.Pods.Get(key)
	if !ok || p.Spec.NodeName == "" || p.DeletionTimestamp != nil || api.IsPodTerminal(p) {
		return 0, nil
	}
	n, ok := c.deps.Nodes.Get(informer.Key{Name: p.Spec.NodeName})
	if !ok {
		return 0, nil
	}
	now := c.now()
	at, evict := evictionTime(p.Spec.Tolerations, n.Spec.Taints, func(t api.Taint) time.Time { return c.taintSeen(n.Name, t, now) })
	if !evict {
		return 0, nil
	}
	if wait := at.Sub(now); wait > 0 {
		return wait, nil
	}
	uid := p.UID
	err := c.deps.Client.Pods(p.Namespace).Delete(ctx, p.Name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
	if client.IsNotFound(err) || client.IsConflict(err) {
		return 0, nil // gone, or another pod of that name
	}
	if err != nil {
		return 0, fmt.Errorf("evict pod %s: %w", key, err)
	}
	c.log.Info().Str("pod", key.String()).Str("node", n.Name).Msg("evicted pod from tainted node")
	c.deps.Events.Eventf(controllerutil.Ref("v1", "Pod", p), api.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", key)
	return 0, nil
}

// taintSeen returns when the controller first saw taint, which has no
// timeAdded, on the node.
func (c *Controller) taintSeen(node string, t api.Taint, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[node]
	if h == nil {
		h = &health{observed: now}
		c.health[node] = h
	}
	if h.taintSeen == nil {
		h.taintSeen = make(map[string]time.Time)
	}
	id := t.Key + "=" + t.Value
	if seen, ok := h.taintSeen[id]; ok {
		return seen
	}
	h.taintSeen[id] = now
	return now
}

// pruneTaintsSeen forgets the first sightings of taints the node no
// longer has, so that a taint added again is timed afresh.
func (c *Controller) pruneTaintsSeen(n *api.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[n.Name]
	if h == nil {
		return
	}
	current := noExecute(n.Spec.Taints)
	for id := range h.taintSeen {
		if !slices.Contains(current, id) {
			delete(h.taintSeen, id)
		}
	}
}

func taintStrings(taints []api.Taint) []string {
	out := make([]string, len(taints))
	for i, t := range taints {
		out[i] = t.Key + ":" + string(t.Effect)
	}
	return out
}
