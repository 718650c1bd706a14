package scheduler

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// fakeLW is an informer source: a fixed list, then the events sent to it.
type fakeLW[T api.Object] struct {
	items []T
	ch    chan client.WatchEvent[T]
}

func newFakeLW[T api.Object](items ...T) *fakeLW[T] {
	return &fakeLW[T]{items: items, ch: make(chan client.WatchEvent[T], 1000)}
}

func (f *fakeLW[T]) List(context.Context, client.ListOptions) ([]T, int64, error) {
	return f.items, 1, nil
}

func (f *fakeLW[T]) Watch(context.Context, client.ListOptions, int64) (<-chan client.WatchEvent[T], error) {
	return f.ch, nil
}

func (f *fakeLW[T]) send(t client.EventType, obj T) {
	f.ch <- client.WatchEvent[T]{Type: t, Object: obj}
}

// fakeAPI records the scheduler's writes. Bind succeeds (and the pod shows
// up bound through the pod source) unless bindErr says otherwise.
type fakeAPI struct {
	pods *fakeLW[*api.Pod]

	mu         sync.Mutex
	binds      map[string]string // pod → node
	bindCalls  int
	bindErr    func(pod *api.Pod, node string) error
	conditions map[string]api.PodCondition
	events     []string // "type reason pod: message"
	decisions  map[string]*Decision
	evicted    []string          // pods evicted, in order
	nominated  map[string]string // pod → node
}

// Evict records the eviction; the pod then goes away at once (as if its
// grace period were over).
func (f *fakeAPI) Evict(_ context.Context, p *api.Pod) error {
	f.mu.Lock()
	f.evicted = append(f.evicted, p.Name)
	f.mu.Unlock()
	f.pods.send(client.Deleted, p)
	return nil
}

func (f *fakeAPI) Nominate(_ context.Context, p *api.Pod, node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nominated[p.Name] = node
	return nil
}

func (f *fakeAPI) PublishDecision(_ context.Context, p *api.Pod, d *Decision) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decisions[p.Name] = d
	return nil
}

func (f *fakeAPI) decision(name string) *Decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.decisions[name]
}

func (f *fakeAPI) Bind(_ context.Context, p *api.Pod, node string) error {
	f.mu.Lock()
	f.bindCalls++
	if f.bindErr != nil {
		if err := f.bindErr(p, node); err != nil {
			f.mu.Unlock()
			return err
		}
	}
	if prev, ok := f.binds[p.Name]; ok {
		f.mu.Unlock()
		return fmt.Errorf("pod %s bound twice (%s, then %s)", p.Name, prev, node)
	}
	f.binds[p.Name] = node
	f.mu.Unlock()
	bound := *p
	bound.Spec.NodeName = node
	f.pods.send(client.Modified, &bound)
	return nil
}

func (f *fakeAPI) SetPodCondition(_ context.Context, p *api.Pod, c api.PodCondition) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conditions[p.Name] = c
	return nil
}

func (f *fakeAPI) Eventf(ref api.ObjectReference, eventType, reason, format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf("%s %s %s: %s", eventType, reason, ref.Name, fmt.Sprintf(format, args...)))
}

func (f *fakeAPI) snapshot() (binds map[string]string, conds map[string]api.PodCondition, events []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	binds = make(map[string]string)
	for k, v := range f.binds {
		binds[k] = v
	}
	conds = make(map[string]api.PodCondition)
	for k, v := range f.conditions {
		conds[k] = v
	}
	return binds, conds, append([]string(nil), f.events...)
}

type harness struct {
	s     *Scheduler
	api   *fakeAPI
	pods  *fakeLW[*api.Pod]
	nodes *fakeLW[*api.Node]
}

