package job

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

const (
	apiVersion = "batch/v1"
	kind       = "Job"
)

// Config tunes the controller.
type Config struct {
	// PodFailureBackoff is the delay before a pod replaces the first
	// failed one; it doubles with each further failure since the last
	// success, up to MaxPodFailureBackoff.
	PodFailureBackoff    time.Duration `yaml:"podFailureBackoff"`
	MaxPodFailureBackoff time.Duration `yaml:"maxPodFailureBackoff"`
	// BurstCreates is the most pods created in one sync.
	BurstCreates int `yaml:"burstCreates"`
}

// DefaultConfig returns Kubernetes' values: 10s doubling up to 6 minutes,
// 500 pods per sync.
func DefaultConfig() Config {
	return Config{PodFailureBackoff: 10 * time.Second, MaxPodFailureBackoff: 6 * time.Minute, BurstCreates: 500}
}

// Deps are what the controller works with. The informers are shared and
// run by the caller; both must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client *client.Client
	Pods   *informer.Informer[*api.Pod]
	Jobs   *informer.Informer[*api.Job]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the Job controller. Create it with New and start it with
// Run.
type Controller struct {
	cfg    Config
	log    zerolog.Logger
	pods   *informer.Informer[*api.Pod]
	jobs   *informer.Informer[*api.Job]
	events controllerutil.EventRecorder
	w      writer
	exp    *controllerutil.Expectations
	now    func() time.Time

	mu sync.Mutex
	// removing maps a job key to the uids of its pods whose finalizer
	// removal was issued: they are never counted again, even by a sync
	// that still sees them with it. An entry lives until the pod is
	// deleted or the Job forgotten (not until an update shows the
	// finalizer gone: under load a sync was seen reading a pod from
	// before such an update after the handler for it had run).
	removing map[string]map[string]struct{}
	backoff  map[string]backoffRecord // job key → failures since the last success
	// written maps a job key to the Job as this controller last wrote
	// its status: a sync that reads an older Job from the cache is
	// skipped (see stale).
	written map[string]writtenJob

	loop controllerutil.Loop
}

// writtenJob identifies a status write: the Job's uid and the
// resourceVersion the API server gave it.
type writtenJob struct {
	uid string
	rv  int64
}

// backoffRecord counts a Job's pod failures since its last success.
type backoffRecord struct {
	failures    int
	lastFailure time.Time
}

// New validates cfg and deps and returns a controller; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if cfg.PodFailureBackoff <= 0 || cfg.MaxPodFailureBackoff < cfg.PodFailureBackoff || cfg.BurstCreates < 1 {
		return nil, fmt.Errorf("job controller: podFailureBackoff %s must be positive and at most maxPodFailureBackoff %s, burstCreates %d at least 1",
			cfg.PodFailureBackoff, cfg.MaxPodFailureBackoff, cfg.BurstCreates)
	}
	if deps.Client == nil || deps.Pods == nil || deps.Jobs == nil || deps.Events == nil {
		return nil, errors.New("job controller: client, pod and job informers and event recorder are required")
	}
	c := &Controller{
		cfg:      cfg,
		log:      log,
		pods:     deps.Pods,
		jobs:     deps.Jobs,
		events:   deps.Events,
		w:        clientWriter{deps.Client},
		exp:      controllerutil.NewExpectations(0, nil),
		now:      time.Now,
		removing: map[string]map[string]struct{}{},
		backoff:  map[string]backoffRecord{},
		written:  map[string]writtenJob{},
	}
	c.loop = controllerutil.Loop{Name: "job controller", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.jobs.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.jobs)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns, but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.jobs.AddHandler(informer.HandlerFuncs[*api.Job]{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, j *api.Job) { c.enqueue(j) },
		DeleteFunc: func(j *api.Job) { c.forget(j.Key()) },
	})
	c.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc: func(p *api.Pod) {
			if j := c.podChanged(p); j != nil && p.DeletionTimestamp == nil {
				c.exp.CreationObserved(j.Key())
			}
		},
		UpdateFunc: func(old, cur *api.Pod) {
			if old.ResourceVersion == cur.ResourceVersion {
				return
			}
			if j := c.podChanged(cur); j != nil {
				if cur.DeletionTimestamp != nil {
					c.exp.DeletionObserved(j.Key(), cur.Key())
				}
			}
		},
		DeleteFunc: func(p *api.Pod) {
			if j := c.podChanged(p); j != nil {
				c.exp.DeletionObserved(j.Key(), p.Key())
				c.removalObserved(j.Key(), p.UID)
			}
		},
	})
}

// podChanged enqueues the Job that controls pod and returns it; a pod
// that still carries the tracking finalizer of a Job that is gone is
// enqueued under that Job's name, so that the finalizer is removed.
func (c *Controller) podChanged(pod *api.Pod) *api.Job {
	ref := api.GetControllerOf(&pod.ObjectMeta)
	if ref == nil || ref.Kind != kind {
		return nil
	}
	if j := c.owner(pod); j != nil {
		c.enqueue(j)
		return j
	}
	if hasFinalizer(pod) {
		c.loop.Add(informer.Key{Namespace: pod.Namespace, Name: ref.Name})
	}
	return nil
}

func (c *Controller) enqueue(j *api.Job) { c.loop.Enqueue(j) }

// owner returns the cached Job that controls pod, if any.
func (c *Controller) owner(pod *api.Pod) *api.Job {
	j, _ := controllerutil.Owner(c.jobs, kind, pod.Namespace, api.GetControllerOf(&pod.ObjectMeta))
	return j
}

// forget drops what the controller remembers of a deleted Job.
func (c *Controller) forget(key string) {
	c.exp.Delete(key)
	c.mu.Lock()
	delete(c.removing, key)
	delete(c.backoff, key)
	delete(c.written, key)
	c.mu.Unlock()
}

// wrote records job as written by this controller.
func (c *Controller) wrote(job *api.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written[job.Key()] = writtenJob{uid: job.UID, rv: client.ResourceVersion(job)}
}

// stale reports whether the cached job is older than the controller's
// last status write of it. Such a cache counts the pods whose finalizer
// that write's sync removed nowhere (their uids have left
// uncountedTerminatedPods and they are not tracked any more), so a sync
// from it would see too few completions and create pods again. The
// informer's update for the write enqueues the Job again; Kubernetes
// defers these syncs the same way (StaleControllerConsistencyJob).
func (c *Controller) stale(job *api.Job) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.written[job.Key()]
	return ok && w.uid == job.UID && client.ResourceVersion(job) < w.rv
}

// expectRemoval records that the finalizer of the pod with uid is being
// removed.
func (c *Controller) expectRemoval(job, uid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing[job] == nil {
		c.removing[job] = map[string]struct{}{}
	}
	c.removing[job][uid] = struct{}{}
}

func (c *Controller) removalObserved(job, uid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.removing[job], uid)
}

func (c *Controller) removalPending(job, uid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.removing[job][uid]
	return ok
}
