package daemonset

import (
	"context"
	"errors"
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

// Owner reference of the pods and revisions a DaemonSet controls.
const (
	apiVersion = "apps/v1"
	kind       = "DaemonSet"
)

// burstReplicas bounds the pods created or deleted in one sync, as
// Kubernetes' daemon controller.
const burstReplicas = 250

// Deps are what the controller works with. The informers are shared and
// run by the caller; all but Nodes must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client     *client.Client
	Pods       *informer.Informer[*api.Pod]
	Nodes      *informer.Informer[*api.Node]
	DaemonSets *informer.Informer[*api.DaemonSet]
	Revisions  *informer.Informer[*api.ControllerRevision]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the DaemonSet controller. Create it with New and start it
// with Run.
type Controller struct {
	log     zerolog.Logger
	pods    *informer.Informer[*api.Pod]
	nodes   *informer.Informer[*api.Node]
	dss     *informer.Informer[*api.DaemonSet]
	events  controllerutil.EventRecorder
	w       writer
	history controllerutil.History
	exp     *controllerutil.Expectations
	now     func() time.Time

	backoffMu sync.Mutex
	backoff   map[string]backoffEntry // namespace/name/node → failed-pod back-off

	loop controllerutil.Loop
}

// New validates deps and returns a controller; it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Pods == nil || deps.Nodes == nil || deps.DaemonSets == nil || deps.Revisions == nil || deps.Events == nil {
		return nil, errors.New("daemonset controller: client, pod, node, daemonset and controllerrevision informers and event recorder are required")
	}
	c := &Controller{
		log:    log,
		pods:   deps.Pods,
		nodes:  deps.Nodes,
		dss:    deps.DaemonSets,
		events: deps.Events,
		w:      clientWriter{deps.Client},
		history: controllerutil.History{Revisions: deps.Revisions, Client: controllerutil.NewRevisionClient(deps.Client),
			OwnerAPIVersion: apiVersion, OwnerKind: kind},
		exp: controllerutil.NewExpectations(0, nil),
		now: time.Now,
	}
	c.loop = controllerutil.Loop{Name: "daemonset controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.nodes.HasSynced, c.dss.HasSynced, c.history.Revisions.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.dss)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.dss.AddHandler(informer.HandlerFuncs[*api.DaemonSet]{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, ds *api.DaemonSet) { c.enqueue(ds) },
		DeleteFunc: func(ds *api.DaemonSet) { c.exp.Delete(ds.Key()) },
	})
	selector := func(ds *api.DaemonSet) *api.LabelSelector { return ds.Spec.Selector }
	c.pods.AddHandler(controllerutil.DependentHandler[*api.Pod](c.dss, kind, selector, c.exp, &c.loop))
	c.history.Revisions.AddHandler(controllerutil.DependentHandler[*api.ControllerRevision](c.dss, kind, selector, nil, &c.loop))
	c.nodes.AddHandler(informer.HandlerFuncs[*api.Node]{
		AddFunc: func(*api.Node) { c.enqueueAll() },
		UpdateFunc: func(old, cur *api.Node) {
			if nodeChanged(old, cur) {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(*api.Node) { c.enqueueAll() },
	})
}

// nodeChanged reports whether a node update may change which daemon pods
// it should run.
func nodeChanged(old, cur *api.Node) bool {
	return !maps.Equal(old.Labels, cur.Labels) || !slices.EqualFunc(old.Spec.Taints, cur.Spec.Taints, func(a, b api.Taint) bool {
		return a.Key == b.Key && a.Value == b.Value && a.Effect == b.Effect
	}) || old.Spec.Unschedulable != cur.Spec.Unschedulable || api.IsNodeReady(old) != api.IsNodeReady(cur)
}

func (c *Controller) enqueue(ds *api.DaemonSet) { c.loop.Enqueue(ds) }

func (c *Controller) enqueueAll() {
	for _, ds := range c.dss.List() {
		c.enqueue(ds)
	}
}
