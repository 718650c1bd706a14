package scheduler

import "math"

// MaxScore is the highest score a Scorer gives a node.
const MaxScore = 100

// Scorer rates a feasible node for a pod from 0 to MaxScore (higher is
// better); the scheduler sums the scores of every scorer. Score must be
// cheap and must not modify its arguments. A Scorer whose raw scores only
// make sense relative to the other nodes also implements Normalizer.
type Scorer interface {
	Score(n *NodeInfo, p *PodInfo) int64
}

// Normalizer maps one attempt's raw scores, one per feasible node, to 0 to
// MaxScore in place.
type Normalizer interface {
	Normalize(scores []int64)
}

// PreScorer is a Scorer that needs to see every feasible node of an
// attempt before scoring any of them.
type PreScorer interface {
	PreScore(feasible []*NodeInfo, p *PodInfo)
}

// Skipper is a Scorer that can tell, before scoring, that it would give
// every node the same score for p (it then is not run: it cannot change
// the ranking).
type Skipper interface {
	Skip(p *PodInfo) bool
}

// Weighted is a Scorer with its plugin's name and weight: the scheduler
// sums weight × normalised score over its scorers.
type Weighted struct {
	Name   string
	Weight int64
	Scorer
}

// Score plugin names, as kube-scheduler's.
const (
	PluginNodeResourcesFit          = "NodeResourcesFit"
	PluginBalancedAllocation        = "NodeResourcesBalancedAllocation"
	PluginTaintToleration           = "TaintToleration"
	PluginNodeAffinity              = "NodeAffinity"
	PluginInterPodAffinity          = "InterPodAffinity"
	PluginPodTopologySpread         = "PodTopologySpread"
	ScoringLeastAllocated           = "LeastAllocated"
	ScoringMostAllocated            = "MostAllocated"
	ScoringRequestedToCapacityRatio = "RequestedToCapacityRatio"
)

// DefaultWeights are kube-scheduler's default plugin weights.
func DefaultWeights() map[string]int64 {
	return map[string]int64{
		PluginNodeResourcesFit: 1, PluginBalancedAllocation: 1, PluginTaintToleration: 3,
		PluginNodeAffinity: 2, PluginInterPodAffinity: 2, PluginPodTopologySpread: 2,
		PluginImageLocality: 1,
	}
}

// DefaultScorers are the scheduler's scores with kube-scheduler's default
// weights and the LeastAllocated strategy.
func DefaultScorers() []Weighted {
	return ScoringConfig{}.Scorers()
}

// Scorers are the scorers the config describes: every plugin, with the
// configured weight (kube-scheduler's default for those not named; 0
// turns a plugin off) and resource strategy.
func (c ScoringConfig) Scorers() []Weighted {
	w := DefaultWeights()
	for k, v := range c.Weights {
		w[k] = v
	}
	var fit Scorer = LeastAllocated{}
	switch c.Strategy {
	case ScoringMostAllocated:
		fit = MostAllocated{}
	case ScoringRequestedToCapacityRatio:
		fit = RequestedToCapacityRatio{Shape: c.Shape}
	}
	all := []Weighted{
		{PluginNodeResourcesFit, 0, fit},
		{PluginBalancedAllocation, 0, BalancedAllocation{}},
		{PluginTaintToleration, 0, TaintTolerationScore{}},
		{PluginNodeAffinity, 0, NodeAffinityScore{}},
		{PluginInterPodAffinity, 0, InterPodAffinityScore{}},
		{PluginPodTopologySpread, 0, PodTopologySpreadScore{}},
		{PluginImageLocality, 0, ImageLocality{}},
	}
	out := all[:0]
	for _, s := range all {
		if s.Weight = w[s.Name]; s.Weight > 0 {
			out = append(out, s)
		}
	}
	return out
}

// MostAllocated prefers nodes with the least cpu and memory left after
// the pod is placed (bin packing): the mean of requested/allocatable ×
// MaxScore, requests beyond allocatable counting as allocatable.
type MostAllocated struct{}

// Score implements Scorer.
func (MostAllocated) Score(n *NodeInfo, p *PodInfo) int64 {
	cpu := mostAllocated(n.NonZeroRequested.MilliCPU+p.NonZero.MilliCPU, n.Allocatable.MilliCPU)
	mem := mostAllocated(n.NonZeroRequested.Memory+p.NonZero.Memory, n.Allocatable.Memory)
	return (cpu + mem) / 2
}

