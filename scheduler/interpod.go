package scheduler

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/labels"
)

// Reasons of inter-pod affinity, as kube-scheduler words them.
const (
	ReasonAffinityRules             = "node(s) didn't match pod affinity rules"
	ReasonAntiAffinityRules         = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinityRules = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// affinityTerm is a PodAffinityTerm made ready to match pods: its
// selector with matchLabelKeys and mismatchLabelKeys merged in (from the
// labels of the pod that carries the term), and its namespaces.
type affinityTerm struct {
	sel    labels.Selector
	ns     map[string]bool // namespaces listed (or the pod's own)
	nsSel  *labels.Selector
	allNS  bool // an empty namespaceSelector: every namespace
	key    string
	weight int64
}

// newAffinityTerm prepares t, a term of pod; ok is false if t is invalid
// (validation refuses such pods, so this is only for safety).
func newAffinityTerm(t api.PodAffinityTerm, pod *api.Pod, weight int32) (affinityTerm, bool) {
	sel, err := labels.FromLabelSelector(t.LabelSelector)
	if err != nil {
		return affinityTerm{}, false
	}
	if t.LabelSelector != nil && (len(t.MatchLabelKeys) > 0 || len(t.MismatchLabelKeys) > 0) {
		reqs := append([]labels.Requirement(nil), sel.Requirements()...)
		for _, k := range t.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				reqs = append(reqs, labels.Requirement{Key: k, Operator: labels.In, Values: []string{v}})
			}
		}
		for _, k := range t.MismatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				reqs = append(reqs, labels.Requirement{Key: k, Operator: labels.NotIn, Values: []string{v}})
			}
		}
		sel = labels.NewSelector(reqs...)
	}
	at := affinityTerm{sel: sel, key: t.TopologyKey, weight: int64(weight), ns: make(map[string]bool, len(t.Namespaces)+1)}
	for _, ns := range t.Namespaces {
		at.ns[ns] = true
	}
	switch {
	case t.NamespaceSelector == nil:
		if len(t.Namespaces) == 0 {
			at.ns[pod.Namespace] = true
		}
	case len(t.NamespaceSelector.MatchLabels) == 0 && len(t.NamespaceSelector.MatchExpressions) == 0:
		at.allNS = true
	default:
		s, err := labels.FromLabelSelector(t.NamespaceSelector)
		if err != nil {
			return affinityTerm{}, false
		}
		at.nsSel = &s
	}
	return at, true
}

// matches reports whether pods of namespace ns with labels l are selected
// by the term; nsLabels gives a namespace's labels.
func (t *affinityTerm) matches(ns string, l labels.Labels, nsLabels map[string]labels.Labels) bool {
	if !t.allNS && !t.ns[ns] && (t.nsSel == nil || !t.nsSel.Matches(nsLabels[ns])) {
		return false
	}
	return t.sel.Matches(l)
}

// topoPair is one topology domain: a node label and its value.
type topoPair struct{ key, value string }

// interPodState is what inter-pod affinity computes once per attempt.
type interPodState struct {
	// affinity and anti are the pod's required terms; affCounts and
	// antiCounts count the existing pods matching them per domain.
	affinity, anti        []affinityTerm
	affCounts, antiCounts map[topoPair]int
	// selfMatch: the pod matches all its own affinity terms, so that the
	// first pod of a group with affinity to itself may go anywhere.
	selfMatch bool
	// existing counts, per domain, the existing pods whose required
	// anti-affinity terms match the pod (the symmetric rule).
	existing map[topoPair]int
	// existingHost and antiHost are the groups that the hostname terms
	// match (existing pods' anti-affinity, the pod's own anti-affinity):
	// a node is refused if it holds a pod of one, a lookup by node rather
	// than a count per domain.
	existingHost, antiHost []*podGroup
	// preferred sums, per domain, the weights of the pod's preferred terms
	// (anti-affinity negative) times the matching pods there.
	preferred map[topoPair]int64
	prefKeys  []string
}

// prepareInterPod fills pi's inter-pod affinity state from the cache's
// groups. Pods without affinity terms, in a cluster whose pods have no
// required anti-affinity, cost nothing.
func (c *cache) prepareInterPod(pi *PodInfo) {
	p := pi.Pod
	aff := p.Spec.Affinity
	hasOwn := aff != nil && (aff.PodAffinity != nil || aff.PodAntiAffinity != nil)
	if !hasOwn && c.antiGroups == 0 {
		pi.interPod = nil
		return
	}
	st := &interPodState{}
	pi.interPod = st
	if c.antiGroups > 0 {
		for _, g := range c.groups {
			for i := range g.anti {
				t := &g.anti[i]
				if !t.matches(p.Namespace, p.Labels, c.nsLabels) {
					continue
				}
				if t.key == LabelHostname {
					st.existingHost = append(st.existingHost, g)
					continue
				}
				for n, cnt := range g.nodes {
					if n.Node == nil {
						continue
					}
					if v, ok := n.Node.Labels[t.key]; ok {
						if st.existing == nil {
							st.existing = make(map[topoPair]int)
						}
						st.existing[topoPair{t.key, v}] += cnt
					}
				}
			}
		}
	}
	if !hasOwn {
		return
	}
	if pa := aff.PodAffinity; pa != nil {
		st.affinity = appendTerms(st.affinity, pa.RequiredDuringSchedulingIgnoredDuringExecution, p)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			if t, ok := newAffinityTerm(w.PodAffinityTerm, p, w.Weight); ok {
				c.addPreferred(st, &t, p, 1)
			}
		}
	}
	if pa := aff.PodAntiAffinity; pa != nil {
		st.anti = appendTerms(st.anti, pa.RequiredDuringSchedulingIgnoredDuringExecution, p)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			if t, ok := newAffinityTerm(w.PodAffinityTerm, p, w.Weight); ok {
				c.addPreferred(st, &t, p, -1)
			}
		}
	}
	st.affCounts = c.countTerms(st.affinity)
	var antiOther []affinityTerm
	for i := range st.anti {
		t := &st.anti[i]
		if t.key != LabelHostname {
			antiOther = append(antiOther, *t)
			continue
		}
		for _, g := range c.groups {
			if t.matches(g.ns, g.labels, c.nsLabels) {
				st.antiHost = append(st.antiHost, g)
			}
		}
	}
	st.anti = antiOther
	st.antiCounts = c.countTerms(st.anti)
	st.selfMatch = true
	for i := range st.affinity {
		if !st.affinity[i].matches(p.Namespace, p.Labels, c.nsLabels) {
			st.selfMatch = false
		}
	}
}

