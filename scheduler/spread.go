package scheduler

import (
	"math"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/labels"
)

// Reasons of topology spreading, as kube-scheduler words them.
const (
	ReasonSpreadConstraints = "node(s) didn't match pod topology spread constraints"
	ReasonSpreadMissingKey  = ReasonSpreadConstraints + " (missing required label)"
)

// DefaultSpreadConstraints are kube-scheduler's cluster defaults, applied
// (as ScheduleAnyway, so to scoring only) to a pod that has a controller
// and no constraints of its own: spread over nodes with skew 3 and over
// zones with skew 5. The pods counted are those of the same controller
// or, for a pod without one, those the Services that select it select
// (kube-scheduler's DefaultSelector; for a pod with a controller it also
// requires the Services' selectors, which its siblings match anyway).
var DefaultSpreadConstraints = []api.TopologySpreadConstraint{
	{MaxSkew: 3, TopologyKey: LabelHostname, WhenUnsatisfiable: api.ScheduleAnyway},
	{MaxSkew: 5, TopologyKey: LabelZone, WhenUnsatisfiable: api.ScheduleAnyway},
}

// maxSpreadConstraints is the most constraints of a pod that are honoured.
const maxSpreadConstraints = 32

// spreadConstraint is a constraint made ready for one attempt.
type spreadConstraint struct {
	maxSkew       int64
	key           string
	sel           labels.Selector
	owner         string // a default constraint: count the controller's pods
	minDomains    int
	honorAffinity bool
	honorTaints   bool
	selfMatch     int // 1 if the pod counts itself
	counts        map[string]int
	min           int
	weight        float64 // scoring: log(domains + 2)
}

// spreadState is what topology spreading computes once per attempt.
type spreadState struct {
	hard, soft []spreadConstraint
	// requireAll: the soft constraints are the pod's own, so nodes missing
	// one of their keys are ignored when scoring (score 0).
	requireAll bool
}

func newSpreadConstraint(c api.TopologySpreadConstraint, p *api.Pod) (spreadConstraint, bool) {
	sel, err := labels.FromLabelSelector(c.LabelSelector)
	if err != nil {
		return spreadConstraint{}, false
	}
	if len(c.MatchLabelKeys) > 0 && c.LabelSelector != nil {
		reqs := append([]labels.Requirement(nil), sel.Requirements()...)
		for _, k := range c.MatchLabelKeys {
			if v, ok := p.Labels[k]; ok {
				reqs = append(reqs, labels.Requirement{Key: k, Operator: labels.In, Values: []string{v}})
			}
		}
		sel = labels.NewSelector(reqs...)
	}
	sc := spreadConstraint{
		maxSkew: int64(c.MaxSkew), key: c.TopologyKey, sel: sel, minDomains: 1,
		honorAffinity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == api.NodeInclusionPolicyHonor,
		honorTaints:   c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == api.NodeInclusionPolicyHonor,
		counts:        make(map[string]int),
	}
	if c.MinDomains != nil {
		sc.minDomains = int(*c.MinDomains)
	}
	if sel.Matches(p.Labels) {
		sc.selfMatch = 1
	}
	return sc, true
}

// counts reports whether pods on n count for c (its inclusion policies).
func (c *spreadConstraint) includes(n *NodeInfo, p *PodInfo) bool {
	if c.honorAffinity {
		if ok, _ := NodeAffinity(n, p); !ok {
			return false
		}
	}
	if c.honorTaints {
		if ok, _ := TaintToleration(n, p); !ok {
			return false
		}
	}
	return true
}

func hasKeys(n *NodeInfo, cs []spreadConstraint) bool {
	for i := range cs {
		if _, ok := n.Node.Labels[cs[i].key]; !ok {
			return false
		}
	}
	return true
}

// prepareSpread fills pi's spreading state: for each constraint, the
// matching pods per domain over the nodes that have every key of the
// pod's constraints and pass the constraint's inclusion policies, and
// the global minimum.
func (c *cache) prepareSpread(pi *PodInfo) {
	p := pi.Pod
	pi.spread = nil
	var st spreadState
	for j, tc := range p.Spec.TopologySpreadConstraints {
		if j == maxSpreadConstraints {
			break // nodes mark the constraints they count for in 64 bits
		}
		sc, ok := newSpreadConstraint(tc, p)
		if !ok {
			continue
		}
		if tc.WhenUnsatisfiable == api.ScheduleAnyway {
			st.soft = append(st.soft, sc)
		} else {
			st.hard = append(st.hard, sc)
		}
	}
	st.requireAll = len(p.Spec.TopologySpreadConstraints) > 0
	if len(p.Spec.TopologySpreadConstraints) == 0 {
		// The pods counted: the controller's, else those the Services that
		// select the pod select.
		var svcSel labels.Selector
		if pi.Owner == "" {
			if set := c.serviceSelectorLocked(p); set != nil {
				svcSel = labels.SelectorFromSet(set)
			}
		}
		for _, tc := range DefaultSpreadConstraints {
			if pi.Owner == "" && svcSel.Empty() {
				break
			}
			if c.keyNodes[tc.TopologyKey] == 0 {
				continue // no node has the key: no domain to spread over
			}
			sc, _ := newSpreadConstraint(tc, p)
			sc.owner, sc.selfMatch = pi.Owner, 1
			if pi.Owner == "" {
				sc.sel = svcSel
			}
			st.soft = append(st.soft, sc)
		}
	}
	if len(st.hard) == 0 && len(st.soft) == 0 {
		return
	}
	pi.spread = &st
	c.countSpread(pi, st.hard, true)
	c.countSpread(pi, st.soft, st.requireAll)
	for i := range st.hard {
		sc := &st.hard[i]
		sc.min = math.MaxInt
		for _, n := range sc.counts {
			sc.min = min(sc.min, n)
		}
		if len(sc.counts) < sc.minDomains || sc.min == math.MaxInt {
			sc.min = 0
		}
	}
}

