package scheduler

import (
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestFilters(t *testing.T) {
	noSched := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoSchedule}
	noExec := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoExecute}
	prefer := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectPreferNoSchedule}
	gpuLabels := withLabels("disk", "ssd", "zone", "a", "cores", "8")
	for _, tc := range []struct {
		name   string
		filter FilterFunc
		node   *NodeInfo
		pod    *api.Pod
		reason string // "" means feasible
	}{
		{"ready", NodeReady, NewNodeInfo(node("n", "1", "1Gi", 10)), pod("p", "", ""), ""},
		{"not ready", NodeReady, NewNodeInfo(node("n", "1", "1Gi", 10, notReady)), pod("p", "", ""),
			"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"},
		{"no ready condition", NodeReady, NewNodeInfo(node("n", "1", "1Gi", 10, func(n *api.Node) { n.Status.Conditions = nil })),
			pod("p", "", ""), "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"},
		{"not ready tolerated", NodeReady, NewNodeInfo(node("n", "1", "1Gi", 10, notReady)),
			pod("p", "", "", withTolerations(api.Toleration{Key: api.TaintNodeNotReady, Operator: api.TolerationOpExists})), ""},

		{"schedulable", NodeSchedulable, NewNodeInfo(node("n", "1", "1Gi", 10)), pod("p", "", ""), ""},
		{"cordoned", NodeSchedulable, NewNodeInfo(node("n", "1", "1Gi", 10, cordoned)), pod("p", "", ""), ReasonUnschedulable},
		{"cordoned tolerated", NodeSchedulable, NewNodeInfo(node("n", "1", "1Gi", 10, cordoned)),
			pod("p", "", "", withTolerations(api.Toleration{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule, Operator: api.TolerationOpExists})), ""},

		{"no taints", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10)), pod("p", "", ""), ""},
		{"NoSchedule untolerated", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched))), pod("p", "", ""),
			"node(s) had untolerated taint {dedicated: gpu}"},
		{"NoExecute untolerated", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noExec))), pod("p", "", ""),
			"node(s) had untolerated taint {dedicated: gpu}"},
		{"PreferNoSchedule ignored", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(prefer))), pod("p", "", ""), ""},
		{"Equal toleration", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched))),
			pod("p", "", "", withTolerations(api.Toleration{Key: "dedicated", Value: "gpu"})), ""},
		{"Equal toleration, other value", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched))),
			pod("p", "", "", withTolerations(api.Toleration{Key: "dedicated", Operator: api.TolerationOpEqual, Value: "cpu"})),
			"node(s) had untolerated taint {dedicated: gpu}"},
		{"Exists toleration", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched, noExec))),
			pod("p", "", "", withTolerations(api.Toleration{Key: "dedicated", Operator: api.TolerationOpExists})), ""},
		{"empty key Exists tolerates all", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched))),
			pod("p", "", "", withTolerations(api.Toleration{Operator: api.TolerationOpExists})), ""},
		{"effect must match", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noExec))),
			pod("p", "", "", withTolerations(api.Toleration{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoSchedule})),
			"node(s) had untolerated taint {dedicated: gpu}"},
		{"one of two tolerated", TaintToleration, NewNodeInfo(node("n", "1", "1Gi", 10, withTaints(noSched, api.Taint{Key: "other", Effect: api.TaintEffectNoSchedule}))),
			pod("p", "", "", withTolerations(api.Toleration{Key: "dedicated", Value: "gpu"})),
			"node(s) had untolerated taint {other: }"},

		{"nodeSelector match", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)), pod("p", "", "", withNodeSelector("disk", "ssd")), ""},
		{"nodeSelector mismatch", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)), pod("p", "", "", withNodeSelector("disk", "hdd")), ReasonNodeSelector},
		{"nodeSelector missing label", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)), pod("p", "", "", withNodeSelector("disk", "ssd")), ReasonNodeSelector},
		{"In", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpIn, "a", "b")))), ""},
		{"In mismatch", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpIn, "b")))), ReasonNodeSelector},
		{"In missing label", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpIn, "a")))), ReasonNodeSelector},
		{"NotIn", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpNotIn, "b")))), ""},
		{"NotIn missing label", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpNotIn, "a")))), ""},
		{"NotIn mismatch", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpNotIn, "a")))), ReasonNodeSelector},
		{"Exists", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("disk", api.NodeSelectorOpExists)))), ""},
		{"Exists missing", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", withAffinity(term(expr("disk", api.NodeSelectorOpExists)))), ReasonNodeSelector},
		{"DoesNotExist", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", withAffinity(term(expr("disk", api.NodeSelectorOpDoesNotExist)))), ""},
		{"DoesNotExist present", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("disk", api.NodeSelectorOpDoesNotExist)))), ReasonNodeSelector},
		{"Gt", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("cores", api.NodeSelectorOpGt, "4")))), ""},
		{"Lt false", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("cores", api.NodeSelectorOpLt, "4")))), ReasonNodeSelector},
		{"expressions ANDed", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpIn, "a"), expr("disk", api.NodeSelectorOpIn, "hdd")))), ReasonNodeSelector},
		{"terms ORed", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(term(expr("zone", api.NodeSelectorOpIn, "b")), term(expr("disk", api.NodeSelectorOpIn, "ssd")))), ""},
		{"empty term matches nothing", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withAffinity(api.NodeSelectorTerm{})), ReasonNodeSelector},
		{"matchFields metadata.name", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", withAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{expr("metadata.name", api.NodeSelectorOpIn, "n")}})), ""},
		{"selector and affinity both needed", NodeAffinity, NewNodeInfo(node("n", "1", "1Gi", 10, gpuLabels)),
			pod("p", "", "", withNodeSelector("disk", "hdd"), withAffinity(term(expr("zone", api.NodeSelectorOpIn, "a")))), ReasonNodeSelector},

		{"cpu fits exactly", FitCPU, NewNodeInfo(node("n", "2", "1Gi", 10), pod("a", "1500m", "", onNode("n"))), pod("p", "500m", ""), ""},
		{"cpu short", FitCPU, NewNodeInfo(node("n", "2", "1Gi", 10), pod("a", "1500m", "", onNode("n"))), pod("p", "501m", ""), ReasonInsufficientCPU},
		{"no cpu request fits a full node", FitCPU, NewNodeInfo(node("n", "1", "1Gi", 10), pod("a", "1", "", onNode("n"))), pod("p", "", ""), ""},
		{"memory fits", FitMemory, NewNodeInfo(node("n", "1", "1Gi", 10), pod("a", "", "512Mi", onNode("n"))), pod("p", "", "512Mi"), ""},
		{"memory short", FitMemory, NewNodeInfo(node("n", "1", "1Gi", 10), pod("a", "", "512Mi", onNode("n"))), pod("p", "", "513Mi"), ReasonInsufficientMemory},
		{"limits stand in for requests", FitMemory, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "", "", func(p *api.Pod) {
				p.Spec.Containers[0].Resources.Limits = api.ResourceList{api.ResourceMemory: api.MustParse("2Gi")}
			}), ReasonInsufficientMemory},
		{"init container max", FitCPU, NewNodeInfo(node("n", "1", "1Gi", 10)),
			pod("p", "100m", "", func(p *api.Pod) {
				p.Spec.InitContainers = []api.Container{{Name: "i", Resources: api.ResourceRequirements{Requests: api.ResourceList{api.ResourceCPU: api.MustParse("1100m")}}}}
			}), ReasonInsufficientCPU},
		{"pods fit", FitPods, NewNodeInfo(node("n", "1", "1Gi", 2), pod("a", "", "", onNode("n"))), pod("p", "", ""), ""},
		{"too many pods", FitPods, NewNodeInfo(node("n", "1", "1Gi", 1), pod("a", "", "", onNode("n"))), pod("p", "", ""), ReasonTooManyPods},
		{"no pods allocatable", FitPods, NewNodeInfo(node("n", "1", "1Gi", 0)), pod("p", "", ""), ReasonTooManyPods},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := tc.filter(tc.node, NewPodInfo(tc.pod))
			if ok != (tc.reason == "") || reason != tc.reason {
				t.Fatalf("Feasible = %v, %q; want reason %q", ok, reason, tc.reason)
			}
		})
	}
}

func TestFitErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  FitError
		want string
	}{
		{"one reason", FitError{NumNodes: 3, Reasons: map[string]int{ReasonInsufficientCPU: 3}},
			"0/3 nodes are available: 3 Insufficient cpu."},
		{"sorted", FitError{NumNodes: 5, Reasons: map[string]int{ReasonNodeSelector: 3, ReasonInsufficientMemory: 2}},
			"0/5 nodes are available: 2 Insufficient memory, 3 node(s) didn't match Pod's node affinity/selector."},
		{"no nodes", FitError{}, "no nodes available to schedule pods"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}
