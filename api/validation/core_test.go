package validation

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestValidateNamespace(t *testing.T) {
	tests := []struct {
		ns   api.Namespace
		want []string
	}{
		{api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team-a"}}, nil},
		{api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team.a"}}, []string{"metadata.name: Invalid"}},
		{api.Namespace{ObjectMeta: api.ObjectMeta{Name: "a", Namespace: "b"}}, []string{"metadata.namespace: Forbidden"}},
		{api.Namespace{ObjectMeta: api.ObjectMeta{Name: "a"}, Spec: api.NamespaceSpec{Finalizers: []string{"kubernetes", "x"}},
			Status: api.NamespaceStatus{Phase: "Gone"}}, []string{"spec.finalizers[1]: Invalid", "status.phase: NotSupported"}},
	}
	for _, tt := range tests {
		if got := summary(ValidateNamespace(&tt.ns, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: got %q, want %q", tt.ns, got, tt.want)
		}
	}
}

func TestValidateNode(t *testing.T) {
	base := func() *api.Node {
		return &api.Node{ObjectMeta: api.ObjectMeta{Name: "node-1.example.com"},
			Spec:   api.NodeSpec{PodCIDR: "10.244.1.0/24", PodCIDRs: []string{"10.244.1.0/24"}, ProviderID: "sim://1"},
			Status: api.NodeStatus{Capacity: api.ResourceList{api.ResourceCPU: api.MustParse("4")}}}
	}
	tests := []struct {
		name   string
		mutate func(n *api.Node)
		update bool
		want   []string
	}{
		{"valid", func(n *api.Node) {}, false, nil},
		{"taints", func(n *api.Node) {
			n.Spec.Taints = []api.Taint{{Key: "a", Effect: api.TaintEffectNoSchedule}, {Key: "a", Effect: api.TaintEffectNoSchedule}, {Key: "", Effect: ""}, {Key: "b", Value: "a b", Effect: "Never"}}
		}, false, []string{"spec.taints[1]: Duplicate", "spec.taints[2].key: Invalid", "spec.taints[2].key: Invalid", "spec.taints[2].effect: Required", "spec.taints[3].value: Invalid", "spec.taints[3].effect: NotSupported"}},
		{"cidrs", func(n *api.Node) {
			n.Spec.PodCIDR = "10.0.0.0/33"
			n.Spec.PodCIDRs = []string{"10.1.0.0/24", "10.2.0.0/24"}
		}, false, []string{"spec.podCIDR: Invalid", "spec.podCIDRs: Invalid", "spec.podCIDRs[0]: Invalid"}},
		{"dual stack", func(n *api.Node) { n.Spec.PodCIDRs = []string{"10.244.1.0/24", "fd00::/64"} }, false, nil},
		{"negative capacity", func(n *api.Node) { n.Status.Allocatable = api.ResourceList{api.ResourceMemory: api.MustParse("-1")} }, false, []string{"status.allocatable[memory]: Invalid"}},
		{"status update", func(n *api.Node) { n.Status.Capacity[api.ResourcePods] = api.MustParse("110") }, true, nil},
		{"cidr changed", func(n *api.Node) { n.Spec.PodCIDR, n.Spec.PodCIDRs = "10.244.2.0/24", []string{"10.244.2.0/24"} }, true,
			[]string{"spec.podCIDR: Forbidden", "spec.podCIDRs: Forbidden"}},
		{"provider changed", func(n *api.Node) { n.Spec.ProviderID = "sim://2" }, true, []string{"spec.providerID: Forbidden"}},
	}
	for _, tt := range tests {
		n := base()
		tt.mutate(n)
		var old *api.Node
		if tt.update {
			old = base()
		}
		if got := summary(ValidateNode(n, old)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	// Setting the CIDR for the first time is allowed.
	old := base()
	old.Spec.PodCIDR, old.Spec.PodCIDRs = "", nil
	if errs := ValidateNode(base(), old); len(errs) != 0 {
		t.Errorf("first podCIDR: %v", errs.ToAggregate())
	}
}

func TestValidateEvent(t *testing.T) {
	base := func() *api.Event {
		return &api.Event{ObjectMeta: api.ObjectMeta{Name: "web-1.17a", Namespace: "default"},
			InvolvedObject: api.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-1"},
			Reason:         "Scheduled", Type: api.EventTypeNormal}
	}
	tests := []struct {
		name   string
		mutate func(e *api.Event)
		want   []string
	}{
		{"valid", func(e *api.Event) {}, nil},
		{"node event in default", func(e *api.Event) { e.InvolvedObject = api.ObjectReference{Kind: "Node", Name: "n1"} }, nil},
		{"node event elsewhere", func(e *api.Event) {
			e.Namespace = "team"
			e.InvolvedObject = api.ObjectReference{Kind: "Node", Name: "n1"}
		}, []string{"involvedObject.namespace: Invalid"}},
		{"namespace mismatch", func(e *api.Event) { e.InvolvedObject.Namespace = "other" }, []string{"involvedObject.namespace: Invalid"}},
		{"type", func(e *api.Event) { e.Type = "Error" }, []string{"type: NotSupported"}},
		{"new style", func(e *api.Event) { e.EventTime = api.NowMicro() }, []string{"reportingController: Required", "action: Required"}},
	}
	for _, tt := range tests {
		e := base()
		tt.mutate(e)
		if got := summary(ValidateEvent(e, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	e := base()
	e.Count = 2
	if errs := ValidateEvent(e, base()); len(errs) != 0 {
		t.Errorf("count update: %v", errs.ToAggregate())
	}
	e.InvolvedObject.Name = "web-2"
	if got := summary(ValidateEvent(e, base())); !slices.Equal(got, []string{"involvedObject: Invalid"}) {
		t.Errorf("involvedObject update: %q", got)
	}
}

func TestValidateLease(t *testing.T) {
	l := &api.Lease{ObjectMeta: api.ObjectMeta{Name: "kube-scheduler", Namespace: "kube-system"},
		Spec: api.LeaseSpec{HolderIdentity: ptr("a"), LeaseDurationSeconds: ptr(int32(15)), LeaseTransitions: ptr(int32(0))}}
	if errs := ValidateLease(l, nil); len(errs) != 0 {
		t.Errorf("valid lease: %v", errs.ToAggregate())
	}
	l.Spec.LeaseDurationSeconds = ptr(int32(0))
	l.Spec.LeaseTransitions = ptr(int32(-1))
	if got := summary(ValidateLease(l, nil)); !slices.Equal(got, []string{"spec.leaseDurationSeconds: Invalid", "spec.leaseTransitions: Invalid"}) {
		t.Errorf("invalid lease: %q", got)
	}
}
