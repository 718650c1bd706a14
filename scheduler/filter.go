package scheduler

import (
	"fmt"

	"github.com/minik8s/minik8s/api"
)

// Filter decides whether a pod may run on a node. Feasible must be cheap
// (it runs for every node of every attempt), must not modify its
// arguments, and when it says no, gives the reason in kube-scheduler's
// words ("Insufficient cpu"): failure messages count nodes by reason.
type Filter interface {
	Feasible(n *NodeInfo, p *PodInfo) (ok bool, reason string)
}

// FilterFunc adapts a function to Filter.
type FilterFunc func(n *NodeInfo, p *PodInfo) (bool, string)

// Feasible calls f.
func (f FilterFunc) Feasible(n *NodeInfo, p *PodInfo) (bool, string) { return f(n, p) }

// Reasons, as kube-scheduler words them.
const (
	ReasonUnschedulable      = "node(s) were unschedulable"
	ReasonNodeSelector       = "node(s) didn't match Pod's node affinity/selector"
	ReasonTooManyPods        = "Too many pods"
	ReasonInsufficientCPU    = "Insufficient cpu"
	ReasonInsufficientMemory = "Insufficient memory"
)

// DefaultFilters are the scheduler's filters in stages, in kube-scheduler's
// plugin order. A node fails at the first stage with a failing filter; all
// filters of that stage run, so that a node short of both cpu and memory
// counts for both, as kube-scheduler's NodeResourcesFit reports.
func DefaultFilters() [][]Filter {
	return [][]Filter{
		{FilterFunc(NodeReady), FilterFunc(NodeSchedulable)},
		{FilterFunc(TaintToleration)},
		{FilterFunc(NodeAffinity)},
		{FilterFunc(FitPods), FilterFunc(FitCPU), FilterFunc(FitMemory)},
		{FilterFunc(PodTopologySpread)},
		{FilterFunc(InterPodAffinity)},
	}
}

// untolerated is kube-scheduler's reason for a taint the pod does not
// tolerate.
func untolerated(t api.Taint) string {
	return fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)
}

var (
	notReadyTaint      = api.Taint{Key: api.TaintNodeNotReady, Effect: api.TaintEffectNoSchedule}
	unschedulableTaint = api.Taint{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule}
)

// NodeReady keeps pods off nodes whose Ready condition is not True, unless
// they tolerate the node.kubernetes.io/not-ready:NoSchedule taint that
// Kubernetes puts on such nodes (and it is reported as that taint).
func NodeReady(n *NodeInfo, p *PodInfo) (bool, string) {
	if n.Ready() || tolerates(p.Pod.Spec.Tolerations, notReadyTaint) {
		return true, ""
	}
	return false, untolerated(notReadyTaint)
}

// NodeSchedulable keeps pods off cordoned nodes (spec.unschedulable),
// unless they tolerate node.kubernetes.io/unschedulable:NoSchedule.
func NodeSchedulable(n *NodeInfo, p *PodInfo) (bool, string) {
	if !n.Node.Spec.Unschedulable || tolerates(p.Pod.Spec.Tolerations, unschedulableTaint) {
		return true, ""
	}
	return false, ReasonUnschedulable
}

// TaintToleration keeps pods off nodes with a NoSchedule or NoExecute taint
// they do not tolerate; PreferNoSchedule taints are ignored.
func TaintToleration(n *NodeInfo, p *PodInfo) (bool, string) {
	for _, t := range n.Node.Spec.Taints {
		if t.Effect != api.TaintEffectNoSchedule && t.Effect != api.TaintEffectNoExecute {
			continue
		}
		if !tolerates(p.Pod.Spec.Tolerations, t) {
			return false, untolerated(t)
		}
	}
	return true, ""
}

// tolerates is api.ToleratesTaint.
func tolerates(tols []api.Toleration, taint api.Taint) bool { return api.ToleratesTaint(tols, taint) }

// NodeAffinity requires the node's labels to match the pod's nodeSelector
// and its required node affinity (api.MatchesNodeSelector).
func NodeAffinity(n *NodeInfo, p *PodInfo) (bool, string) {
	if !api.MatchesNodeSelector(&p.Pod.Spec, n.Node) {
		return false, ReasonNodeSelector
	}
	return true, ""
}

// termMatches is api.NodeSelectorTermMatches.
func termMatches(term api.NodeSelectorTerm, node *api.Node) bool {
	return api.NodeSelectorTermMatches(term, node)
}

// FitPods requires room for one more pod under the node's allocatable pods.
func FitPods(n *NodeInfo, _ *PodInfo) (bool, string) {
	if n.Requested.Pods+1 > n.Allocatable.Pods {
		return false, ReasonTooManyPods
	}
	return true, ""
}

// FitCPU requires the pod's cpu request to fit in what the node's pods
// (bound and assumed) leave of its allocatable cpu.
func FitCPU(n *NodeInfo, p *PodInfo) (bool, string) {
	if r := p.Request.MilliCPU; r > 0 && r > n.Allocatable.MilliCPU-n.Requested.MilliCPU {
		return false, ReasonInsufficientCPU
	}
	return true, ""
}

// FitMemory is FitCPU for memory.
func FitMemory(n *NodeInfo, p *PodInfo) (bool, string) {
	if r := p.Request.Memory; r > 0 && r > n.Allocatable.Memory-n.Requested.Memory {
		return false, ReasonInsufficientMemory
	}
	return true, ""
}
