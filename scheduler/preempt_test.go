package scheduler

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

func budget(ns, name string, allowed int32, selector *api.LabelSelector, disrupted ...string) *api.PodDisruptionBudget {
	b := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	b.Spec.Selector = selector
	b.Status.DisruptionsAllowed = allowed
	for _, p := range disrupted {
		if b.Status.DisruptedPods == nil {
			b.Status.DisruptedPods = map[string]api.Time{}
		}
		b.Status.DisruptedPods[p] = api.Time{}
	}
	return b
}

func startedAt(sec int64) func(*api.Pod) {
	return func(p *api.Pod) { t := api.Time{Time: time.Unix(sec, 0)}; p.Status.StartTime = &t }
}

// preemptFor runs preemption for p against nodes, pods and budgets once
// the scheduler's informers have listed them.
func preemptFor(t *testing.T, nodes []*api.Node, pods []*api.Pod, pdbs []*api.PodDisruptionBudget, p *api.Pod) (*preemption, string) {
	t.Helper()
	h := &fakeAPI{binds: map[string]string{}, conditions: map[string]api.PodCondition{}, decisions: map[string]*Decision{}, nominated: map[string]string{}}
	s, err := New(DefaultConfig(), Deps{
		Pods: newFakeLW(pods...), Nodes: newFakeLW(nodes...), PodDisruptionBudgets: newFakeLW(pdbs...),
		Binder: h, Status: h, Events: h,
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, "informers synced", func() bool { return s.HasSynced() && s.cache.nodeCount() == len(nodes) })
	waitFor(t, "pods cached", func() bool {
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		return len(s.cache.pods) == len(pods)
	})
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.preemptLocked(NewPodInfo(p))
}

// Preemption prefers victims and nodes that violate no
// PodDisruptionBudget, as kube-scheduler's selectVictimsOnNode and
// pickOneNodeForPreemption do.
func TestPreemptionRespectsBudgets(t *testing.T) {
	web := sel("app", "web")
	everything := &api.LabelSelector{}
	urgent := pod("urgent", "1", "1Gi", withPriority(1000))
	for _, tc := range []struct {
		name        string
		nodes       []*api.Node
		pods        []*api.Pod
		pdbs        []*api.PodDisruptionBudget
		p           *api.Pod
		wantNode    string
		wantVictims []string
	}{{
		// Without budgets n1's single victim of priority 5 beats n0's of 10;
		// a budget that allows no disruption of it sends the pod to n0.
		name:  "node without violation beats lower priority",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web")),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web", 0, web)},
		p:        urgent,
		wantNode: "n0", wantVictims: []string{"ten"},
	}, {
		name:  "budget with room is no violation",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web")),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web", 1, web)},
		p:        urgent,
		wantNode: "n1", wantVictims: []string{"web-5"},
	}, {
		name:  "budget of another namespace does not count",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web")),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("other", "web", 0, web)},
		p:        urgent,
		wantNode: "n1", wantVictims: []string{"web-5"},
	}, {
		name:  "empty selector matches nothing here",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web")),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "all", 0, everything), budget("default", "none", 0, nil)},
		p:        urgent,
		wantNode: "n1", wantVictims: []string{"web-5"},
	}, {
		name:  "pod already disrupted does not count",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web")),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web", 0, web, "web-5")},
		p:        urgent,
		wantNode: "n1", wantVictims: []string{"web-5"},
	}, {
		// One cpu is needed on a node of two pods: the protected pod is
		// reprieved first, though it has the lower priority.
		name:  "protected victim reprieved first",
		nodes: []*api.Node{node("n0", "2", "8Gi", 110)},
		pods: []*api.Pod{
			pod("web-5", "1", "1Gi", onNode("n0"), withPriority(5), podLabels("app", "web")),
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web", 0, web)},
		p:        urgent,
		wantNode: "n0", wantVictims: []string{"ten"},
	}, {
		// Without a budget the lower priority pod goes.
		name:  "unprotected lower priority victim",
		nodes: []*api.Node{node("n0", "2", "8Gi", 110)},
		pods: []*api.Pod{
			pod("web-5", "1", "1Gi", onNode("n0"), withPriority(5), podLabels("app", "web")),
			pod("ten", "1", "1Gi", onNode("n0"), withPriority(10)),
		},
		p:        urgent,
		wantNode: "n0", wantVictims: []string{"web-5"},
	}, {
		// A budget allowing one disruption: of two matching victims needed,
		// the second violates it; a node whose two victims violate nothing
		// wins even with higher priorities.
		name:  "allowance consumed by earlier victims",
		nodes: []*api.Node{node("n0", "2", "8Gi", 110), node("n1", "2", "8Gi", 110)},
		pods: []*api.Pod{
			pod("web-a", "1", "1Gi", onNode("n0"), withPriority(5), podLabels("app", "web")),
			pod("web-b", "1", "1Gi", onNode("n0"), withPriority(5), podLabels("app", "web")),
			pod("db-a", "1", "1Gi", onNode("n1"), withPriority(50), podLabels("app", "db"), startedAt(1)),
			pod("db-b", "1", "1Gi", onNode("n1"), withPriority(50), podLabels("app", "db"), startedAt(2)),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web", 1, web)},
		p:        pod("big", "2", "1Gi", withPriority(1000)),
		wantNode: "n1", wantVictims: []string{"db-a", "db-b"},
	}, {
		// Every node violates once: priorities decide as before.
		name:  "equal violations fall back to priorities",
		nodes: []*api.Node{node("n0", "1", "8Gi", 110), node("n1", "1", "8Gi", 110)},
		pods: []*api.Pod{
			pod("web-10", "1", "1Gi", onNode("n0"), withPriority(10), podLabels("app", "web"), startedAt(1)),
			pod("web-5", "1", "1Gi", onNode("n1"), withPriority(5), podLabels("app", "web"), startedAt(2)),
		},
		pdbs:     []*api.PodDisruptionBudget{budget("default", "web-10", 0, sel("app", "web"))},
		p:        urgent,
		wantNode: "n1", wantVictims: []string{"web-5"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			pr, msg := preemptFor(t, tc.nodes, tc.pods, tc.pdbs, tc.p)
			if pr == nil {
				t.Fatalf("no preemption: %s", msg)
			}
			var got []string
			for _, v := range pr.victims {
				got = append(got, v.Name)
			}
			if pr.node != tc.wantNode || !slices.Equal(got, tc.wantVictims) {
				t.Fatalf("preempt on %s evicting %v, want %s evicting %v", pr.node, got, tc.wantNode, tc.wantVictims)
			}
		})
	}
}