func mostAllocated(requested, allocatable int64) int64 {
	if allocatable <= 0 {
		return 0
	}
	return min(requested, allocatable) * MaxScore / allocatable
}

// ShapePoint is a point of RequestedToCapacityRatio's scoring function:
// utilisation in percent (0-100) to a score of 0-10.
type ShapePoint struct {
	Utilization int64 `yaml:"utilization"`
	Score       int64 `yaml:"score"`
}

// RequestedToCapacityRatio scores each resource's utilisation after the
// pod is placed with a piecewise linear function (Shape, scaled ×10 to
// 0-MaxScore) and averages the resources that score above 0, rounding.
// An empty Shape is {0: 0, 100: 10}, i.e. MostAllocated.
type RequestedToCapacityRatio struct {
	Shape []ShapePoint
}

// Score implements Scorer.
func (r RequestedToCapacityRatio) Score(n *NodeInfo, p *PodInfo) int64 {
	shape := r.Shape
	if len(shape) == 0 {
		shape = []ShapePoint{{0, 0}, {100, 10}}
	}
	f := func(u int64) int64 {
		for i, pt := range shape {
			if u <= pt.Utilization {
				if i == 0 {
					return pt.Score * MaxScore / 10
				}
				prev := shape[i-1]
				s := prev.Score*MaxScore/10 + (pt.Score-prev.Score)*MaxScore/10*(u-prev.Utilization)/(pt.Utilization-prev.Utilization)
				return s
			}
		}
		return shape[len(shape)-1].Score * MaxScore / 10
	}
	var sum, weights int64
	for _, rs := range [][2]int64{
		{n.NonZeroRequested.MilliCPU + p.NonZero.MilliCPU, n.Allocatable.MilliCPU},
		{n.NonZeroRequested.Memory + p.NonZero.Memory, n.Allocatable.Memory},
	} {
		req, alloc := rs[0], rs[1]
		if alloc == 0 {
			continue
		}
		var s int64
		if req > alloc {
			s = f(100)
		} else {
			s = f(req * 100 / alloc)
		}
		if s > 0 {
			sum += s
			weights++
		}
	}
	if weights == 0 {
		return 0
	}
	return int64(math.Round(float64(sum) / float64(weights)))
}

// LeastAllocated prefers nodes with the most cpu and memory left after the
// pod is placed: the mean over both of free/allocatable × MaxScore, with
// kube-scheduler's default requests standing in for missing ones.
type LeastAllocated struct{}

// Score implements Scorer.
func (LeastAllocated) Score(n *NodeInfo, p *PodInfo) int64 {
	cpu := leastAllocated(n.NonZeroRequested.MilliCPU+p.NonZero.MilliCPU, n.Allocatable.MilliCPU)
	mem := leastAllocated(n.NonZeroRequested.Memory+p.NonZero.Memory, n.Allocatable.Memory)
	return (cpu + mem) / 2
}

func leastAllocated(requested, allocatable int64) int64 {
	if allocatable <= 0 || requested > allocatable {
		return 0
	}
	return (allocatable - requested) * MaxScore / allocatable
}

// BalancedAllocation prefers nodes whose cpu and memory would be used in
// equal proportions after the pod is placed: MaxScore × (1 − the standard
// deviation of the two fractions), as kube-scheduler computes it.
type BalancedAllocation struct{}

// Score implements Scorer.
func (BalancedAllocation) Score(n *NodeInfo, p *PodInfo) int64 {
	cpu := fraction(n.NonZeroRequested.MilliCPU+p.NonZero.MilliCPU, n.Allocatable.MilliCPU)
	mem := fraction(n.NonZeroRequested.Memory+p.NonZero.Memory, n.Allocatable.Memory)
	d := cpu - mem
	if d < 0 {
		d = -d
	}
	// The standard deviation of two values is half their distance.
	return int64((1 - d/2) * MaxScore)
}

func fraction(requested, allocatable int64) float64 {
	if allocatable <= 0 {
		return 1
	}
	return min(float64(requested)/float64(allocatable), 1)
}