func startScheduler(t *testing.T, nodes []*api.Node, pods []*api.Pod, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{pods: newFakeLW(pods...), nodes: newFakeLW(nodes...)}
	h.api = &fakeAPI{pods: h.pods, binds: map[string]string{}, conditions: map[string]api.PodCondition{}, decisions: map[string]*Decision{}, nominated: map[string]string{}}
	cfg := DefaultConfig()
	cfg.InitialBackoff, cfg.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg, Deps{
		Pods: h.pods, Nodes: h.nodes,
		Binder: h.api, Status: h.api, Events: h.api, Decisions: h.api, Preempter: h.api,
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	wg.Go(func() { _ = s.Lead(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}

func TestSchedulerFillsNodesThenWaitsForANewOne(t *testing.T) {
	nodes := []*api.Node{node("n1", "2", "4Gi", 110), node("n2", "2", "4Gi", 110), node("n3", "2", "4Gi", 110)}
	var pods []*api.Pod
	for i := range 7 {
		pods = append(pods, pod(fmt.Sprintf("p%d", i), "1", "1Gi"))
	}
	h := startScheduler(t, nodes, pods)
	waitFor(t, "6 binds and a failure", func() bool {
		binds, conds, _ := h.api.snapshot()
		return len(binds) == 6 && len(conds) == 1
	})
	binds, conds, events := h.api.snapshot()
	perNode := map[string]int{}
	for _, n := range binds {
		perNode[n]++
	}
	for _, n := range nodes {
		if perNode[n.Name] != 2 {
			t.Fatalf("pods per node = %v, want 2 each", perNode)
		}
	}
	var left string
	for _, p := range pods {
		if _, ok := binds[p.Name]; !ok {
			left = p.Name
		}
	}
	msg := "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
	c := conds[left]
	if c.Type != api.PodScheduled || c.Status != api.ConditionFalse || c.Reason != api.PodReasonUnschedulable || c.Message != msg {
		t.Fatalf("condition of %s = %+v", left, c)
	}
	wantEvent := "Warning FailedScheduling " + left + ": " + msg
	if !contains(events, wantEvent) {
		t.Fatalf("events %q lack %q", events, wantEvent)
	}
	if !contains(events, "Normal Scheduled p0: Successfully assigned default/p0 to "+binds["p0"]) {
		t.Fatalf("events %q lack p0's Scheduled event", events)
	}

	h.nodes.send(client.Added, node("n4", "2", "4Gi", 110))
	waitFor(t, "the last pod bound to the new node", func() bool {
		binds, _, _ := h.api.snapshot()
		return binds[left] == "n4"
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSchedulerSpreadsReplicas(t *testing.T) {
	var nodes []*api.Node
	for i := range 4 {
		nodes = append(nodes, node(fmt.Sprintf("n%d", i), "64", "256Gi", 110))
	}
	// One unrelated pod already makes n0 slightly fuller.
	pods := []*api.Pod{pod("other", "100m", "100Mi", onNode("n0"))}
	for i := range 8 {
		pods = append(pods, pod(fmt.Sprintf("web-%d", i), "100m", "100Mi", ownedBy("rs-web")))
	}
	h := startScheduler(t, nodes, pods)
	waitFor(t, "8 binds", func() bool { b, _, _ := h.api.snapshot(); return len(b) == 8 })
	binds, _, _ := h.api.snapshot()
	perNode := map[string]int{}
	for _, n := range binds {
		perNode[n]++
	}
	for _, n := range nodes {
		if perNode[n.Name] != 2 {
			t.Fatalf("replicas per node = %v, want 2 each", perNode)
		}
	}
}

func TestSchedulerIgnoresPodsItDoesNotServe(t *testing.T) {
	now := api.Now()
	pods := []*api.Pod{
		pod("other-scheduler", "", "", func(p *api.Pod) { p.Spec.SchedulerName = "my-scheduler" }),
		pod("bound", "", "", onNode("n1")),
		pod("deleting", "", "", func(p *api.Pod) { p.DeletionTimestamp = &now }),
		pod("done", "", "", func(p *api.Pod) { p.Status.Phase = api.PodSucceeded }),
		pod("mine", "", "", func(p *api.Pod) { p.Spec.SchedulerName = api.DefaultSchedulerName }),
	}
	h := startScheduler(t, []*api.Node{node("n1", "1", "1Gi", 10)}, pods)
	waitFor(t, "mine bound", func() bool { b, _, _ := h.api.snapshot(); return b["mine"] == "n1" })
	time.Sleep(50 * time.Millisecond)
	if binds, _, _ := h.api.snapshot(); len(binds) != 1 {
		t.Fatalf("binds = %v, want only mine", binds)
	}
}

func TestSchedulerBindConflictForgetsAssumption(t *testing.T) {
	// n1 has room for one pod. The first bind is refused because another
	// scheduler bound the pod to n2 meanwhile: our assumption on n1 must be
	// forgotten, so that the next pod still fits there.
	nodes := []*api.Node{node("n1", "1", "1Gi", 110), node("n2", "4", "4Gi", 110, withLabels("pool", "b"))}
	first := pod("first", "1", "", withNodeSelector("kubernetes.io/hostname", "n1"))
	h := startScheduler(t, nodes, []*api.Pod{first})
	h.api.mu.Lock()
	h.api.bindErr = func(p *api.Pod, node string) error {
		if p.Name != "first" {
			return nil
		}
		h.api.bindErr = nil
		stolen := *p
		stolen.Spec.NodeName = "n2"
		h.pods.send(client.Modified, &stolen)
		return &client.StatusError{Status: api.Status{Code: http.StatusConflict, Reason: api.StatusReasonConflict,
			Message: `pod first is already assigned to node "n2"`}}
	}
	h.api.mu.Unlock()
	waitFor(t, "first seen on n2", func() bool {
		n2, _ := h.s.cache.nodeInfo("n2")
		n1, _ := h.s.cache.nodeInfo("n1")
		return n2.Requested.Pods == 1 && n1.Requested.Pods == 0
	})
	h.pods.send(client.Added, pod("second", "1", "", withNodeSelector("kubernetes.io/hostname", "n1")))
	waitFor(t, "second bound to n1", func() bool { b, _, _ := h.api.snapshot(); return b["second"] == "n1" })
	time.Sleep(50 * time.Millisecond)
	if b, _, _ := h.api.snapshot(); len(b) != 1 {
		t.Fatalf("binds = %v: first must not be bound again", b)
	}
}

func TestSchedulerRetriesFailedBind(t *testing.T) {
	h := startScheduler(t, []*api.Node{node("n1", "1", "1Gi", 10)}, nil)
	var failures int
	h.api.mu.Lock()
	h.api.bindErr = func(*api.Pod, string) error {
		if failures < 2 {
			failures++
			return &client.StatusError{Status: api.Status{Code: 500, Reason: api.StatusReasonInternalError}}
		}
		return nil
	}
	h.api.mu.Unlock()
	h.pods.send(client.Added, pod("p", "1", ""))
	waitFor(t, "p bound", func() bool { b, _, _ := h.api.snapshot(); return b["p"] == "n1" })
	h.api.mu.Lock()
	calls := h.api.bindCalls
	h.api.mu.Unlock()
	if calls != 3 {
		t.Fatalf("bind calls = %d, want 3 (two failures, then success)", calls)
	}
}

func TestSchedulerFreesResourcesOfDeletedPods(t *testing.T) {
	running := pod("running", "1", "", onNode("n1"))
	h := startScheduler(t, []*api.Node{node("n1", "1", "1Gi", 10)}, []*api.Pod{running, pod("waiting", "1", "")})
	waitFor(t, "waiting unschedulable", func() bool { _, c, _ := h.api.snapshot(); return len(c) == 1 })
	h.pods.send(client.Deleted, running)
	waitFor(t, "waiting bound", func() bool { b, _, _ := h.api.snapshot(); return b["waiting"] == "n1" })
	if _, _, u := h.s.Queue().Lens(); u != 0 {
		t.Fatalf("%d pods still unschedulable", u)
	}
}
