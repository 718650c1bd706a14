package scheduler

import (
	"fmt"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// A Deployment of 4 replicas with hostname anti-affinity on 3 nodes: 3
// bound, one per node, and the 4th Pending with kube-scheduler's message.
func TestSchedulerAntiAffinityLeavesFourthReplicaPending(t *testing.T) {
	var nodes []*api.Node
	for i := range 3 {
		nodes = append(nodes, node(fmt.Sprintf("n%d", i), "4", "8Gi", 110))
	}
	var pods []*api.Pod
	for i := range 4 {
		pods = append(pods, pod(fmt.Sprintf("web-%d", i), "100m", "100Mi", ownedBy("rs-web"), podLabels("app", "web"),
			podAntiAffinity(affTerm(LabelHostname, sel("app", "web")))))
	}
	h := startScheduler(t, nodes, pods)
	waitFor(t, "3 binds and a condition", func() bool {
		b, c, _ := h.api.snapshot()
		return len(b) == 3 && len(c) == 1
	})
	binds, conds, _ := h.api.snapshot()
	used := map[string]bool{}
	for _, n := range binds {
		used[n] = true
	}
	if len(used) != 3 {
		t.Fatalf("binds = %v, want one replica per node", binds)
	}
	for name, c := range conds {
		if _, bound := binds[name]; bound {
			t.Fatalf("bound pod %s has condition %+v", name, c)
		}
		if want := "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."; c.Message != want {
			t.Fatalf("message = %q, want %q", c.Message, want)
		}
	}
}

// Spreading by zone with maxSkew 1 keeps the zones within one pod.
func TestSchedulerSpreadsOverZones(t *testing.T) {
	var nodes []*api.Node
	for i := range 6 {
		nodes = append(nodes, node(fmt.Sprintf("n%d", i), "4", "8Gi", 110, withLabels(LabelZone, fmt.Sprintf("zone-%d", i%3))))
	}
	var pods []*api.Pod
	for i := range 7 {
		pods = append(pods, pod(fmt.Sprintf("web-%d", i), "100m", "100Mi", podLabels("app", "web"),
			spreadBy(hardSpread(1, LabelZone, sel("app", "web")))))
	}
	h := startScheduler(t, nodes, pods)
	waitFor(t, "7 binds", func() bool { b, _, _ := h.api.snapshot(); return len(b) == 7 })
	binds, _, _ := h.api.snapshot()
	lo, hi := 7, 0
	zones := map[string]int{}
	for _, n := range binds {
		var i int
		fmt.Sscanf(n, "n%d", &i)
		zones[fmt.Sprint(i%3)]++
	}
	for _, c := range zones {
		lo, hi = min(lo, c), max(hi, c)
	}
	if len(zones) != 3 || hi-lo > 1 {
		t.Fatalf("pods per zone = %v, want 3 zones within 1", zones)
	}
}

// A gated pod is not scheduled and says why; once its gates are removed it
// is.
func TestSchedulerSchedulingGates(t *testing.T) {
	gated := pod("gated", "100m", "100Mi", func(p *api.Pod) {
		p.Spec.SchedulingGates = []api.PodSchedulingGate{{Name: "example.com/wait"}}
	})
	h := startScheduler(t, []*api.Node{node("n0", "4", "8Gi", 110)}, []*api.Pod{gated})
	waitFor(t, "the SchedulingGated condition", func() bool { _, c, _ := h.api.snapshot(); return len(c) == 1 })
	binds, conds, events := h.api.snapshot()
	c := conds["gated"]
	if len(binds) != 0 || c.Reason != api.PodReasonSchedulingGated || c.Message != MessageSchedulingGated || c.Status != api.ConditionFalse {
		t.Fatalf("binds %v, condition %+v", binds, c)
	}
	if len(events) != 0 {
		t.Fatalf("events = %q, want none for a gated pod", events)
	}
	open := *gated
	open.Spec.SchedulingGates = nil
	h.pods.send(client.Modified, &open)
	waitFor(t, "the bind", func() bool { b, _, _ := h.api.snapshot(); return b["gated"] == "n0" })
}

// With decisions on, the scheduler publishes each node's filter verdict
// and the feasible nodes' scores, and the node it picked.
func TestSchedulerPublishesDecisions(t *testing.T) {
	nodes := []*api.Node{node("big", "8", "16Gi", 110), node("small", "1", "1Gi", 110), node("mid", "4", "8Gi", 110)}
	h := startScheduler(t, nodes, []*api.Pod{pod("p", "2", "1Gi")}, func(c *Config) { c.Decisions = true })
	waitFor(t, "the decision", func() bool { return h.api.decision("p") != nil })
	d := h.api.decision("p")
	binds, _, _ := h.api.snapshot()
	if d.Selected != "big" || binds["p"] != "big" && binds["p"] != "" {
		t.Fatalf("selected %q, bound %q; want big (least allocated)", d.Selected, binds["p"])
	}
	byName := map[string]NodeDecision{}
	for _, nd := range d.Nodes {
		byName[nd.Name] = nd
	}
	if f := byName["small"].Filter; f != ReasonInsufficientCPU {
		t.Fatalf("small: filter %q, want %q", f, ReasonInsufficientCPU)
	}
	for _, n := range []string{"big", "mid"} {
		nd := byName[n]
		if nd.Filter != "" || len(nd.Scores) == 0 {
			t.Fatalf("%s: %+v, want passed and scored", n, nd)
		}
		var sum int64
		for _, v := range nd.Scores {
			sum += v
		}
		if sum != nd.Total {
			t.Fatalf("%s: total %d, scores sum to %d", n, nd.Total, sum)
		}
	}
	if byName["big"].Total <= byName["mid"].Total {
		t.Fatalf("big total %d <= mid total %d", byName["big"].Total, byName["mid"].Total)
	}
}

// A high-priority pod on a full cluster evicts the fewest, lowest-priority
// pods, on the node where that costs least, and is bound there once they
// are gone; a pod with preemptionPolicy Never evicts nothing.
func TestSchedulerPreemption(t *testing.T) {
	nodes := []*api.Node{node("n0", "2", "8Gi", 110), node("n1", "2", "8Gi", 110)}
	pods := []*api.Pod{
		// n0: two pods of priority 10; n1: one of priority 5 and one of 100.
		pod("low-a", "1", "1Gi", onNode("n0"), withPriority(10)),
		pod("low-b", "1", "1Gi", onNode("n0"), withPriority(10)),
		pod("lowest", "1", "1Gi", onNode("n1"), withPriority(5)),
		pod("high-old", "1", "1Gi", onNode("n1"), withPriority(100)),
	}
	never := string(api.PreemptNever)
	h := startScheduler(t, nodes, append(pods, pod("polite", "1", "1Gi", withPriority(1000), func(p *api.Pod) {
		p.Spec.PreemptionPolicy = &never
	})))
	waitFor(t, "polite's condition", func() bool { _, c, _ := h.api.snapshot(); return c["polite"].Reason != "" })
	_, conds, _ := h.api.snapshot()
	if want := "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."; conds["polite"].Message != want {
		t.Fatalf("polite: %q, want %q", conds["polite"].Message, want)
	}

	// One cpu is needed: evicting "lowest" on n1 (one victim of priority 5)
	// beats evicting one of n0's (priority 10).
	h.pods.send(client.Added, pod("urgent", "1", "1Gi", withPriority(1000)))
	waitFor(t, "urgent bound", func() bool { b, _, _ := h.api.snapshot(); return b["urgent"] != "" })
	binds, _, events := h.api.snapshot()
	h.api.mu.Lock()
	evicted, nominated := slices.Clone(h.api.evicted), h.api.nominated["urgent"]
	h.api.mu.Unlock()
	if !slices.Equal(evicted, []string{"lowest"}) || nominated != "n1" || binds["urgent"] != "n1" {
		t.Fatalf("evicted %v, nominated %q, bound %q; want [lowest], n1, n1", evicted, nominated, binds["urgent"])
	}
	if !slices.Contains(events, "Normal Preempted lowest: Preempted by pod uid-urgent on node n1") {
		t.Fatalf("events %q lack the Preempted event", events)
	}
}
