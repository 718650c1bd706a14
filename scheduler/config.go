package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
)

// Config tunes a Scheduler.
type Config struct {
	// SchedulerName is the spec.schedulerName this scheduler serves; pods
	// that name none are served by "default-scheduler".
	SchedulerName string `yaml:"schedulerName"`
	// ParallelBinds bounds the API writes (bindings, condition updates) in
	// flight at once; the scheduling loop waits when they are all busy.
	ParallelBinds int `yaml:"parallelBinds"`
	// PercentageOfNodesToScore is the share of nodes an attempt looks for
	// feasible ones in before it stops and scores them, as kube-scheduler's
	// setting: 0 means adaptive (50% shrinking to 5% on large clusters, at
	// least 100 nodes), 100 means every node.
	PercentageOfNodesToScore int `yaml:"percentageOfNodesToScore"`
	// InitialBackoff is a failed pod's first wait before its next attempt;
	// it doubles with every attempt up to MaxBackoff.
	InitialBackoff time.Duration `yaml:"initialBackoff"`
	MaxBackoff     time.Duration `yaml:"maxBackoff"`
	// UnschedulableTimeout is how long a pod that fits nowhere stays parked
	// when nothing in the cluster changes before it is tried again.
	UnschedulableTimeout time.Duration `yaml:"unschedulableTimeout"`
	// Scoring chooses the resource scoring strategy and plugin weights.
	Scoring ScoringConfig `yaml:"scoring"`
	// Decisions publishes, on each pod it places or fails to place, what
	// every filter said of every node and every score plugin's scores, as
	// the annotation scheduler.minik8s.io/decision. Off, it costs nothing.
	Decisions bool `yaml:"decisions"`
}

// ScoringConfig is kube-scheduler's NodeResourcesFit scoring strategy and
// its plugin weights.
type ScoringConfig struct {
	// Strategy: LeastAllocated (default), MostAllocated or
	// RequestedToCapacityRatio.
	Strategy string `yaml:"strategy"`
	// Shape is RequestedToCapacityRatio's function, utilisation (0-100) to
	// score (0-10), utilisations increasing.
	Shape []ShapePoint `yaml:"shape"`
	// Weights override the plugins' default weights by name (0: off).
	Weights map[string]int64 `yaml:"weights"`
}

// Validate reports a strategy, shape or plugin it does not know.
func (c ScoringConfig) Validate() error {
	switch c.Strategy {
	case "", ScoringLeastAllocated, ScoringMostAllocated, ScoringRequestedToCapacityRatio:
	default:
		return fmt.Errorf("scoring.strategy %q must be LeastAllocated, MostAllocated or RequestedToCapacityRatio", c.Strategy)
	}
	for i, p := range c.Shape {
		if p.Utilization < 0 || p.Utilization > 100 || p.Score < 0 || p.Score > 10 {
			return fmt.Errorf("scoring.shape[%d]: utilization must be 0-100 and score 0-10", i)
		}
		if i > 0 && p.Utilization <= c.Shape[i-1].Utilization {
			return fmt.Errorf("scoring.shape[%d]: utilizations must increase", i)
		}
	}
	known := DefaultWeights()
	for k, v := range c.Weights {
		if _, ok := known[k]; !ok {
			return fmt.Errorf("scoring.weights: unknown plugin %q", k)
		}
		if v < 0 || v > 100 {
			return fmt.Errorf("scoring.weights.%s %d must be 0 to 100", k, v)
		}
	}
	return nil
}

// DefaultConfig returns the defaults: kube-scheduler's backoffs (1s to 10s),
// 32 writes in flight, adaptive node sampling, unschedulable pods retried
// at least every 30s.
func DefaultConfig() Config {
	return Config{
		SchedulerName:        api.DefaultSchedulerName,
		ParallelBinds:        32,
		InitialBackoff:       time.Second,
		MaxBackoff:           10 * time.Second,
		UnschedulableTimeout: 30 * time.Second,
		Scoring:              ScoringConfig{Strategy: ScoringLeastAllocated, Shape: []ShapePoint{}, Weights: map[string]int64{}},
	}
}

// Validate reports values the scheduler cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.SchedulerName == "" {
		errs = append(errs, errors.New("schedulerName is empty"))
	}
	if c.ParallelBinds < 1 {
		errs = append(errs, fmt.Errorf("parallelBinds %d must be at least 1", c.ParallelBinds))
	}
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		errs = append(errs, fmt.Errorf("percentageOfNodesToScore %d must be 0 to 100", c.PercentageOfNodesToScore))
	}
	if c.InitialBackoff <= 0 || c.MaxBackoff < c.InitialBackoff {
		errs = append(errs, fmt.Errorf("backoff %s to %s: want 0 < initialBackoff <= maxBackoff", c.InitialBackoff, c.MaxBackoff))
	}
	if c.UnschedulableTimeout <= 0 {
		errs = append(errs, fmt.Errorf("unschedulableTimeout %s must be positive", c.UnschedulableTimeout))
	}
	if err := c.Scoring.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scheduler config: %w", err)
	}
	return nil
}

// Sampling bounds, as kube-scheduler's.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// numFeasibleNodesToFind is how many feasible nodes an attempt looks for
// among all nodes before it stops filtering.
func (c Config) numFeasibleNodesToFind(all int) int {
	if all < minFeasibleNodesToFind || c.PercentageOfNodesToScore >= 100 {
		return all
	}
	pct := c.PercentageOfNodesToScore
	if pct == 0 {
		pct = max(50-all/125, minFeasibleNodesPercentageToFind)
	}
	return max(all*pct/100, minFeasibleNodesToFind)
}
