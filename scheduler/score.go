package scheduler

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

// DefaultScorers are the scheduler's scores, equally weighted.
func DefaultScorers() []Scorer {
	return []Scorer{LeastAllocated{}, BalancedAllocation{}, SpreadByOwner{}}
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

// SpreadByOwner prefers nodes running fewer pods of the pod's controller
// (the same ReplicaSet, say), so that replicas spread across nodes: after
// normalisation a node with none gets MaxScore and the node with the most
// gets 0. A pod without a controller scores MaxScore everywhere.
type SpreadByOwner struct{}

// Score implements Scorer: the raw count of the owner's pods on n.
func (SpreadByOwner) Score(n *NodeInfo, p *PodInfo) int64 {
	if p.Owner == "" {
		return 0
	}
	return int64(n.OwnerCount(p.Owner))
}

// Normalize implements Normalizer: MaxScore × (max − count) / max.
func (SpreadByOwner) Normalize(scores []int64) {
	var top int64
	for _, s := range scores {
		top = max(top, s)
	}
	for i, s := range scores {
		if top == 0 {
			scores[i] = MaxScore
		} else {
			scores[i] = MaxScore * (top - s) / top
		}
	}
}
