package scheduler

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// The cases below follow kube-scheduler's own plugin tests
// (interpodaffinity/filtering_test.go, podtopologyspread/filtering_test.go
// and scoring_test.go): the same clusters, the same expected verdicts.

func podLabels(kv ...string) func(*api.Pod) {
	return func(p *api.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func inNamespace(ns string) func(*api.Pod) { return func(p *api.Pod) { p.Namespace = ns } }

func sel(kv ...string) *api.LabelSelector {
	s := &api.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

func affTerm(key string, s *api.LabelSelector) api.PodAffinityTerm {
	return api.PodAffinityTerm{LabelSelector: s, TopologyKey: key}
}

func podAffinity(terms ...api.PodAffinityTerm) func(*api.Pod) {
	return func(p *api.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &api.Affinity{}
		}
		p.Spec.Affinity.PodAffinity = &api.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}

func podAntiAffinity(terms ...api.PodAffinityTerm) func(*api.Pod) {
	return func(p *api.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &api.Affinity{}
		}
		p.Spec.Affinity.PodAntiAffinity = &api.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}

func spreadBy(cs ...api.TopologySpreadConstraint) func(*api.Pod) {
	return func(p *api.Pod) { p.Spec.TopologySpreadConstraints = cs }
}

func hardSpread(skew int32, key string, s *api.LabelSelector) api.TopologySpreadConstraint {
	return api.TopologySpreadConstraint{MaxSkew: skew, TopologyKey: key, WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: s}
}

// prepared returns a cache of nodes and bound pods, and the PodInfo of
// incoming with its attempt's state computed from that cache.
func prepared(nodes []*api.Node, pods []*api.Pod, nss []*api.Namespace, incoming *api.Pod) (*cache, *PodInfo) {
	c := newCache()
	for _, n := range nodes {
		c.setNode(n)
	}
	for _, ns := range nss {
		c.setNamespace(ns)
	}
	for _, p := range pods {
		c.setBoundPod(p)
	}
	pi := NewPodInfo(incoming)
	c.mu.Lock()
	c.prepareLocked(pi)
	c.mu.Unlock()
	return c, pi
}

// verdicts runs f on every node of c in nodes' order: "" for fit, else
// the reason.
func verdicts(c *cache, nodes []*api.Node, pi *PodInfo, f FilterFunc) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		if ok, r := f(c.nodes[n.Name], pi); !ok {
			out[i] = r
		}
	}
	return out
}

func TestInterPodAffinityFilter(t *testing.T) {
	n1 := node("n1", "4", "4Gi", 10, withLabels("region", "r1", "zone", "z11"))
	n2 := node("n2", "4", "4Gi", 10, withLabels("region", "r1", "zone", "z12"))
	n3 := node("n3", "4", "4Gi", 10, withLabels("region", "r2", "zone", "z21"))
	nodes := []*api.Node{n1, n2, n3}
	sec := podLabels("service", "securityscan")
	teamA := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team-a", Labels: map[string]string{"team": "a"}}}
	for _, tc := range []struct {
		name     string
		existing []*api.Pod
		pod      *api.Pod
		want     []string
	}{
		{"no rules, no pods", nil, pod("p", "", ""), []string{"", "", ""}},
		{"affinity by region to an existing pod", []*api.Pod{pod("a", "", "", sec, onNode("n1"))},
			pod("p", "", "", podAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{"", "", ReasonAffinityRules}},
		{"affinity to a pod of another namespace does not match", []*api.Pod{pod("a", "", "", sec, onNode("n1"), inNamespace("other"))},
			pod("p", "", "", podLabels("x", "y"), podAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{ReasonAffinityRules, ReasonAffinityRules, ReasonAffinityRules}},
		{"affinity: the namespaces list reaches other namespaces", []*api.Pod{pod("a", "", "", sec, onNode("n3"), inNamespace("other"))},
			pod("p", "", "", podAffinity(api.PodAffinityTerm{LabelSelector: sel("service", "securityscan"), TopologyKey: "zone", Namespaces: []string{"other"}})),
			[]string{ReasonAffinityRules, ReasonAffinityRules, ""}},
		{"affinity: namespaceSelector by namespace labels", []*api.Pod{pod("a", "", "", sec, onNode("n2"), inNamespace("team-a")), pod("b", "", "", sec, onNode("n3"), inNamespace("team-b"))},
			pod("p", "", "", podAffinity(api.PodAffinityTerm{LabelSelector: sel("service", "securityscan"), TopologyKey: "zone", NamespaceSelector: sel("team", "a")})),
			[]string{ReasonAffinityRules, "", ReasonAffinityRules}},
		{"affinity: an empty namespaceSelector is every namespace", []*api.Pod{pod("b", "", "", sec, onNode("n3"), inNamespace("team-b"))},
			pod("p", "", "", podAffinity(api.PodAffinityTerm{LabelSelector: sel("service", "securityscan"), TopologyKey: "zone", NamespaceSelector: &api.LabelSelector{}})),
			[]string{ReasonAffinityRules, ReasonAffinityRules, ""}},
		{"first pod of a group with affinity to itself goes anywhere", nil,
			pod("p", "", "", sec, podAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{"", "", ""}},
		{"no matching pod and the pod does not match itself", nil,
			pod("p", "", "", podAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{ReasonAffinityRules, ReasonAffinityRules, ReasonAffinityRules}},
		{"affinity: a node without the topology key fits no term", []*api.Pod{pod("a", "", "", sec, onNode("n1"))},
			pod("p", "", "", podAffinity(affTerm("rack", sel("service", "securityscan")))),
			[]string{ReasonAffinityRules, ReasonAffinityRules, ReasonAffinityRules}},
		{"anti-affinity by hostname", []*api.Pod{pod("a", "", "", sec, onNode("n1"))},
			pod("p", "", "", podAntiAffinity(affTerm(LabelHostname, sel("service", "securityscan")))),
			[]string{ReasonAntiAffinityRules, "", ""}},
		{"anti-affinity by region", []*api.Pod{pod("a", "", "", sec, onNode("n1"))},
			pod("p", "", "", podAntiAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{ReasonAntiAffinityRules, ReasonAntiAffinityRules, ""}},
		{"existing pod's anti-affinity keeps a matching pod out (symmetric)",
			[]*api.Pod{pod("a", "", "", onNode("n1"), podAntiAffinity(affTerm("zone", sel("service", "securityscan"))))},
			pod("p", "", "", sec), []string{ReasonExistingAntiAffinityRules, "", ""}},
		{"existing pod's anti-affinity does not touch a pod it does not match",
			[]*api.Pod{pod("a", "", "", onNode("n1"), podAntiAffinity(affTerm("zone", sel("service", "securityscan"))))},
			pod("p", "", "", podLabels("service", "web")), []string{"", "", ""}},
		{"affinity satisfied, existing anti-affinity still refuses",
			[]*api.Pod{pod("a", "", "", sec, onNode("n1"), podAntiAffinity(affTerm("region", sel("service", "securityscan"))))},
			pod("p", "", "", sec, podAffinity(affTerm("region", sel("service", "securityscan")))),
			[]string{ReasonExistingAntiAffinityRules, ReasonExistingAntiAffinityRules, ReasonAffinityRules}},
		{"matchLabelKeys: pods of another revision do not repel",
			[]*api.Pod{pod("old", "", "", podLabels("app", "web", "pod-template-hash", "v1"), onNode("n1"))},
			pod("p", "", "", podLabels("app", "web", "pod-template-hash", "v2"), podAntiAffinity(api.PodAffinityTerm{
				LabelSelector: sel("app", "web"), TopologyKey: LabelHostname, MatchLabelKeys: []string{"pod-template-hash"}})),
			[]string{"", "", ""}},
		{"mismatchLabelKeys: only pods of other tenants repel",
			[]*api.Pod{pod("a", "", "", podLabels("tenant", "x"), onNode("n1")), pod("b", "", "", podLabels("tenant", "y"), onNode("n2"))},
			pod("p", "", "", podLabels("tenant", "x"), podAntiAffinity(api.PodAffinityTerm{
				LabelSelector: &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "tenant", Operator: api.LabelSelectorOpExists}}},
				TopologyKey:   LabelHostname, MismatchLabelKeys: []string{"tenant"}})),
			[]string{"", ReasonAntiAffinityRules, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pi := prepared(nodes, tc.existing, []*api.Namespace{teamA}, tc.pod)
			got := verdicts(c, nodes, pi, InterPodAffinity)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("verdicts = %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestPodTopologySpreadFilter(t *testing.T) {
	// Two zones of two nodes, as in kube-scheduler's tests.
	na := node("node-a", "4", "4Gi", 10, withLabels("zone", "zone1", "node", "node-a"))
	nb := node("node-b", "4", "4Gi", 10, withLabels("zone", "zone1", "node", "node-b"))
	nx := node("node-x", "4", "4Gi", 10, withLabels("zone", "zone2", "node", "node-x"))
	ny := node("node-y", "4", "4Gi", 10, withLabels("zone", "zone2", "node", "node-y"))
	nodes := []*api.Node{na, nb, nx, ny}
	foo := podLabels("foo", "")
	fooSel := &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "foo", Operator: api.LabelSelectorOpExists}}}
	on := func(name, n string, mods ...func(*api.Pod)) *api.Pod {
		return pod(name, "", "", append([]func(*api.Pod){onNode(n)}, mods...)...)
	}
	three := int32(3)
	honor := api.NodeInclusionPolicyHonor
	const bad, missing = ReasonSpreadConstraints, ReasonSpreadMissingKey
	for _, tc := range []struct {
		name     string
		nodes    []*api.Node
		existing []*api.Pod
		pod      *api.Pod
		want     []string
	}{
		{"no existing pods", nodes, nil, pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel))),
			[]string{"", "", "", ""}},
		{"zones 3/2, maxSkew 1: only zone2", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("a2", "node-a", foo), on("b1", "node-b", foo), on("x1", "node-x", foo), on("y1", "node-y", foo)},
			pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel))), []string{bad, bad, "", ""}},
		{"zones 3/2, maxSkew 2: anywhere", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("a2", "node-a", foo), on("b1", "node-b", foo), on("x1", "node-x", foo), on("y1", "node-y", foo)},
			pod("p", "", "", foo, spreadBy(hardSpread(2, "zone", fooSel))), []string{"", "", "", ""}},
		{"the pod does not count itself if it does not match", nodes,
			[]*api.Pod{on("a1", "node-a", foo)},
			pod("p", "", "", spreadBy(hardSpread(1, "zone", fooSel))), []string{"", "", "", ""}},
		{"pods of other namespaces do not count", nodes,
			[]*api.Pod{on("a1", "node-a", foo, inNamespace("ns2")), on("a2", "node-a", foo, inNamespace("ns2"))},
			pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel))), []string{"", "", "", ""}},
		{"by node, maxSkew 1", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("b1", "node-b", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, spreadBy(hardSpread(1, "node", fooSel))), []string{bad, bad, bad, ""}},
		{"two constraints must both hold", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("a2", "node-a", foo), on("b1", "node-b", foo), on("y1", "node-y", foo)},
			pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel), hardSpread(1, "node", fooSel))), []string{bad, bad, "", bad}},
		{"a node without the key is refused", append([]*api.Node{node("node-z", "4", "4Gi", 10)}, nodes...), nil,
			pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel))), []string{missing, "", "", "", ""}},
		{"minDomains above the domains makes the minimum 0", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: api.DoNotSchedule,
				LabelSelector: fooSel, MinDomains: &three})), []string{bad, bad, bad, bad}},
		{"nodeAffinityPolicy Honor: domains outside the node selector do not count", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("b1", "node-b", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, withNodeSelector("zone", "zone1"), spreadBy(hardSpread(1, "zone", fooSel))),
			// Only zone1 counts: min 2, so zone1 fits with skew 1 (zone2's
			// nodes fail at NodeAffinity before this filter).
			[]string{"", "", "", ""}},
		{"nodeAffinityPolicy Ignore: every domain counts", nodes,
			[]*api.Pod{on("a1", "node-a", foo), on("b1", "node-b", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, withNodeSelector("zone", "zone1"), spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone",
				WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: fooSel, NodeAffinityPolicy: ptr(api.NodeInclusionPolicyIgnore)})),
			[]string{bad, bad, "", ""}},
		{"nodeTaintsPolicy Honor: tainted domains do not count", []*api.Node{na, nb, nx,
			node("node-y", "4", "4Gi", 10, withLabels("zone", "zone3"), withTaints(api.Taint{Key: "k", Effect: api.TaintEffectNoSchedule}))},
			[]*api.Pod{on("a1", "node-a", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone",
				WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: fooSel, NodeTaintsPolicy: &honor})),
			// zone3 is left out, so the minimum is 1 and every zone fits.
			[]string{"", "", "", ""}},
		{"nodeTaintsPolicy Ignore (default): a tainted empty zone is the minimum", []*api.Node{na, nb, nx,
			node("node-y", "4", "4Gi", 10, withLabels("zone", "zone3"), withTaints(api.Taint{Key: "k", Effect: api.TaintEffectNoSchedule}))},
			[]*api.Pod{on("a1", "node-a", foo), on("x1", "node-x", foo)},
			pod("p", "", "", foo, spreadBy(hardSpread(1, "zone", fooSel))), []string{bad, bad, bad, ""}},
		{"matchLabelKeys: pods of another revision do not count", nodes,
			[]*api.Pod{on("a1", "node-a", foo, podLabels("rev", "1")), on("a2", "node-a", foo, podLabels("rev", "1"))},
			pod("p", "", "", foo, podLabels("rev", "2"), spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone",
				WhenUnsatisfiable: api.DoNotSchedule, LabelSelector: fooSel, MatchLabelKeys: []string{"rev"}})),
			[]string{"", "", "", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pi := prepared(tc.nodes, tc.existing, nil, tc.pod)
			got := verdicts(c, tc.nodes, pi, PodTopologySpread)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("verdicts = %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// scoresOf runs one scorer as the scheduler does (PreScore, Score,
// Normalize) over nodes.
func scoresOf(c *cache, nodes []*api.Node, pi *PodInfo, s Scorer) []int64 {
	feasible := make([]*NodeInfo, len(nodes))
	for i, n := range nodes {
		feasible[i] = c.nodes[n.Name]
	}
	if ps, ok := s.(PreScorer); ok {
		ps.PreScore(feasible, pi)
	}
	out := make([]int64, len(nodes))
	for i, n := range feasible {
		out[i] = s.Score(n, pi)
	}
	if norm, ok := s.(Normalizer); ok {
		norm.Normalize(out)
	}
	return out
}

func TestPluginScores(t *testing.T) {
	n1 := node("n1", "4", "4Gi", 10, withLabels("zone", "z1", "disk", "ssd"))
	n2 := node("n2", "4", "4Gi", 10, withLabels("zone", "z1"), withTaints(api.Taint{Key: "a", Effect: api.TaintEffectPreferNoSchedule}))
	n3 := node("n3", "4", "4Gi", 10, withLabels("zone", "z2", "disk", "ssd"),
		withTaints(api.Taint{Key: "a", Effect: api.TaintEffectPreferNoSchedule}, api.Taint{Key: "b", Effect: api.TaintEffectPreferNoSchedule}))
	nodes := []*api.Node{n1, n2, n3}
	web := podLabels("app", "web")
	prefer := func(w int32, reqs ...api.NodeSelectorRequirement) api.PreferredSchedulingTerm {
		return api.PreferredSchedulingTerm{Weight: w, Preference: term(reqs...)}
	}
	for _, tc := range []struct {
		name     string
		scorer   Scorer
		existing []*api.Pod
		pod      *api.Pod
		want     []int64
	}{
		{"node affinity: weights of matching terms, scaled to the best", NodeAffinityScore{}, nil,
			pod("p", "", "", func(p *api.Pod) {
				p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.PreferredSchedulingTerm{
					prefer(2, expr("disk", api.NodeSelectorOpIn, "ssd")), prefer(8, expr("zone", api.NodeSelectorOpIn, "z1"))}}}
			}), []int64{100, 80, 20}},
		{"taint toleration: fewer untolerated PreferNoSchedule taints", TaintTolerationScore{}, nil,
			pod("p", "", ""), []int64{100, 50, 0}},
		{"taint toleration: tolerated taints do not count", TaintTolerationScore{}, nil,
			pod("p", "", "", withTolerations(api.Toleration{Key: "a", Operator: api.TolerationOpExists, Effect: api.TaintEffectPreferNoSchedule})),
			[]int64{100, 100, 0}},
		{"taint toleration: NoSchedule tolerations do not tolerate PreferNoSchedule", TaintTolerationScore{}, nil,
			pod("p", "", "", withTolerations(api.Toleration{Key: "a", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule})),
			[]int64{100, 50, 0}},
		{"inter-pod: preferred affinity by zone", InterPodAffinityScore{}, []*api.Pod{pod("a", "", "", web, onNode("n3"))},
			pod("p", "", "", func(p *api.Pod) {
				p.Spec.Affinity = &api.Affinity{PodAffinity: &api.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.WeightedPodAffinityTerm{
					{Weight: 5, PodAffinityTerm: affTerm("zone", sel("app", "web"))}}}}
			}), []int64{0, 0, 100}},
		{"inter-pod: preferred anti-affinity by zone", InterPodAffinityScore{}, []*api.Pod{pod("a", "", "", web, onNode("n3"))},
			pod("p", "", "", func(p *api.Pod) {
				p.Spec.Affinity = &api.Affinity{PodAntiAffinity: &api.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.WeightedPodAffinityTerm{
					{Weight: 5, PodAffinityTerm: affTerm("zone", sel("app", "web"))}}}}
			}), []int64{100, 100, 0}},
		// 2 pods in z1, none in z2: 2 domains, weight log(4); raw scores
		// round(2·1.386) = 3 for z1 and 0 for z2 (+ maxSkew−1 = 0).
		{"spread: ScheduleAnyway by zone", PodTopologySpreadScore{}, []*api.Pod{pod("a", "", "", web, onNode("n1")), pod("b", "", "", web, onNode("n2"))},
			pod("p", "", "", web, spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: api.ScheduleAnyway, LabelSelector: sel("app", "web")})),
			[]int64{0, 0, 100}},
		{"spread: a node without the key is ignored", PodTopologySpreadScore{}, nil,
			pod("p", "", "", web, spreadBy(api.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "disk", WhenUnsatisfiable: api.ScheduleAnyway, LabelSelector: sel("app", "web")})),
			[]int64{100, 0, 100}},
		// The defaults: pods of the same controller, by node (skew 3) and
		// zone (skew 5); these nodes have no topology.kubernetes.io/zone,
		// so only the first applies. n1 has 2 of rs1's pods: weight
		// log(3+2), raw n1 round(2·1.609+2) = 5, n2 and n3 2; normalised
		// 100·(5+2−s)/5.
		{"spread: cluster defaults for a ReplicaSet's pod", PodTopologySpreadScore{}, []*api.Pod{
			pod("a", "", "", ownedBy("rs1"), onNode("n1")), pod("b", "", "", ownedBy("rs1"), onNode("n1")), pod("c", "", "", ownedBy("rs2"), onNode("n3"))},
			pod("p", "", "", ownedBy("rs1")), []int64{40, 100, 100}},
		{"most allocated", MostAllocated{}, []*api.Pod{pod("a", "2", "1Gi", onNode("n1"))},
			pod("p", "1", "1Gi"), []int64{(75 + 50) / 2, (25 + 25) / 2, (25 + 25) / 2}},
		{"requested to capacity ratio, default shape", RequestedToCapacityRatio{}, []*api.Pod{pod("a", "2", "1Gi", onNode("n1"))},
			pod("p", "1", "1Gi"), []int64{63, 25, 25}},
		{"requested to capacity ratio, least-allocated shape", RequestedToCapacityRatio{Shape: []ShapePoint{{0, 10}, {100, 0}}},
			[]*api.Pod{pod("a", "2", "1Gi", onNode("n1"))}, pod("p", "1", "1Gi"), []int64{38, 75, 75}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pi := prepared(nodes, tc.existing, nil, tc.pod)
			got := scoresOf(c, nodes, pi, tc.scorer)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("scores = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestDefaultSpreadByZone(t *testing.T) {
	nodes := []*api.Node{
		node("m1", "4", "4Gi", 10, withLabels(LabelZone, "z1")),
		node("m2", "4", "4Gi", 10, withLabels(LabelZone, "z1")),
		node("m3", "4", "4Gi", 10, withLabels(LabelZone, "z2")),
	}
	c, pi := prepared(nodes, []*api.Pod{pod("a", "", "", ownedBy("rs1"), onNode("m1")), pod("b", "", "", ownedBy("rs1"), onNode("m1"))},
		nil, pod("p", "", "", ownedBy("rs1")))
	// Weights log(3+2) by node and log(2+2) by zone; raw m1 round(2·1.609+2
	// + 2·1.386+4) = 12, m2 round(2 + 2·1.386+4) = 9, m3 round(2+4) = 6;
	// normalised 100·(12+6−s)/12.
	got := scoresOf(c, nodes, pi, PodTopologySpreadScore{})
	if want := []int64{50, 75, 100}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("scores = %v, want %v", got, want)
	}
}

