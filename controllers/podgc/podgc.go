package podgc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
)

// Config tunes the collector.
type Config struct {
	// Period is how often pods are looked at.
	Period time.Duration `yaml:"period"`
	// TerminatedPodThreshold is how many terminated pods may exist before
	// the oldest are deleted; 0 keeps them all.
	TerminatedPodThreshold int `yaml:"terminatedPodThreshold"`
	// Quarantine is how long a node must be missing before its pods are
	// orphans.
	Quarantine time.Duration `yaml:"quarantine"`
}

// DefaultConfig returns Kubernetes' defaults: every 20s, 12500 terminated
// pods, 40s of quarantine.
func DefaultConfig() Config {
	return Config{Period: 20 * time.Second, TerminatedPodThreshold: 12500, Quarantine: 40 * time.Second}
}

// Validate reports settings the collector cannot work with.
func (c Config) Validate() error {
	if c.Period <= 0 || c.TerminatedPodThreshold < 0 || c.Quarantine < 0 {
		return fmt.Errorf("pod gc: need period > 0, terminatedPodThreshold >= 0, quarantine >= 0 (got %+v)", c)
	}
	return nil
}

// Deps are the shared informers (run by the caller) and the client.
type Deps struct {
	Client *client.Client
	Pods   *informer.Informer[*api.Pod]
	Nodes  *informer.Informer[*api.Node]
}

// Controller is the pod garbage collector; see the package doc.
type Controller struct {
	cfg     Config
	log     zerolog.Logger
	c       *client.Client
	pods    *informer.Informer[*api.Pod]
	nodes   *informer.Informer[*api.Node]
	now     func() time.Time
	running atomic.Bool

	mu      sync.Mutex
	missing map[string]time.Time // node → when first seen missing
}

// New validates cfg and deps; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.Pods == nil || deps.Nodes == nil {
		return nil, errors.New("pod gc: client, pod and node informers are required")
	}
	return &Controller{cfg: cfg, log: log, c: deps.Client, pods: deps.Pods, nodes: deps.Nodes, now: time.Now,
		missing: map[string]time.Time{}}, nil
}

// Run waits for the caches, then collects every Period until ctx ends; it
// returns nil then.
func (c *Controller) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("pod gc: already running")
	}
	defer c.running.Store(false)
	if !informer.WaitForCacheSync(ctx, c.pods.HasSynced, c.nodes.HasSynced) {
		return nil
	}
	c.log.Info().Dur("period", c.cfg.Period).Int("terminatedPodThreshold", c.cfg.TerminatedPodThreshold).Msg("pod gc started")
	t := time.NewTicker(c.cfg.Period)
	defer t.Stop()
	for {
		if err := c.collect(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("pod gc")
		}
		select {
		case <-ctx.Done():
			c.log.Info().Msg("pod gc stopped")
			return nil
		case <-t.C:
		}
	}
}

// collect runs one round of the three collections.
func (c *Controller) collect(ctx context.Context) error {
	pods := c.pods.List()
	return errors.Join(c.gcTerminated(ctx, pods), c.gcOrphaned(ctx, pods), c.gcUnscheduledTerminating(ctx, pods))
}

func (c *Controller) gcTerminated(ctx context.Context, pods []*api.Pod) error {
	if c.cfg.TerminatedPodThreshold <= 0 {
		return nil
	}
	var terminated []*api.Pod
	for _, p := range pods {
		if api.IsPodTerminal(p) && p.DeletionTimestamp == nil {
			terminated = append(terminated, p)
		}
	}
	excess := len(terminated) - c.cfg.TerminatedPodThreshold
	if excess <= 0 {
		return nil
	}
	sort.Slice(terminated, func(i, j int) bool {
		a, b := terminated[i].CreationTimestamp.Time, terminated[j].CreationTimestamp.Time
		if !a.Equal(b) {
			return a.Before(b)
		}
		return terminated[i].Namespace+"/"+terminated[i].Name < terminated[j].Namespace+"/"+terminated[j].Name
	})
	c.log.Info().Int("terminated", len(terminated)).Int("threshold", c.cfg.TerminatedPodThreshold).Int("deleting", excess).Msg("garbage collecting terminated pods")
	var errs []error
	for _, p := range terminated[:excess] {
		errs = append(errs, c.deletePod(ctx, p, nil))
	}
	return errors.Join(errs...)
}

func (c *Controller) gcOrphaned(ctx context.Context, pods []*api.Pod) error {
	now := c.now()
	byNode := map[string][]*api.Pod{}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			continue
		}
		if _, ok := c.nodes.Get(informer.Key{Name: p.Spec.NodeName}); ok {
			continue
		}
		byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
	}
	c.mu.Lock()
	for n := range c.missing {
		if _, still := byNode[n]; !still {
			delete(c.missing, n) // back, or no pods left
		}
	}
	var due []string
	for n := range byNode {
		first, ok := c.missing[n]
		if !ok {
			c.missing[n], first = now, now
		}
		if now.Sub(first) >= c.cfg.Quarantine {
			due = append(due, n)
		}
	}
	c.mu.Unlock()
	var errs []error
	for _, n := range due {
		_, err := c.c.Nodes().Get(ctx, n)
		if err == nil {
			continue // exists: the cache is behind
		}
		if !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("get node %s: %w", n, err))
			continue
		}
		for _, p := range byNode[n] {
			c.log.Info().Str("pod", p.Namespace+"/"+p.Name).Str("node", n).Msg("deleting orphaned pod")
			errs = append(errs, c.deletePod(ctx, p, &api.PodCondition{Type: api.DisruptionTarget, Status: api.ConditionTrue,
				Reason: "DeletionByPodGC", Message: "PodGC: node no longer exists"}))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) gcUnscheduledTerminating(ctx context.Context, pods []*api.Pod) error {
	var errs []error
	for _, p := range pods {
		if p.DeletionTimestamp != nil && p.Spec.NodeName == "" {
			c.log.Info().Str("pod", p.Namespace+"/"+p.Name).Msg("deleting unscheduled terminating pod")
			errs = append(errs, c.deletePod(ctx, p, nil))
		}
	}
	return errors.Join(errs...)
}

// deletePod deletes the pod with no grace period, conditional on its uid;
// with cond, a pod that is not terminal is first marked Failed with it.
func (c *Controller) deletePod(ctx context.Context, p *api.Pod, cond *api.PodCondition) error {
	pods := c.c.Pods(p.Namespace)
	if cond != nil && !api.IsPodTerminal(p) {
		cond.LastTransitionTime = api.NewTime(c.now())
		patch, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"uid": p.UID},
			"status":   map[string]any{"phase": api.PodFailed, "conditions": []any{cond}},
		})
		err := pods.PatchDiscard(ctx, p.Name, client.StrategicMergePatchType, patch, "status")
		if err != nil && !client.IsNotFound(err) && !client.IsConflict(err) {
			return fmt.Errorf("mark pod %s/%s failed: %w", p.Namespace, p.Name, err)
		}
	}
	zero := int64(0)
	uid := p.UID
	err := pods.Delete(ctx, p.Name, api.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &api.Preconditions{UID: &uid}})
	if err != nil && !client.IsNotFound(err) && !client.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}
