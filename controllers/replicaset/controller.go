package replicaset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
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
	tally  *tally
	now    func() time.Time
	loop   controllerutil.Loop
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
	c := &Controller{
		cfg:    cfg,
		log:    log,
		pods:   deps.Pods,
		rss:    deps.ReplicaSets,
		events: deps.Events,
		w:      clientWriter{deps.Client},
		exp:    controllerutil.NewExpectations(cfg.ExpectationsTimeout, nil),
		tally:  newTally(),
		now:    time.Now,
	}
	c.loop = controllerutil.Loop{Name: "replicaset controller", Log: log, Sync: c.sync,
		HasSynced: []func() bool{c.pods.HasSynced, c.rss.HasSynced}, AddHandlers: c.addHandlers, Keys: controllerutil.KeysOf(c.rss)}
	return c, nil
}

// Run waits for the informers' caches, then reconciles with the given
// number of workers until ctx ends, and returns nil once they have
// stopped. It may be called again after it returns (a leader that lost
// and regained its lease), but not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

func (c *Controller) addHandlers() {
	rs := controllerutil.Handler[*api.ReplicaSet](&c.loop)
	rs.DeleteFunc = func(rs *api.ReplicaSet) { c.exp.Delete(rs.Key()) }
	c.rss.AddHandler(rs)
	// The tally first: an expectation observed is then a pod tallied.
	c.tally.listed = c.pods.AddHandler(c.tally)
	c.pods.AddHandler(controllerutil.DependentHandler[*api.Pod](c.rss, kind,
		func(rs *api.ReplicaSet) *api.LabelSelector { return rs.Spec.Selector }, c.exp, &c.loop))
}
