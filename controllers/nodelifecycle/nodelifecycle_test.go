package nodelifecycle_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/nodelifecycle"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"

	"github.com/minik8s/minik8s/internal/testpoll"
)

var ctx = context.Background()

type env struct {
	s *testenv.APIServer
	c *client.Client
}

// start runs an API server and a node lifecycle controller with a grace
// period of grace.
func start(t *testing.T, grace time.Duration) *env {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	nodes := informer.New(client.ListWatch(c.Nodes(), client.ListOptions{}), time.Minute)
	leases := informer.New(client.ListWatch(c.Leases(nodelifecycle.NodeLeaseNamespace), client.ListOptions{}), time.Minute)
	pods := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{}), time.Minute, nodelifecycle.PodIndexer())
	rec := events.New(events.ClientSink(c), events.Config{Source: "node-controller"}, zerolog.Nop())
	ctl, err := nodelifecycle.New(nodelifecycle.Config{MonitorPeriod: 200 * time.Millisecond, GracePeriod: grace},
		nodelifecycle.Deps{Client: c, Nodes: nodes, Leases: leases, Pods: pods, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	fns := []func(context.Context) error{nodes.Run, leases.Run, pods.Run, rec.Run, func(ctx context.Context) error { return ctl.Run(ctx, 2) }}
	done := make(chan struct{}, len(fns))
	for _, fn := range fns {
		go func() { _ = fn(runCtx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range fns {
			<-done
		}
	})
	return &env{s: s, c: c}
}

// eventually is testpoll.Eventually.
var eventually = testpoll.Eventually

// kubelet stands in for a node's kubelet: it registers the node, posts it
// Ready and renews its lease until stopped.
type kubelet struct {
	t    *testing.T
	c    *client.Client
	name string
}

func (e *env) kubelet(t *testing.T, name string) *kubelet {
	t.Helper()
	k := &kubelet{t: t, c: e.c, name: name}
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name}}
	n.Status.Conditions = []api.NodeCondition{readyCondition()}
	if _, err := e.c.Nodes().Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	holder, secs, now := name, int32(40), api.NowMicro()
	if _, err := e.c.Leases(nodelifecycle.NodeLeaseNamespace).Create(ctx, &api.Lease{
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec:       api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now},
	}); err != nil {
		t.Fatal(err)
	}
	return k
}

func readyCondition() api.NodeCondition {
	return api.NodeCondition{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet is posting ready status", LastHeartbeatTime: api.Now(), LastTransitionTime: api.Now()}
}

// renew renews the node's lease once.
func (k *kubelet) renew() {
	k.t.Helper()
	err := client.RetryOnConflict(ctx, client.DefaultRetry, func() error {
		l, err := k.c.Leases(nodelifecycle.NodeLeaseNamespace).Get(ctx, k.name)
		if err != nil {
			return err
		}
		now := api.NowMicro()
		l.Spec.RenewTime = &now
		_, err = k.c.Leases(nodelifecycle.NodeLeaseNamespace).Update(ctx, l)
		return err
	})
	if err != nil {
		k.t.Error(err)
	}
}

// keepAlive renews the lease every 100ms until the test ends.
func (k *kubelet) keepAlive() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				k.renew()
			}
		}
	}()
	k.t.Cleanup(func() { close(stop); <-done })
}

// postReady posts the Ready condition as a kubelet that is back would.
func (k *kubelet) postReady() {
	k.t.Helper()
	err := client.RetryOnConflict(ctx, client.DefaultRetry, func() error {
		n, err := k.c.Nodes().Get(ctx, k.name)
		if err != nil {
			return err
		}
		n.Status.Conditions = []api.NodeCondition{readyCondition()}
		_, err = k.c.Nodes().UpdateStatus(ctx, n)
		return err
	})
	if err != nil {
		k.t.Fatal(err)
	}
}