func service(ns, name string, selector ...string) *api.Service {
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	if len(selector) > 0 {
		svc.Spec.Selector = map[string]string{}
		for i := 0; i+1 < len(selector); i += 2 {
			svc.Spec.Selector[selector[i]] = selector[i+1]
		}
	}
	return svc
}

// A pod without a controller is spread by default over the pods the
// Services that select it select, their selectors merged
// (kube-scheduler's DefaultSelector); without such a Service it is not.
func TestDefaultSpreadOfServicePods(t *testing.T) {
	nodes := []*api.Node{
		node("m1", "4", "4Gi", 10, withLabels(LabelZone, "z1")),
		node("m2", "4", "4Gi", 10, withLabels(LabelZone, "z1")),
		node("m3", "4", "4Gi", 10, withLabels(LabelZone, "z2")),
	}
	bound := []*api.Pod{
		pod("a", "", "", podLabels("app", "web", "tier", "fe"), onNode("m1")),
		pod("b", "", "", podLabels("app", "web"), onNode("m1")),
		pod("c", "", "", podLabels("app", "db"), onNode("m2")),
	}
	for _, tc := range []struct {
		name     string
		services []*api.Service
		removed  []*api.Service
		want     []int64 // nil: no default constraints
	}{
		{name: "no service"},
		{name: "service of another namespace", services: []*api.Service{service("other", "web", "app", "web")}},
		{name: "service selecting other pods", services: []*api.Service{service("default", "db", "app", "db")}},
		{name: "service without selector", services: []*api.Service{service("default", "ext")}},
		{name: "service removed", services: []*api.Service{service("default", "web", "app", "web")}, removed: []*api.Service{service("default", "web")}},
		{name: "selector dropped", services: []*api.Service{service("default", "web", "app", "web"), service("default", "web")}},
		// As for a controller's pods (TestDefaultSpreadByZone): a and b on m1.
		{name: "one service", services: []*api.Service{service("default", "web", "app", "web")}, want: []int64{50, 75, 100}},
		// app=web,tier=fe: only a counts. Raw m1 round(1.609+2 + 1.386+4) = 9,
		// m2 round(2 + 1.386+4) = 7, m3 6; normalised 100·(9+6−s)/9.
		{name: "selectors merged", services: []*api.Service{service("default", "web", "app", "web"), service("default", "fe", "tier", "fe")},
			want: []int64{66, 88, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache()
			for _, svc := range tc.services {
				c.setService(svc)
			}
			for _, svc := range tc.removed {
				c.removeService(svc)
			}
			for _, n := range nodes {
				c.setNode(n)
			}
			for _, p := range bound {
				c.setBoundPod(p)
			}
			pi := NewPodInfo(pod("p", "", "", podLabels("app", "web", "tier", "fe")))
			c.mu.Lock()
			c.prepareLocked(pi)
			c.mu.Unlock()
			if tc.want == nil {
				if pi.spread != nil {
					t.Fatalf("spread = %+v, want no default constraints", pi.spread)
				}
				return
			}
			if pi.spread == nil {
				t.Fatal("no default constraints")
			}
			if got := scoresOf(c, nodes, pi, PodTopologySpreadScore{}); !slices.Equal(got, tc.want) {
				t.Fatalf("scores = %v, want %v", got, tc.want)
			}
		})
	}
}
