package cronjob

import (
	"context"
	"errors"
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

	handlers sync.Once
	running  atomic.Bool
	queue    atomic.Pointer[workqueue.Queue[informer.Key]] // nil when not running
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
	return &Controller{log: log, jobs: deps.Jobs, cjs: deps.CronJobs, events: deps.Events,
		w: clientWriter{deps.Client}, now: now}, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("cronjob controller: already running")
	}
	defer c.running.Store(false)
	q := workqueue.New(workqueue.Config[informer.Key]{})
	c.queue.Store(q)
	defer c.queue.Store(nil)
	c.handlers.Do(c.addHandlers)
	if !informer.WaitForCacheSync(ctx, c.jobs.HasSynced, c.cjs.HasSynced) {
		q.ShutDown()
		return nil
	}
	for _, cj := range c.cjs.List() {
		q.Add(informer.KeyOf(cj))
	}
	c.log.Info().Int("workers", workers).Msg("cronjob controller started")
	controllerutil.RunWorkers(ctx, q, workers, c.sync, c.log)
	c.log.Info().Msg("cronjob controller stopped")
	return nil
}

func (c *Controller) addHandlers() {
	c.cjs.AddHandler(informer.HandlerFuncs[*api.CronJob]{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cj *api.CronJob) { c.enqueue(cj) },
	})
	c.jobs.AddHandler(informer.HandlerFuncs[*api.Job]{
		AddFunc:    c.jobChanged,
		UpdateFunc: func(_, j *api.Job) { c.jobChanged(j) },
		DeleteFunc: c.jobChanged,
	})
}

func (c *Controller) enqueue(cj *api.CronJob) {
	if q := c.queue.Load(); q != nil {
		q.Add(informer.KeyOf(cj))
	}
}

// jobChanged enqueues the CronJob that controls j.
func (c *Controller) jobChanged(j *api.Job) {
	if cj, ok := controllerutil.Owner(c.cjs, kind, j.Namespace, api.GetControllerOf(&j.ObjectMeta)); ok {
		c.enqueue(cj)
	}
}