func appendTerms(dst []affinityTerm, terms []api.PodAffinityTerm, p *api.Pod) []affinityTerm {
	for _, t := range terms {
		if at, ok := newAffinityTerm(t, p, 0); ok {
			dst = append(dst, at)
		}
	}
	return dst
}

// countTerms counts, per domain, the existing pods matching each term
// (summed over the terms, as kube-scheduler does).
func (c *cache) countTerms(terms []affinityTerm) map[topoPair]int {
	if len(terms) == 0 {
		return nil
	}
	counts := make(map[topoPair]int)
	for _, g := range c.groups {
		for i := range terms {
			t := &terms[i]
			if !t.matches(g.ns, g.labels, c.nsLabels) {
				continue
			}
			for n, cnt := range g.nodes {
				if n.Node == nil {
					continue
				}
				if v, ok := n.Node.Labels[t.key]; ok {
					counts[topoPair{t.key, v}] += cnt
				}
			}
		}
	}
	return counts
}

func (c *cache) addPreferred(st *interPodState, t *affinityTerm, p *api.Pod, sign int64) {
	if st.preferred == nil {
		st.preferred = make(map[topoPair]int64)
	}
	known := false
	for _, k := range st.prefKeys {
		known = known || k == t.key
	}
	if !known {
		st.prefKeys = append(st.prefKeys, t.key)
	}
	for _, g := range c.groups {
		if !t.matches(g.ns, g.labels, c.nsLabels) {
			continue
		}
		for n, cnt := range g.nodes {
			if n.Node == nil {
				continue
			}
			if v, ok := n.Node.Labels[t.key]; ok {
				st.preferred[topoPair{t.key, v}] += sign * t.weight * int64(cnt)
			}
		}
	}
}

// InterPodAffinity keeps a pod in domains where each of its required
// affinity terms matches a pod (or anywhere, if no pod matches any term
// and the pod matches them all itself: the first of its group), out of
// domains where its own required anti-affinity terms match pods, and out
// of the domains of existing pods whose required anti-affinity matches it,
// checked and reported in that order, as kube-scheduler does. A node
// without a term's topology label satisfies no affinity term. It reads
// the state prepared for the attempt.
func InterPodAffinity(n *NodeInfo, p *PodInfo) (bool, string) {
	st := p.interPod
	if st == nil {
		return true, ""
	}
	exist := true
	for i := range st.affinity {
		t := &st.affinity[i]
		v, ok := n.Node.Labels[t.key]
		if !ok {
			return false, ReasonAffinityRules
		}
		if st.affCounts[topoPair{t.key, v}] <= 0 {
			exist = false
		}
	}
	if !exist && !(len(st.affCounts) == 0 && st.selfMatch) {
		return false, ReasonAffinityRules
	}
	for _, g := range st.antiHost {
		if g.nodes[n] > 0 {
			return false, ReasonAntiAffinityRules
		}
	}
	for i := range st.anti {
		t := &st.anti[i]
		if v, ok := n.Node.Labels[t.key]; ok && st.antiCounts[topoPair{t.key, v}] > 0 {
			return false, ReasonAntiAffinityRules
		}
	}
	for _, g := range st.existingHost {
		if g.nodes[n] > 0 {
			return false, ReasonExistingAntiAffinityRules
		}
	}
	if len(st.existing) > 0 {
		for k, v := range n.Node.Labels {
			if st.existing[topoPair{k, v}] > 0 {
				return false, ReasonExistingAntiAffinityRules
			}
		}
	}
	return true, ""
}

// InterPodAffinityScore prefers nodes in domains with pods the pod's
// preferred affinity terms match (by their weights), and avoids those of
// its preferred anti-affinity terms; normalised between the lowest and
// highest node as kube-scheduler does.
type InterPodAffinityScore struct{}

// Score implements Scorer.
func (InterPodAffinityScore) Score(n *NodeInfo, p *PodInfo) int64 {
	st := p.interPod
	if st == nil || st.preferred == nil {
		return 0
	}
	var s int64
	for _, k := range st.prefKeys {
		if v, ok := n.Node.Labels[k]; ok {
			s += st.preferred[topoPair{k, v}]
		}
	}
	return s
}

// Skip implements Skipper: no preferred terms.
func (InterPodAffinityScore) Skip(p *PodInfo) bool {
	return p.interPod == nil || p.interPod.preferred == nil
}

// Normalize implements Normalizer: MaxScore × (s − min) / (max − min).
func (InterPodAffinityScore) Normalize(scores []int64) {
	if len(scores) == 0 {
		return
	}
	lo, hi := scores[0], scores[0]
	for _, s := range scores {
		lo, hi = min(lo, s), max(hi, s)
	}
	for i, s := range scores {
		if hi > lo {
			scores[i] = MaxScore * (s - lo) / (hi - lo)
		} else {
			scores[i] = 0
		}
	}
}