// boundPod creates a pod bound to node.
func (e *env) boundPod(t *testing.T, name, node string, tolerations ...api.Toleration) *api.Pod {
	t.Helper()
	p, err := e.c.Pods("default").Create(ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec: api.PodSpec{NodeName: node, Tolerations: tolerations,
			Containers: []api.Container{{Name: "c", Image: "nginx"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pod creates a pod bound to node, running and ready.
func (e *env) pod(t *testing.T, name, node string, tolerations ...api.Toleration) *api.Pod {
	t.Helper()
	p := e.boundPod(t, name, node, tolerations...)
	p.Status.Phase = api.PodRunning
	api.SetPodCondition(&p.Status, api.PodCondition{Type: api.PodReady, Status: api.ConditionTrue})
	p, err := e.c.Pods("default").UpdateStatus(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) getNode(t *testing.T, name string) *api.Node {
	t.Helper()
	n, err := e.c.Nodes().Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) getPod(t *testing.T, name string) *api.Pod {
	t.Helper()
	p, err := e.c.Pods("default").Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hasTaint(n *api.Node, key string, effect api.TaintEffect) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t api.Taint) bool { return t.Key == key && t.Effect == effect })
}

// hasEvent reports whether an event with reason and message is recorded
// about the object named name.
func (e *env) hasEvent(t *testing.T, name, reason, message string) bool {
	t.Helper()
	evs, _, err := e.c.Events("default").List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(evs, func(ev *api.Event) bool {
		return ev.InvolvedObject.Name == name && ev.Reason == reason && strings.Contains(ev.Message, message)
	})
}

func TestSilentNodeLosesItsPods(t *testing.T) {
	testsvc.Slow(t, "waits out a node's grace period")
	const grace = 2 * time.Second
	e := start(t, grace)
	lastHeartbeat := time.Now() // the silent node's only heartbeat is its registration
	silent := e.kubelet(t, "silent")
	e.kubelet(t, "alive").keepAlive()
	two := []api.Toleration{{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: new(int64(2))}}
	short := e.pod(t, "short", "silent", two...)
	long := e.pod(t, "long", "silent") // the API server's 300s tolerations
	e.pod(t, "elsewhere", "alive", two...)

	eventually(t, grace+3*time.Second, "the silent node to go Unknown and be tainted", func() bool {
		n := e.getNode(t, "silent")
		r := api.NodeReadyCondition(n)
		return r != nil && r.Status == api.ConditionUnknown && hasTaint(n, api.TaintNodeUnreachable, api.TaintEffectNoExecute)
	})
	if d := time.Since(lastHeartbeat); d < grace {
		t.Errorf("node marked Unknown after %s, before its grace period of %s", d, grace)
	}
	n := e.getNode(t, "silent")
	r := api.NodeReadyCondition(n)
	if r.Reason != "NodeStatusUnknown" || r.Message != "Kubelet stopped posting node status." {
		t.Errorf("Ready condition %+v: want reason NodeStatusUnknown", r)
	}
	for _, tn := range n.Spec.Taints {
		if tn.Effect == api.TaintEffectNoExecute && tn.TimeAdded == nil {
			t.Errorf("NoExecute taint %s without timeAdded", tn.Key)
		}
	}
	if !hasTaint(n, api.TaintNodeUnreachable, api.TaintEffectNoSchedule) {
		t.Error("no unreachable:NoSchedule taint")
	}

	eventually(t, 5*time.Second, "the pod with a 2s toleration to be evicted", func() bool {
		return e.getPod(t, short.Name).DeletionTimestamp != nil
	})
	eventually(t, 5*time.Second, "the eviction and not-ready events", func() bool {
		return e.hasEvent(t, short.Name, "TaintManagerEviction", "Marking for deletion Pod default/short") &&
			e.hasEvent(t, long.Name, "NodeNotReady", "Node is not ready") &&
			e.hasEvent(t, "silent", "NodeNotReady", "NodeNotReady")
	})
	if p := e.getPod(t, long.Name); p.DeletionTimestamp != nil || api.IsPodReady(p) {
		t.Errorf("pod tolerating 300s: deletionTimestamp %v, ready %v; want kept and not ready", p.DeletionTimestamp, api.IsPodReady(p))
	}
	if p := e.getPod(t, "elsewhere"); p.DeletionTimestamp != nil || !api.IsPodReady(p) {
		t.Error("a pod on the live node was touched")
	}
	if a := e.getNode(t, "alive"); !api.IsNodeReady(a) || len(a.Spec.Taints) != 0 {
		t.Errorf("live node: ready %v, taints %v", api.IsNodeReady(a), a.Spec.Taints)
	}

	// The kubelet comes back: the node is untainted and keeps its pod.
	silent.renew()
	silent.postReady()
	eventually(t, 3*time.Second, "the node that came back to be untainted", func() bool {
		return len(e.getNode(t, "silent").Spec.Taints) == 0
	})
	if p := e.getPod(t, long.Name); p.DeletionTimestamp != nil {
		t.Error("the pod tolerating 300s was evicted")
	}
}

func TestNotReadyNodeIsTainted(t *testing.T) {
	e := start(t, 10*time.Second)
	k := e.kubelet(t, "sick")
	k.keepAlive()
	e.pod(t, "tolerant", "sick")
	n := e.getNode(t, "sick")
	n.Status.Conditions[0].Status, n.Status.Conditions[0].Reason = api.ConditionFalse, "KubeletNotReady"
	if _, err := e.c.Nodes().UpdateStatus(ctx, n); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "the not-ready taints", func() bool {
		n := e.getNode(t, "sick")
		return hasTaint(n, api.TaintNodeNotReady, api.TaintEffectNoExecute) && hasTaint(n, api.TaintNodeNotReady, api.TaintEffectNoSchedule)
	})
	// The pod has the default 300s not-ready toleration: it stays.
	time.Sleep(300 * time.Millisecond)
	if p := e.getPod(t, "tolerant"); p.DeletionTimestamp != nil {
		t.Error("a pod tolerating not-ready for 300s was evicted")
	}
	// A pod that tolerates not-ready for 0s is evicted at once.
	e.boundPod(t, "none", "sick", api.Toleration{Key: api.TaintNodeNotReady, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: new(int64(0))})
	eventually(t, 3*time.Second, "the pod that does not tolerate not-ready to be evicted", func() bool {
		return e.getPod(t, "none").DeletionTimestamp != nil
	})
	if e.getNode(t, "sick").Status.Conditions[0].Status != api.ConditionFalse {
		t.Error("the controller changed the condition of a node that posts its status")
	}
}

// confirmDeletions stands in for the node's kubelet in a drain: it ends
// the grace period of every pod on the node that is marked for deletion.
func (k *kubelet) confirmDeletions() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			pods, _, err := k.c.Pods("").List(ctx, client.ListOptions{FieldSelector: "spec.nodeName=" + k.name})
			if err != nil {
				continue
			}
			for _, p := range pods {
				if p.DeletionTimestamp != nil {
					_ = k.c.Pods(p.Namespace).Delete(ctx, p.Name, api.DeleteOptions{GracePeriodSeconds: new(int64(0))})
				}
			}
		}
	}()
	k.t.Cleanup(func() { close(stop); <-done })
}

