package deployment

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// Owner references the controller writes and follows.
const (
	apiVersion = "apps/v1"
	kind       = "Deployment"
	rsKind     = "ReplicaSet"
)

// Config tunes the controller. It has no settings yet; it exists so that
// the controller has the same shape as the others.
type Config struct{}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{} }

// Deps are what the controller works with. The informers are shared with
// other controllers and run by the caller; all must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client      *client.Client
	Pods        *informer.Informer[*api.Pod]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	Deployments *informer.Informer[*api.Deployment]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the Deployment controller. Create it with New and start
// it with Run.
type Controller struct {
	log     zerolog.Logger
	pods    *informer.Informer[*api.Pod]
	rss     *informer.Informer[*api.ReplicaSet]
	deploys *informer.Informer[*api.Deployment]
	events  controllerutil.EventRecorder
	w       writer
	now     func() time.Time

	loop controllerutil.Loop
}

// New validates deps and returns a controller; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Pods == nil || deps.ReplicaSets == nil || deps.Deployments == nil || deps.Events == nil {
		return nil, errors.New("deployment controller: client, pod, replicaset and deployment informers and event recorder are required")
	}
	c := &Controller{
		log:     log,
		pods:    deps.Pods,
		rss:     deps.ReplicaSets,
		deploys: deps.Deployments,
		events:  deps.Events,
		w:       clientWriter{deps.Client},
		now:     time.Now,
	}
	c.loop = controllerutil.Loop{Name: "deployment controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.rss.HasSynced, c.deploys.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.deploys)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.deploys.AddHandler(controllerutil.Handler[*api.Deployment](&c.loop))
	c.rss.AddHandler(informer.HandlerFuncs[*api.ReplicaSet]{
		AddFunc:    c.addReplicaSet,
		UpdateFunc: c.updateReplicaSet,
		DeleteFunc: c.deleteReplicaSet,
	})
	c.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{DeleteFunc: c.deletePod})
}

func (c *Controller) enqueue(d *api.Deployment) { c.loop.Enqueue(d) }

// owner returns the cached Deployment ref names, if it is one and still
// has ref's uid.
func (c *Controller) owner(namespace string, ref *api.OwnerReference) *api.Deployment {
	d, _ := controllerutil.Owner(c.deploys, kind, namespace, ref)
	return d
}

// selecting returns the Deployments of rs's namespace that may adopt it.
func (c *Controller) selecting(rs *api.ReplicaSet) []*api.Deployment {
	return controllerutil.Selecting(c.deploys, rs.Namespace, rs.Labels, func(d *api.Deployment) *api.LabelSelector { return d.Spec.Selector })
}

func (c *Controller) addReplicaSet(rs *api.ReplicaSet) {
	if ref := api.GetControllerOf(&rs.ObjectMeta); ref != nil {
		if d := c.owner(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
		return
	}
	for _, d := range c.selecting(rs) {
		c.enqueue(d)
	}
}

func (c *Controller) updateReplicaSet(old, cur *api.ReplicaSet) {
	if old.ResourceVersion == cur.ResourceVersion {
		return // a resync; the Deployments' own resync covers it
	}
	oldRef, curRef := api.GetControllerOf(&old.ObjectMeta), api.GetControllerOf(&cur.ObjectMeta)
	refChanged := !api.SameController(oldRef, curRef)
	if refChanged {
		if d := c.owner(old.Namespace, oldRef); d != nil {
			c.enqueue(d)
		}
	}
	if curRef != nil {
		if d := c.owner(cur.Namespace, curRef); d != nil {
			c.enqueue(d)
		}
		return
	}
	if refChanged || !maps.Equal(old.Labels, cur.Labels) {
		for _, d := range c.selecting(cur) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) deleteReplicaSet(rs *api.ReplicaSet) {
	if d := c.owner(rs.Namespace, api.GetControllerOf(&rs.ObjectMeta)); d != nil {
		c.enqueue(d)
	}
}

// deletePod wakes a Recreate Deployment waiting for its old pods to go.
func (c *Controller) deletePod(pod *api.Pod) {
	ref := api.GetControllerOf(&pod.ObjectMeta)
	if ref == nil || ref.Kind != rsKind {
		return
	}
	rs, ok := c.rss.Get(informer.Key{Namespace: pod.Namespace, Name: ref.Name})
	if !ok || rs.UID != ref.UID {
		return
	}
	if d := c.owner(rs.Namespace, api.GetControllerOf(&rs.ObjectMeta)); d != nil && !isRollingUpdate(d) {
		c.enqueue(d)
	}
}
