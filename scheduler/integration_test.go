package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/scheduler"
)

// fakeNode is a Ready node object, as a kubelet would register it.
func fakeNode(name, cpu, mem string, pods int64) *api.Node {
	return &api.Node{
		ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: api.NodeStatus{
			Capacity: api.ResourceList{
				api.ResourceCPU: api.MustParse(cpu), api.ResourceMemory: api.MustParse(mem), api.ResourcePods: api.NewQuantity(pods, api.DecimalSI),
			},
			Allocatable: api.ResourceList{
				api.ResourceCPU: api.MustParse(cpu), api.ResourceMemory: api.MustParse(mem), api.ResourcePods: api.NewQuantity(pods, api.DecimalSI),
			},
			Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady"}},
		},
	}
}

func requestingPod(name, cpu, mem string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{Containers: []api.Container{{
			Name: "c", Image: "nginx",
			Resources: api.ResourceRequirements{Requests: api.ResourceList{
				api.ResourceCPU: api.MustParse(cpu), api.ResourceMemory: api.MustParse(mem),
			}},
		}}},
	}
}

// startScheduler runs a scheduler (no election) against the server; mods
// add to its deps.
func startScheduler(t *testing.T, c *client.Client, mods ...func(*scheduler.Deps)) {
	t.Helper()
	rec := events.New(events.ClientSink(c), events.Config{Source: api.DefaultSchedulerName}, zerolog.Nop())
	w := scheduler.NewAPIWriter(c)
	deps := scheduler.Deps{
		Pods:   client.ListWatch(c.Pods(""), client.ListOptions{}),
		Nodes:  client.ListWatch(c.Nodes(), client.ListOptions{}),
		Binder: w, Status: w, Events: rec,
	}
	for _, m := range mods {
		m(&deps)
	}
	s, err := scheduler.New(scheduler.DefaultConfig(), deps, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	wg.Go(func() { _ = s.Lead(ctx) })
	wg.Go(func() { _ = rec.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func poll(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSchedulerWithAPIServer(t *testing.T) {
	testsvc.Slow(t, "hundreds of pods through an API server")
	srv := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.QPS = 0 // the test's own writes are not the subject
	}})
	c, err := client.FromKubeconfig(srv.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10 {
		if _, err := c.Nodes().Create(ctx, fakeNode(fmt.Sprintf("node-%d", i), "4", "8Gi", 30)); err != nil {
			t.Fatal(err)
		}
	}
	startScheduler(t, c)

	// 200 pods of 190m cpu and 300Mi: 38 of the 40 cores, so that any
	// overcommit would show.
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := c.Pods("default").Create(ctx, requestingPod(fmt.Sprintf("web-%d", i), "190m", "300Mi")); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "200 pods bound", func() (bool, error) {
		pods, _, err := c.Pods("default").List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		bound := 0
		for _, p := range pods {
			if p.Spec.NodeName != "" {
				bound++
			}
		}
		return bound == n, nil
	})
	pods, _, err := c.Pods("default").List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cpu := map[string]int64{}
	mem := map[string]int64{}
	count := map[string]int{}
	for _, p := range pods {
		r := p.Spec.Containers[0].Resources.Requests
		cpu[p.Spec.NodeName] += r.Cpu().MilliValue()
		mem[p.Spec.NodeName] += r.Memory().Value()
		count[p.Spec.NodeName]++
		if c := api.GetPodCondition(&p.Status, api.PodScheduled); c == nil || c.Status != api.ConditionTrue {
			t.Errorf("pod %s bound without PodScheduled=True: %+v", p.Name, c)
		}
	}
	for node := range count {
		if cpu[node] > 4000 || mem[node] > 8<<30 || count[node] > 30 {
			t.Errorf("%s overcommitted: %dm cpu, %d bytes, %d pods", node, cpu[node], mem[node], count[node])
		}
	}
	if len(count) != 10 {
		t.Errorf("pods landed on %d nodes, want all 10: %v", len(count), count)
	}

	// A pod too big for any node.
	if _, err := c.Pods("default").Create(ctx, requestingPod("big", "6", "1Gi")); err != nil {
		t.Fatal(err)
	}
	const msg = "0/10 nodes are available: 10 Insufficient cpu."
	poll(t, 15*time.Second, "PodScheduled=False on big", func() (bool, error) {
		p, err := c.Pods("default").Get(ctx, "big")
		if err != nil {
			return false, err
		}
		cond := api.GetPodCondition(&p.Status, api.PodScheduled)
		if cond == nil {
			return false, nil
		}
		if cond.Status != api.ConditionFalse || cond.Reason != api.PodReasonUnschedulable || cond.Message != msg {
			return false, fmt.Errorf("condition %+v", cond)
		}
		return true, nil
	})
	poll(t, 15*time.Second, "FailedScheduling event for big", func() (bool, error) {
		evs, _, err := c.Events("default").List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			if ev.InvolvedObject.Name == "big" && ev.Reason == "FailedScheduling" {
				if ev.Type != api.EventTypeWarning || ev.Message != msg || ev.Count < 1 {
					return false, fmt.Errorf("event %+v", ev)
				}
				return true, nil
			}
		}
		return false, nil
	})
	// Events are written asynchronously and rate limited (50/s after a
	// burst of 100), so web-7's may still be queued behind others.
	want := "Successfully assigned default/web-7 to " + podNode(pods, "web-7")
	poll(t, 15*time.Second, "Scheduled event for web-7", func() (bool, error) {
		evs, _, err := c.Events("default").List(ctx, client.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			if ev.Reason == "Scheduled" && ev.InvolvedObject.Name == "web-7" {
				if ev.Message != want {
					return false, fmt.Errorf("Scheduled event %q, want %q", ev.Message, want)
				}
				return true, nil
			}
		}
		return false, nil
	})

	// A node that fits appears: the pod is bound to it.
	if _, err := c.Nodes().Create(ctx, fakeNode("big-node", "16", "32Gi", 30)); err != nil {
		t.Fatal(err)
	}
	poll(t, 15*time.Second, "big bound to big-node", func() (bool, error) {
		p, err := c.Pods("default").Get(ctx, "big")
		if err != nil {
			return false, err
		}
		return p.Spec.NodeName == "big-node", nil
	})
}

func podNode(pods []*api.Pod, name string) string {
	for _, p := range pods {
		if p.Name == name {
			return p.Spec.NodeName
		}
	}
	return ""
}

// Preemption through an API server spares the pod a PodDisruptionBudget
// protects: a critical pod evicts n0's two unprotected pods rather than
// n1's single one, which a budget without room covers (no disruption
// controller runs, so its status allows none).
func TestPreemptionRespectsBudgetWithAPIServer(t *testing.T) {
	srv := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(srv.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const ns = "kube-system"
	for _, n := range []string{"n0", "n1"} {
		if _, err := c.Nodes().Create(ctx, fakeNode(n, "1", "8Gi", 10)); err != nil {
			t.Fatal(err)
		}
	}
	bound := func(name, cpu, node string, labels map[string]string) {
		p := requestingPod(name, cpu, "100Mi")
		p.Namespace, p.Labels, p.Spec.NodeName = ns, labels, node
		if _, err := c.Pods(ns).Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	bound("plain-a", "500m", "n0", nil)
	bound("plain-b", "500m", "n0", nil)
	bound("web", "1", "n1", map[string]string{"app": "web"})
	one := api.FromInt(1)
	if _, err := c.PodDisruptionBudgets(ns).Create(ctx, &api.PodDisruptionBudget{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: ns},
		Spec:       api.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}); err != nil {
		t.Fatal(err)
	}
	startScheduler(t, c, func(d *scheduler.Deps) {
		w := scheduler.NewAPIWriter(c)
		d.Preempter = w
		d.PodDisruptionBudgets = client.ListWatch(c.PodDisruptionBudgets(""), client.ListOptions{})
	})
	urgent := requestingPod("urgent", "1", "100Mi")
	urgent.Namespace, urgent.Spec.PriorityClassName = ns, "system-cluster-critical"
	if _, err := c.Pods(ns).Create(ctx, urgent); err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "urgent nominated", func() (bool, error) {
		p, err := c.Pods(ns).Get(ctx, "urgent")
		return err == nil && p.Status.NominatedNodeName != "", err
	})
	p, err := c.Pods(ns).Get(ctx, "urgent")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.NominatedNodeName != "n0" {
		t.Fatalf("nominated %q, want n0", p.Status.NominatedNodeName)
	}
	gone := func(name string) bool {
		p, err := c.Pods(ns).Get(ctx, name)
		return client.IsNotFound(err) || (err == nil && p.DeletionTimestamp != nil)
	}
	poll(t, 30*time.Second, "n0's pods evicted", func() (bool, error) {
		return gone("plain-a") && gone("plain-b"), nil
	})
	if gone("web") {
		t.Fatal("the protected pod was evicted")
	}
}
