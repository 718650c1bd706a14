package replicaset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// Owner reference of the pods a ReplicaSet controls.
const (
	apiVersion = "apps/v1"
	kind       = "ReplicaSet"
)

// Config tunes the controller.
type Config struct {
	// BurstReplicas bounds the pods created or deleted in one sync
	// (Kubernetes' burstReplicas); 0: 500.
	BurstReplicas int `yaml:"burstReplicas"`
	// ExpectationsTimeout is how long unobserved creates and deletes hold a
	// ReplicaSet back; 0: 5 minutes.
	ExpectationsTimeout time.Duration `yaml:"expectationsTimeout"`
}

// DefaultConfig returns Kubernetes' settings.
func DefaultConfig() Config {
	return Config{BurstReplicas: 500, ExpectationsTimeout: controllerutil.DefaultExpectationsTimeout}
}

// Deps are what the controller works with. The informers are shared with
// other controllers and run by the caller; both must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client      *client.Client
	Pods        *informer.Informer[*api.Pod]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the ReplicaSet controller. Create it with New and start it
// with Run.
type Controller struct {
	cfg    Config
	log    zerolog.Logger
	pods   *informer.Informer[*api.Pod]
	rss    *informer.Informer[*api.ReplicaSet]
	events controllerutil.EventRecorder
	w      writer
	exp    *controllerutil.Expectations
	now    func() time.Time

	handlers sync.Once
	running  atomic.Bool
	queue    atomic.Pointer[workqueue.Queue[informer.Key]] // nil when not running
}

// New validates cfg and deps and returns a controller; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if cfg.BurstReplicas == 0 {
		cfg.BurstReplicas = 500
	}
	if cfg.BurstReplicas < 0 {
		return nil, fmt.Errorf("replicaset controller: burstReplicas %d must be positive", cfg.BurstReplicas)
	}
	if cfg.ExpectationsTimeout < 0 {
		return nil, fmt.Errorf("replicaset controller: expectationsTimeout %s must not be negative", cfg.ExpectationsTimeout)
	}
	if deps.Client == nil || deps.Pods == nil || deps.ReplicaSets == nil || deps.Events == nil {
		return nil, errors.New("replicaset controller: client, pod and replicaset informers and event recorder are required")
	}
	return &Controller{
		cfg:    cfg,
		log:    log,
		pods:   deps.Pods,
		rss:    deps.ReplicaSets,
		events: deps.Events,
		w:      clientWriter{deps.Client},
		exp:    controllerutil.NewExpectations(cfg.ExpectationsTimeout, nil),
		now:    time.Now,
	}, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns (a leader that lost
// and regained its lease), but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("replicaset controller: already running")
	}
	defer c.running.Store(false)
	q := workqueue.New(workqueue.Config[informer.Key]{})
	c.queue.Store(q)
	defer c.queue.Store(nil)
	c.handlers.Do(c.addHandlers)
	if !informer.WaitForCacheSync(ctx, c.pods.HasSynced, c.rss.HasSynced) {
		q.ShutDown()
		return nil
	}
	// The handlers may have run before this queue existed: look at all.
	for _, rs := range c.rss.List() {
		q.Add(informer.KeyOf(rs))
	}
	c.log.Info().Int("workers", workers).Msg("replicaset controller started")
	controllerutil.RunWorkers(ctx, q, workers, c.sync, c.log)
	c.log.Info().Msg("replicaset controller stopped")
	return nil
}

func (c *Controller) addHandlers() {
	c.rss.AddHandler(informer.HandlerFuncs[*api.ReplicaSet]{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, rs *api.ReplicaSet) { c.enqueue(rs) },
		DeleteFunc: func(rs *api.ReplicaSet) { c.exp.Delete(rs.Key()) },
	})
	c.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc:    c.addPod,
		UpdateFunc: c.updatePod,
		DeleteFunc: c.deletePod,
	})
}

func (c *Controller) enqueue(rs *api.ReplicaSet) {
	if q := c.queue.Load(); q != nil {
		q.Add(informer.KeyOf(rs))
	}
}

// owner returns the cached ReplicaSet ref names, if it is one and still
// has ref's uid.
func (c *Controller) owner(namespace string, ref *api.OwnerReference) *api.ReplicaSet {
	rs, _ := controllerutil.Owner(c.rss, kind, namespace, ref)
	return rs
}

// selecting returns the ReplicaSets of pod's namespace whose selector
// matches it: those that may adopt it.
func (c *Controller) selecting(pod *api.Pod) []*api.ReplicaSet {
	return controllerutil.Selecting(c.rss, pod.Namespace, pod.Labels, func(rs *api.ReplicaSet) *api.LabelSelector { return rs.Spec.Selector })
}

func (c *Controller) addPod(pod *api.Pod) {
	if pod.DeletionTimestamp != nil {
		// Seen for the first time while terminating (a relist, a restart):
		// it must not count as a new replica.
		c.deletePod(pod)
		return
	}
	if ref := api.GetControllerOf(&pod.ObjectMeta); ref != nil {
		if rs := c.owner(pod.Namespace, ref); rs != nil {
			c.exp.CreationObserved(rs.Key())
			c.enqueue(rs)
		}
		return
	}
	for _, rs := range c.selecting(pod) {
		c.enqueue(rs)
	}
}

func (c *Controller) updatePod(old, cur *api.Pod) {
	if old.ResourceVersion == cur.ResourceVersion {
		return // a resync; the ReplicaSets' own resync covers it
	}
	labelsChanged := !maps.Equal(old.Labels, cur.Labels)
	if cur.DeletionTimestamp != nil {
		// Terminating pods stop counting now, not when the kubelet is done.
		c.deletePod(cur)
		if labelsChanged {
			c.deletePod(old)
		}
		return
	}
	oldRef, curRef := api.GetControllerOf(&old.ObjectMeta), api.GetControllerOf(&cur.ObjectMeta)
	refChanged := !api.SameController(oldRef, curRef)
	if refChanged {
		if rs := c.owner(old.Namespace, oldRef); rs != nil {
			c.enqueue(rs)
		}
	}
	if curRef != nil {
		if rs := c.owner(cur.Namespace, curRef); rs != nil {
			c.enqueue(rs)
		}
		return
	}
	if labelsChanged || refChanged {
		for _, rs := range c.selecting(cur) {
			c.enqueue(rs)
		}
	}
}

func (c *Controller) deletePod(pod *api.Pod) {
	if rs := c.owner(pod.Namespace, api.GetControllerOf(&pod.ObjectMeta)); rs != nil {
		c.exp.DeletionObserved(rs.Key(), pod.Key())
		c.enqueue(rs)
	}
}
