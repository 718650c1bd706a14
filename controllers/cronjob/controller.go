package cronjob

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

const (
	apiVersion = "batch/v1"
	kind       = "CronJob"
)

// Deps are what the controller works with. The informers are shared and
// run by the caller; both must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client   *client.Client
	Jobs     *informer.Informer[*api.Job]
	CronJobs *informer.Informer[*api.CronJob]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
	// Now is the controller's clock (nil: time.Now).
	Now func() time.Time
}

// Controller is the CronJob controller. Create it with New and start it
// with Run.
type Controller struct {
	log    zerolog.Logger
	jobs   *informer.Informer[*api.Job]
	cjs    *informer.Informer[*api.CronJob]
	events controllerutil.EventRecorder
	w      writer
	now    func() time.Time

	loop controllerutil.Loop
}

// New validates deps and returns a controller; it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Jobs == nil || deps.CronJobs == nil || deps.Events == nil {
		return nil, errors.New("cronjob controller: client, job and cronjob informers and event recorder are required")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	c := &Controller{log: log, jobs: deps.Jobs, cjs: deps.CronJobs, events: deps.Events,
		w: clientWriter{deps.Client}, now: now}
	c.loop = controllerutil.Loop{Name: "cronjob controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.jobs.HasSynced, c.cjs.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.cjs)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.cjs.AddHandler(controllerutil.Handler[*api.CronJob](&c.loop))
	c.jobs.AddHandler(informer.HandlerFuncs[*api.Job]{
		AddFunc:    c.jobChanged,
		UpdateFunc: func(_, j *api.Job) { c.jobChanged(j) },
		DeleteFunc: c.jobChanged,
	})
}

func (c *Controller) enqueue(cj *api.CronJob) { c.loop.Enqueue(cj) }

// jobChanged enqueues the CronJob that controls j.
func (c *Controller) jobChanged(j *api.Job) {
	if cj, ok := controllerutil.Owner(c.cjs, kind, j.Namespace, api.GetControllerOf(&j.ObjectMeta)); ok {
		c.enqueue(cj)
	}
}