func TestKubectlCordonAndDrain(t *testing.T) {
	testsvc.Slow(t, "the real kubectl")
	e := start(t, 10*time.Second)
	k := e.kubelet(t, "n1")
	k.keepAlive()
	k.confirmDeletions()
	// An unmanaged pod (needs --force) and one controlled by a replica set.
	e.pod(t, "bare", "n1")
	rs := api.ObjectMeta{Name: "web-rs", UID: "6f0e0d0c-0000-4000-8000-000000000000"}
	owned, err := e.c.Pods("default").Create(ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web-rs-x", OwnerReferences: []api.OwnerReference{*api.NewControllerRef(rs, "apps/v1", "ReplicaSet")}},
		Spec:       api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "nginx"}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	if out, err := e.s.Kubectl(t, "", "cordon", "n1"); err != nil || !strings.Contains(out, "cordoned") {
		t.Fatalf("kubectl cordon: %v %s", err, out)
	}
	eventually(t, 3*time.Second, "the unschedulable taint", func() bool {
		n := e.getNode(t, "n1")
		return n.Spec.Unschedulable && hasTaint(n, api.TaintNodeUnschedulable, api.TaintEffectNoSchedule)
	})
	if out, err := e.s.Kubectl(t, "", "uncordon", "n1"); err != nil || !strings.Contains(out, "uncordoned") {
		t.Fatalf("kubectl uncordon: %v %s", err, out)
	}
	eventually(t, 3*time.Second, "the unschedulable taint to go", func() bool {
		n := e.getNode(t, "n1")
		return !n.Spec.Unschedulable && len(n.Spec.Taints) == 0
	})

	// Without --force, drain refuses the unmanaged pod.
	if out, err := e.s.Kubectl(t, "", "drain", "n1", "--ignore-daemonsets", "--timeout=20s"); err == nil {
		t.Fatalf("drain of an unmanaged pod without --force succeeded:\n%s", out)
	} else if !strings.Contains(out, "--force") {
		t.Errorf("drain without --force: want the hint to use --force, got\n%s", out)
	}
	// The pod a replica set controls can go without --force.
	if err := e.c.Pods("default").Delete(ctx, "bare", api.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	out, err := e.s.Kubectl(t, "", "drain", "n1", "--ignore-daemonsets", "--timeout=20s")
	if err != nil {
		t.Fatal(err)
	}
	// The API server serves pods/eviction, so kubectl evicts.
	if !strings.Contains(out, "pod/web-rs-x evicted") || !strings.Contains(out, "node/n1 drained") {
		t.Errorf("kubectl drain output:\n%s", out)
	}
	if _, err := e.c.Pods("default").Get(ctx, owned.Name); !client.IsNotFound(err) {
		t.Errorf("pod %s after drain: %v, want it gone", owned.Name, err)
	}
	if !e.getNode(t, "n1").Spec.Unschedulable {
		t.Error("drain did not cordon the node")
	}

	// --force --grace-period=0 deletes an unmanaged pod at once.
	if _, err := e.s.Kubectl(t, "", "uncordon", "n1"); err != nil {
		t.Fatal(err)
	}
	e.pod(t, "bare2", "n1")
	if _, err := e.s.Kubectl(t, "", "drain", "n1", "--ignore-daemonsets", "--force", "--grace-period=0", "--timeout=20s"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Pods("default").Get(ctx, "bare2"); !client.IsNotFound(err) {
		t.Errorf("pod bare2 after drain --force: %v, want it gone", err)
	}
}
