package disruption

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// Deps are what the controller works with. The informers are shared with
// other controllers and run by the caller; all must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client      *client.Client
	Pods        *informer.Informer[*api.Pod]
	PDBs        *informer.Informer[*api.PodDisruptionBudget]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	Deployments *informer.Informer[*api.Deployment]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the disruption controller. Create it with New and start
// it with Run.
type Controller struct {
	log     zerolog.Logger
	pods    *informer.Informer[*api.Pod]
	pdbs    *informer.Informer[*api.PodDisruptionBudget]
	rss     *informer.Informer[*api.ReplicaSet]
	deploys *informer.Informer[*api.Deployment]
	events  controllerutil.EventRecorder
	w       writer
	now     func() time.Time

	loop controllerutil.Loop
}

// New validates deps and returns a controller; it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Pods == nil || deps.PDBs == nil || deps.ReplicaSets == nil || deps.Deployments == nil || deps.Events == nil {
		return nil, errors.New("disruption controller: client, pod, budget, replicaset and deployment informers and event recorder are required")
	}
	c := &Controller{
		log:     log,
		pods:    deps.Pods,
		pdbs:    deps.PDBs,
		rss:     deps.ReplicaSets,
		deploys: deps.Deployments,
		events:  deps.Events,
		w:       clientWriter{deps.Client},
		now:     time.Now,
	}
	c.loop = controllerutil.Loop{Name: "disruption controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.pdbs.HasSynced, c.rss.HasSynced, c.deploys.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.pdbs)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.pdbs.AddHandler(controllerutil.Handler[*api.PodDisruptionBudget](&c.loop))
	c.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc: c.enqueueBudgetsOf,
		UpdateFunc: func(old, cur *api.Pod) {
			if old.ResourceVersion == cur.ResourceVersion {
				return // a resync; the budgets' own resync covers it
			}
			c.enqueueBudgetsOf(cur)
			c.enqueueBudgetsOf(old) // its labels may have changed
		},
		DeleteFunc: c.enqueueBudgetsOf,
	})
}

func (c *Controller) enqueue(p *api.PodDisruptionBudget) { c.loop.Enqueue(p) }

// enqueueBudgetsOf enqueues the budgets that select pod.
func (c *Controller) enqueueBudgetsOf(pod *api.Pod) {
	for _, p := range c.pdbs.ByIndex(controllerutil.IndexNamespace, pod.Namespace) {
		if selects(p, pod) {
			c.enqueue(p)
		}
	}
}

// selects reports whether the budget's selector matches the pod: a
// missing selector matches nothing, an empty one everything.
func selects(p *api.PodDisruptionBudget, pod *api.Pod) bool {
	ok, err := p.Spec.Selector.Matches(pod.Labels)
	return err == nil && ok
}
