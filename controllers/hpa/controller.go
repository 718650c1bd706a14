package hpa

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

// Config tunes the controller (kube-controller-manager's
// --horizontal-pod-autoscaler-* flags).
type Config struct {
	// SyncPeriod is how often every HPA is looked at.
	SyncPeriod time.Duration `yaml:"syncPeriod"`
	// DownscaleStabilization is the scale-down stabilisation window of
	// HPAs whose behavior does not set one.
	DownscaleStabilization time.Duration `yaml:"downscaleStabilization"`
	// Tolerance is the ratio of usage to target, around 1, within which
	// nothing is scaled.
	Tolerance float64 `yaml:"tolerance"`
}

// DefaultConfig returns Kubernetes' defaults: 15s, 5m, 0.1.
func DefaultConfig() Config {
	return Config{SyncPeriod: 15 * time.Second, DownscaleStabilization: 5 * time.Minute, Tolerance: 0.1}
}

// Validate reports settings the controller cannot work with.
func (c Config) Validate() error {
	if c.SyncPeriod <= 0 || c.DownscaleStabilization < 0 || c.Tolerance < 0 {
		return fmt.Errorf("horizontal pod autoscaler: need syncPeriod > 0, downscaleStabilization >= 0, tolerance >= 0 (got %+v)", c)
	}
	return nil
}

// Deps are what the controller works with. The informers are shared and
// run by the caller; Pods must have been created with
// controllerutil.Indexers.
type Deps struct {
	Client *client.Client
	Pods   *informer.Informer[*api.Pod]
	HPAs   *informer.Informer[*api.HorizontalPodAutoscaler]
	// Events records what the controller does; *events.Recorder.
	Events controllerutil.EventRecorder
}

// Controller is the HorizontalPodAutoscaler controller; see the package
// doc. Create it with New and start it with Run.
type Controller struct {
	cfg    Config
	log    zerolog.Logger
	pods   *informer.Informer[*api.Pod]
	hpas   *informer.Informer[*api.HorizontalPodAutoscaler]
	events controllerutil.EventRecorder
	w      writer
	now    func() time.Time

	mu      sync.Mutex
	history map[informer.Key]*history

	loop controllerutil.Loop
}

// New validates cfg and deps and returns a controller; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.Pods == nil || deps.HPAs == nil || deps.Events == nil {
		return nil, errors.New("horizontal pod autoscaler: client, pod and HPA informers and event recorder are required")
	}
	c := &Controller{cfg: cfg, log: log, pods: deps.Pods, hpas: deps.HPAs, events: deps.Events,
		w: &clientWriter{c: deps.Client}, now: time.Now, history: map[informer.Key]*history{}}
	c.loop = controllerutil.Loop{Name: "horizontal pod autoscaler", Log: log, Sync: c.sync,
		HasSynced:   []func() bool{c.pods.HasSynced, c.hpas.HasSynced},
		AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.hpas),
		Resync: cfg.SyncPeriod, StartFields: map[string]any{"syncPeriod": cfg.SyncPeriod}}
	return c, nil
}

// Run waits for the caches, then syncs every HPA every SyncPeriod (and at
// once when one is created or its spec changes) with the given number of
// workers until ctx ends; it returns nil once they have stopped.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	c.hpas.AddHandler(informer.HandlerFuncs[*api.HorizontalPodAutoscaler]{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, cur *api.HorizontalPodAutoscaler) {
			// A status write (ours) changes nothing to act on; the periodic
			// sync comes anyway.
			if old.Generation != cur.Generation {
				c.enqueue(cur)
			}
		},
		DeleteFunc: func(h *api.HorizontalPodAutoscaler) {
			c.mu.Lock()
			delete(c.history, informer.KeyOf(h))
			c.mu.Unlock()
		},
	})
}

func (c *Controller) enqueue(h *api.HorizontalPodAutoscaler) { c.loop.Enqueue(h) }

func (c *Controller) historyOf(k informer.Key) *history {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.history[k]
	if h == nil {
		h = &history{}
		c.history[k] = h
	}
	return h
}
