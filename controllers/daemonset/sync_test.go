package daemonset

import (
	"reflect"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
)

func ds(mut func(*api.DaemonSet)) *api.DaemonSet {
	d := &api.DaemonSet{
		ObjectMeta: api.ObjectMeta{Name: "agent", Namespace: "default", UID: "u1", Generation: 2},
		Spec: api.DaemonSetSpec{
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "a", Image: "x"}}}},
			UpdateStrategy: api.DaemonSetUpdateStrategy{Type: "RollingUpdate"},
		},
	}
	if mut != nil {
		mut(d)
	}
	return d
}

func node(name string, labels map[string]string, taints ...api.Taint) *api.Node {
	return &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: labels}, Spec: api.NodeSpec{Taints: taints}}
}

func TestShouldRun(t *testing.T) {
	ssd := func(d *api.DaemonSet) { d.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }
	for _, tc := range []struct {
		name      string
		ds        *api.DaemonSet
		node      *api.Node
		run, keep bool
	}{
		{"plain", ds(nil), node("n", nil), true, true},
		{"selector matches", ds(ssd), node("n", map[string]string{"disk": "ssd"}), true, true},
		{"selector does not", ds(ssd), node("n", nil), false, false},
		{"nodeName elsewhere", ds(func(d *api.DaemonSet) { d.Spec.Template.Spec.NodeName = "other" }), node("n", nil), false, false},
		{"NoSchedule taint keeps a running pod", ds(nil), node("n", nil, api.Taint{Key: "k", Effect: api.TaintEffectNoSchedule}), false, true},
		{"NoExecute taint evicts", ds(nil), node("n", nil, api.Taint{Key: "k", Effect: api.TaintEffectNoExecute}), false, false},
		{"cordon tolerated", ds(nil), node("n", nil, api.Taint{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule}), true, true},
		{"unreachable tolerated", ds(nil), node("n", nil, api.Taint{Key: api.TaintNodeUnreachable, Effect: api.TaintEffectNoExecute}), true, true},
		{"not ready: no new pod", ds(nil), node("n", nil, api.Taint{Key: api.TaintNodeNotReady, Effect: api.TaintEffectNoSchedule}), false, true},
		{"own toleration", ds(func(d *api.DaemonSet) {
			d.Spec.Template.Spec.Tolerations = []api.Toleration{{Key: "k", Operator: api.TolerationOpExists}}
		}), node("n", nil, api.Taint{Key: "k", Effect: api.TaintEffectNoExecute}), true, true},
		{"network unavailable, host network", ds(func(d *api.DaemonSet) { d.Spec.Template.Spec.HostNetwork = true }),
			node("n", nil, api.Taint{Key: "node.kubernetes.io/network-unavailable", Effect: api.TaintEffectNoSchedule}), true, true},
	} {
		if run, keep := shouldRun(tc.node, tc.ds); run != tc.run || keep != tc.keep {
			t.Errorf("%s: shouldRun = %v, %v; want %v, %v", tc.name, run, keep, tc.run, tc.keep)
		}
	}
}

func TestNewPod(t *testing.T) {
	d := ds(func(d *api.DaemonSet) {
		d.Spec.Template.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{
			NodeSelectorTerms: []api.NodeSelectorTerm{{MatchExpressions: []api.NodeSelectorRequirement{{Key: "a", Operator: api.NodeSelectorOpExists}}}}}}}
	})
	p := newPod(d, "n1", "h1")
	if targetNode(p) != "n1" || p.Spec.NodeName != "" {
		t.Errorf("target node %q, nodeName %q", targetNode(p), p.Spec.NodeName)
	}
	if p.Labels[controllerutil.ControllerRevisionHashLabel] != "h1" || p.Labels["app"] != "agent" || p.GenerateName != "agent-" {
		t.Errorf("labels %v, generateName %q", p.Labels, p.GenerateName)
	}
	if len(p.Spec.Tolerations) != len(daemonTolerations) {
		t.Errorf("tolerations %v", p.Spec.Tolerations)
	}
	if r := api.GetControllerOf(&p.ObjectMeta); r == nil || r.UID != "u1" || r.Kind != "DaemonSet" {
		t.Errorf("controller %v", r)
	}
	if d.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields != nil {
		t.Error("newPod changed the DaemonSet's template")
	}
}

func TestBudgets(t *testing.T) {
	pct := func(s string) *api.IntOrString { v := api.FromString(s); return &v }
	num := func(n int) *api.IntOrString { v := api.FromInt(n); return &v }
	for _, tc := range []struct {
		surge, unavailable *api.IntOrString
		desired            int
		s, u               int
	}{
		{nil, nil, 10, 0, 1},
		{num(0), num(2), 10, 0, 2},
		{pct("25%"), num(0), 10, 3, 0},
		{num(0), pct("10%"), 15, 0, 2},
		{num(0), num(0), 4, 0, 1},
	} {
		d := ds(func(d *api.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateDaemonSet{MaxSurge: tc.surge, MaxUnavailable: tc.unavailable}
		})
		if s, u := budgets(d, tc.desired); s != tc.s || u != tc.u {
			t.Errorf("%v/%v of %d: surge %d unavailable %d, want %d %d", tc.surge, tc.unavailable, tc.desired, s, u, tc.s, tc.u)
		}
	}
}

func TestCalculateStatus(t *testing.T) {
	now := time.Now()
	ready := func(name, node, hash string) *api.Pod {
		return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{controllerutil.ControllerRevisionHashLabel: hash}},
			Spec: api.PodSpec{NodeName: node},
			Status: api.PodStatus{Phase: api.PodRunning, Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue,
				LastTransitionTime: api.NewTime(now.Add(-time.Minute))}}}}
	}
	nodes := []*api.Node{node("a", nil), node("b", nil), node("c", nil, api.Taint{Key: "k", Effect: api.TaintEffectNoSchedule})}
	byNode := podsByNode([]*api.Pod{ready("p1", "a", "new"), ready("p2", "b", "old"), ready("p3", "c", "new")})
	st := calculateStatus(ds(nil), nodes, byNode, "new", true, now)
	want := api.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberMisscheduled: 1, NumberReady: 2,
		UpdatedNumberScheduled: 1, NumberAvailable: 2, ObservedGeneration: 2}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("status %+v\nwant   %+v", st, want)
	}
	if st := calculateStatus(ds(nil), nodes, byNode, "new", false, now); st.ObservedGeneration != 0 {
		t.Error("observedGeneration raised by a sync that did not act")
	}
}