// countSpread registers the domains of the eligible nodes and counts the
// matching pods of the pod's namespace in them.
func (c *cache) countSpread(pi *PodInfo, cs []spreadConstraint, requireAll bool) {
	nodeLoop := false
	for i := range cs {
		// A default constraint by hostname reads each node's own count.
		nodeLoop = nodeLoop || cs[i].owner == "" || cs[i].key != LabelHostname
	}
	if !nodeLoop {
		return
	}
	c.epoch++
	for _, n := range c.order {
		if requireAll && !hasKeys(n, cs) {
			continue
		}
		n.epoch, n.spreadMask = c.epoch, 0
		for i := range cs {
			sc := &cs[i]
			if sc.owner != "" && sc.key == LabelHostname {
				continue // Score reads the node's own count
			}
			v, ok := n.Node.Labels[sc.key]
			if !ok || !sc.includes(n, pi) {
				continue
			}
			n.spreadMask |= 1 << i
			if _, seen := sc.counts[v]; !seen {
				sc.counts[v] = 0
			}
			if sc.owner != "" {
				sc.counts[v] += n.OwnerCount(sc.owner)
			}
		}
	}
	for i := range cs {
		sc := &cs[i]
		if sc.owner != "" {
			continue
		}
		for _, g := range c.groups {
			if g.ns != pi.Pod.Namespace || !sc.sel.Matches(g.labels) {
				continue
			}
			for n, cnt := range g.nodes {
				if n.Node == nil || n.epoch != c.epoch || n.spreadMask&(1<<i) == 0 {
					continue
				}
				sc.counts[n.Node.Labels[sc.key]] += cnt
			}
		}
	}
}

// PodTopologySpread keeps a pod off nodes where its DoNotSchedule
// constraints would be broken: the node must have each constraint's key,
// and the matching pods in its domain, plus the pod itself if it matches,
// may exceed the global minimum (0 while there are fewer domains than
// minDomains) by at most maxSkew.
func PodTopologySpread(n *NodeInfo, p *PodInfo) (bool, string) {
	if p.spread == nil {
		return true, ""
	}
	for i := range p.spread.hard {
		sc := &p.spread.hard[i]
		v, ok := n.Node.Labels[sc.key]
		if !ok {
			return false, ReasonSpreadMissingKey
		}
		if int64(sc.counts[v]+sc.selfMatch-sc.min) > sc.maxSkew {
			return false, ReasonSpreadConstraints
		}
	}
	return true, ""
}

// PodTopologySpreadScore prefers nodes whose domains hold fewer matching
// pods under the pod's ScheduleAnyway constraints (or the cluster
// defaults): each constraint adds count × log(domains + 2) + maxSkew − 1,
// and the sums are normalised so that the emptiest node gets MaxScore, as
// kube-scheduler does. Nodes missing a key of the pod's own constraints
// score 0.
type PodTopologySpreadScore struct{}

// PreScore implements PreScorer: the weight of each constraint from the
// number of its domains among the feasible nodes.
func (PodTopologySpreadScore) PreScore(feasible []*NodeInfo, p *PodInfo) {
	st := p.spread
	if st == nil || len(st.soft) == 0 {
		return
	}
	for i := range st.soft {
		sc := &st.soft[i]
		size := 0
		if sc.key == LabelHostname {
			for _, n := range feasible {
				if !st.requireAll || hasKeys(n, st.soft) {
					size++
				}
			}
		} else {
			seen := make(map[string]bool)
			for _, n := range feasible {
				if st.requireAll && !hasKeys(n, st.soft) {
					continue
				}
				if v, ok := n.Node.Labels[sc.key]; ok && !seen[v] {
					seen[v] = true
					size++
				}
			}
		}
		sc.weight = math.Log(float64(size + 2))
	}
}

// Skip implements Skipper: no soft constraints.
func (PodTopologySpreadScore) Skip(p *PodInfo) bool {
	return p.spread == nil || len(p.spread.soft) == 0
}

// Score implements Scorer; -1 marks a node to ignore.
func (PodTopologySpreadScore) Score(n *NodeInfo, p *PodInfo) int64 {
	st := p.spread
	if st == nil || len(st.soft) == 0 {
		return 0
	}
	if st.requireAll && !hasKeys(n, st.soft) {
		return -1
	}
	var s float64
	for i := range st.soft {
		sc := &st.soft[i]
		v, ok := n.Node.Labels[sc.key]
		if !ok {
			continue
		}
		cnt := sc.counts[v]
		if sc.owner != "" && sc.key == LabelHostname {
			cnt = n.OwnerCount(sc.owner)
		}
		s += float64(cnt)*sc.weight + float64(sc.maxSkew-1)
	}
	return int64(math.Round(s))
}

// Normalize implements Normalizer: MaxScore × (max + min − s) / max over
// the nodes not ignored; ignored nodes get 0.
func (PodTopologySpreadScore) Normalize(scores []int64) {
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, s := range scores {
		if s >= 0 {
			lo, hi = min(lo, s), max(hi, s)
		}
	}
	for i, s := range scores {
		switch {
		case s < 0:
			scores[i] = 0
		case hi == 0:
			scores[i] = MaxScore
		default:
			scores[i] = MaxScore * (hi + lo - s) / hi
		}
	}
}
