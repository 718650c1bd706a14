package scheduler

import "github.com/minik8s/minik8s/api"

// NodeAffinityScore sums the weights of the pod's preferred node affinity
// terms that the node matches, normalised so that the best node gets
// MaxScore (all 0 if none matches).
type NodeAffinityScore struct{}

// Score implements Scorer.
func (NodeAffinityScore) Score(n *NodeInfo, p *PodInfo) int64 {
	aff := p.Pod.Spec.Affinity
	if aff == nil || aff.NodeAffinity == nil {
		return 0
	}
	var s int64
	for _, t := range aff.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if t.Weight != 0 && termMatches(t.Preference, n.Node) {
			s += int64(t.Weight)
		}
	}
	return s
}

// Skip implements Skipper: a pod without preferred terms.
func (NodeAffinityScore) Skip(p *PodInfo) bool {
	a := p.Pod.Spec.Affinity
	return a == nil || a.NodeAffinity == nil || len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0
}

// Normalize implements Normalizer.
func (NodeAffinityScore) Normalize(scores []int64) { normalize(scores, false) }

// TaintTolerationScore prefers nodes with fewer PreferNoSchedule taints
// the pod does not tolerate (only its tolerations with effect
// PreferNoSchedule or none count): the node with the most gets 0, a node
// with none MaxScore.
type TaintTolerationScore struct{}

// Score implements Scorer: the number of such taints.
func (TaintTolerationScore) Score(n *NodeInfo, p *PodInfo) int64 {
	var s int64
	for _, t := range n.Node.Spec.Taints {
		if t.Effect != api.TaintEffectPreferNoSchedule {
			continue
		}
		tolerated := false
		for _, tol := range p.Pod.Spec.Tolerations {
			if (tol.Effect == "" || tol.Effect == api.TaintEffectPreferNoSchedule) && tolerates([]api.Toleration{tol}, t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			s++
		}
	}
	return s
}

// Normalize implements Normalizer (reversed: fewer is better).
func (TaintTolerationScore) Normalize(scores []int64) { normalize(scores, true) }

// normalize is kube-scheduler's DefaultNormalizeScore: scores scaled so
// that the highest is MaxScore, or, reversed, MaxScore minus that.
func normalize(scores []int64, reverse bool) {
	var hi int64
	for _, s := range scores {
		hi = max(hi, s)
	}
	for i, s := range scores {
		switch {
		case hi == 0 && reverse:
			scores[i] = MaxScore
		case hi == 0:
			scores[i] = 0
		case reverse:
			scores[i] = MaxScore - MaxScore*s/hi
		default:
			scores[i] = MaxScore * s / hi
		}
	}
}
