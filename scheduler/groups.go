package scheduler

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/labels"
)

// Well-known topology labels.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelZone     = "topology.kubernetes.io/zone"
	LabelRegion   = "topology.kubernetes.io/region"
)

// podGroup is the pods of one namespace with the same labels (and the same
// required anti-affinity terms), counted per node. The replicas of one
// ReplicaSet form one group, so inter-pod affinity and spreading match a
// selector once per group rather than once per pod: an attempt costs
// O(groups + nodes of the matching groups), not O(pods).
type podGroup struct {
	ns     string
	labels labels.Labels
	// anti are the group's required anti-affinity terms (the symmetric
	// rule: they keep matching incoming pods out of their domains).
	anti  []affinityTerm
	nodes map[*NodeInfo]int
	pods  int
}

// groupKey is the key of p's group: its namespace, labels and, if any,
// required anti-affinity terms.
func groupKey(p *api.Pod) string {
	var b strings.Builder
	b.WriteString(p.Namespace)
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(p.Labels[k])
	}
	if terms := requiredAntiTerms(p); len(terms) > 0 {
		// The terms are part of the spec, the same for every replica.
		j, _ := json.Marshal(terms)
		b.WriteByte(1)
		b.Write(j)
	}
	return b.String()
}

func requiredAntiTerms(p *api.Pod) []api.PodAffinityTerm {
	if a := p.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		return a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// addToGroup counts pi, on node n, in its group; the caller holds mu.
func (c *cache) addToGroup(pi *PodInfo, n *NodeInfo) {
	if pi.group == "" {
		pi.group = groupKey(pi.Pod)
	}
	g := c.groups[pi.group]
	if g == nil {
		g = &podGroup{ns: pi.Pod.Namespace, labels: pi.Pod.Labels, nodes: make(map[*NodeInfo]int)}
		for _, t := range requiredAntiTerms(pi.Pod) {
			if at, ok := newAffinityTerm(t, pi.Pod, 0); ok {
				g.anti = append(g.anti, at)
			}
		}
		c.groups[pi.group] = g
		if len(g.anti) > 0 {
			c.antiGroups++
		}
	}
	g.nodes[n]++
	g.pods++
}

// removeFromGroup undoes addToGroup.
func (c *cache) removeFromGroup(pi *PodInfo, n *NodeInfo) {
	g := c.groups[pi.group]
	if g == nil {
		return
	}
	if g.nodes[n]--; g.nodes[n] <= 0 {
		delete(g.nodes, n)
	}
	if g.pods--; g.pods <= 0 {
		delete(c.groups, pi.group)
		if len(g.anti) > 0 {
			c.antiGroups--
		}
	}
}
