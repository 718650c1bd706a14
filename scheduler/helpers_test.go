package scheduler

import (
	"github.com/minik8s/minik8s/api"
)

// node builds a Ready node with the given allocatable cpu, memory and pods.
func node(name, cpu, mem string, pods int64, mods ...func(*api.Node)) *api.Node {
	n := &api.Node{
		ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: api.NodeStatus{
			Allocatable: api.ResourceList{
				api.ResourceCPU:    api.MustParse(cpu),
				api.ResourceMemory: api.MustParse(mem),
				api.ResourcePods:   api.NewQuantity(pods, api.DecimalSI),
			},
			Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}},
		},
	}
	for _, m := range mods {
		m(n)
	}
	return n
}

func withLabels(kv ...string) func(*api.Node) {
	return func(n *api.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withTaints(ts ...api.Taint) func(*api.Node) {
	return func(n *api.Node) { n.Spec.Taints = ts }
}

func notReady(n *api.Node) { n.Status.Conditions[0].Status = api.ConditionFalse }

func cordoned(n *api.Node) { n.Spec.Unschedulable = true }

// pod builds a pod in "default" with one container requesting cpu and mem
// ("" for none).
func pod(name, cpu, mem string, mods ...func(*api.Pod)) *api.Pod {
	req := api.ResourceList{}
	if cpu != "" {
		req[api.ResourceCPU] = api.MustParse(cpu)
	}
	if mem != "" {
		req[api.ResourceMemory] = api.MustParse(mem)
	}
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name},
		Spec: api.PodSpec{Containers: []api.Container{{
			Name: "c", Image: "nginx", Resources: api.ResourceRequirements{Requests: req},
		}}},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func onNode(n string) func(*api.Pod) { return func(p *api.Pod) { p.Spec.NodeName = n } }

func ownedBy(uid string) func(*api.Pod) {
	return func(p *api.Pod) {
		yes := true
		p.OwnerReferences = []api.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs", UID: uid, Controller: &yes}}
	}
}

func withTolerations(ts ...api.Toleration) func(*api.Pod) {
	return func(p *api.Pod) { p.Spec.Tolerations = ts }
}

func withPriority(v int32) func(*api.Pod) { return func(p *api.Pod) { p.Spec.Priority = &v } }

func withNodeSelector(kv ...string) func(*api.Pod) {
	return func(p *api.Pod) {
		p.Spec.NodeSelector = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Spec.NodeSelector[kv[i]] = kv[i+1]
		}
	}
}

func withAffinity(terms ...api.NodeSelectorTerm) func(*api.Pod) {
	return func(p *api.Pod) {
		p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms},
		}}
	}
}

func expr(key string, op api.NodeSelectorOperator, values ...string) api.NodeSelectorRequirement {
	return api.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func term(reqs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: reqs}
}
