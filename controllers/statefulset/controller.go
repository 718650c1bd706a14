package statefulset

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// Owner reference of the pods and revisions a StatefulSet controls.
const (
	apiVersion = "apps/v1"
	kind       = "StatefulSet"
)

// Deps are what the controller works with. The informers are shared and
// run by the caller, created with controllerutil.Indexers.
type Deps struct {
	Client       *client.Client
	Pods         *informer.Informer[*api.Pod]
	StatefulSets *informer.Informer[*api.StatefulSet]
	Revisions    *informer.Informer[*api.ControllerRevision]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the StatefulSet controller. Create it with New and start
// it with Run.
type Controller struct {
	log     zerolog.Logger
	pods    *informer.Informer[*api.Pod]
	sets    *informer.Informer[*api.StatefulSet]
	events  controllerutil.EventRecorder
	w       writer
	history controllerutil.History
	exp     *controllerutil.Expectations
	now     func() time.Time

	mu      sync.Mutex
	waiting map[string]string // set key → the pod it last said it waits for

	loop controllerutil.Loop
}

// New validates deps and returns a controller; it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Pods == nil || deps.StatefulSets == nil || deps.Revisions == nil || deps.Events == nil {
		return nil, errors.New("statefulset controller: client, pod, statefulset and controllerrevision informers and event recorder are required")
	}
	c := &Controller{
		log:    log,
		pods:   deps.Pods,
		sets:   deps.StatefulSets,
		events: deps.Events,
		w:      clientWriter{deps.Client},
		history: controllerutil.History{Revisions: deps.Revisions, Client: controllerutil.NewRevisionClient(deps.Client),
			OwnerAPIVersion: apiVersion, OwnerKind: kind},
		exp:     controllerutil.NewExpectations(0, nil),
		now:     time.Now,
		waiting: map[string]string{},
	}
	c.loop = controllerutil.Loop{Name: "statefulset controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.sets.HasSynced, c.history.Revisions.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.sets)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.sets.AddHandler(informer.HandlerFuncs[*api.StatefulSet]{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, set *api.StatefulSet) { c.enqueue(set) },
		DeleteFunc: func(set *api.StatefulSet) {
			c.exp.Delete(set.Key())
			c.mu.Lock()
			delete(c.waiting, set.Key())
			c.mu.Unlock()
		},
	})
	selector := func(set *api.StatefulSet) *api.LabelSelector { return set.Spec.Selector }
	c.pods.AddHandler(controllerutil.DependentHandler[*api.Pod](c.sets, kind, selector, c.exp, &c.loop))
	c.history.Revisions.AddHandler(controllerutil.DependentHandler[*api.ControllerRevision](c.sets, kind, selector, nil, &c.loop))
}

func (c *Controller) enqueue(set *api.StatefulSet) { c.loop.Enqueue(set) }
