package namespace_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/namespace"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
)

var ctx = context.Background()

func start(t *testing.T) (*testenv.APIServer, *client.Client) {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	nss := informer.New(client.ListWatch(c.Namespaces(), client.ListOptions{}), time.Minute)
	ctl, err := namespace.New(namespace.Deps{Client: c, Namespaces: nss}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = nss.Run(runCtx); done <- struct{}{} }()
	go func() { _ = ctl.Run(runCtx, 2); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return s, c
}

// fill creates one object of every kind in ns and returns the pod.
func fill(t *testing.T, c *client.Client, ns string) *api.Pod {
	t.Helper()
	sel := &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tpl := api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: sel.MatchLabels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}},
	}
	zero := int32(0)
	// What the service account controller, not run here, gives a new
	// namespace, and what its pods need.
	sa := &api.ServiceAccount{ObjectMeta: api.ObjectMeta{Name: "default"}}
	if _, err := client.Resource[api.ServiceAccount](c, client.ServiceAccounts, ns).Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deployments(ns).Create(ctx, &api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec: api.DeploymentSpec{Replicas: &zero, Selector: sel, Template: tpl}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReplicaSets(ns).Create(ctx, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web-1"},
		Spec: api.ReplicaSetSpec{Replicas: &zero, Selector: sel, Template: tpl}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leases(ns).Create(ctx, &api.Lease{ObjectMeta: api.ObjectMeta{Name: "lock"}}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Pods(ns).Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web-1-a", Labels: tpl.Labels}, Spec: tpl.Spec})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Events(ns).Create(ctx, &api.Event{ObjectMeta: api.ObjectMeta{Name: "web-1-a.1"},
		InvolvedObject: api.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name}, Reason: "Test", Type: api.EventTypeNormal}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKubectlDeleteNamespaceEmptiesIt(t *testing.T) {
	s, c := start(t)
	if _, err := s.Kubectl(t, "", "create", "namespace", "foo"); err != nil {
		t.Fatal(err)
	}
	ns, err := c.Namespaces().Get(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes) {
		t.Fatalf("new namespace has finalizers %v, want %q", ns.Spec.Finalizers, api.FinalizerKubernetes)
	}
	fill(t, c, "foo")
	kctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.KubectlContext(kctx, t, "", "delete", "namespace", "foo"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Namespaces().Get(ctx, "foo"); !client.IsNotFound(err) {
		t.Fatalf("namespace after kubectl delete: %v, want it gone", err)
	}
	// A namespace of the same name starts empty.
	if _, err := c.Namespaces().Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "foo"}}); err != nil {
		t.Fatal(err)
	}
	pods, _, err := c.Pods("foo").List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rss, _, err := c.ReplicaSets("foo").List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods)+len(rss) != 0 {
		t.Errorf("recreated namespace holds %d pods and %d replica sets", len(pods), len(rss))
	}
}

func TestNamespaceWaitsForItsContent(t *testing.T) {
	s, c := start(t)
	if _, err := c.Namespaces().Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "bar"}}); err != nil {
		t.Fatal(err)
	}
	p := fill(t, c, "bar")
	// A finalizer of someone else's holds the pod.
	if _, err := c.Pods("bar").Patch(ctx, p.Name, client.MergePatchType, []byte(`{"metadata":{"finalizers":["example.com/hold"]}}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Namespaces().Delete(ctx, "bar", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rss, _, err := c.ReplicaSets("bar").List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rss) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the namespace's replica sets were not deleted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	ns, err := c.Namespaces().Get(ctx, "bar")
	if err != nil {
		t.Fatalf("namespace went while a pod was left: %v", err)
	}
	if ns.Status.Phase != api.NamespaceTerminating {
		t.Errorf("phase %q, want Terminating", ns.Status.Phase)
	}
	if _, err := c.Pods("bar").Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "late"}, Spec: p.Spec}); !client.IsForbidden(err) {
		t.Errorf("create in a terminating namespace: %v, want Forbidden", err)
	}

	if _, err := c.Pods("bar").Patch(ctx, p.Name, client.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/finalizers"}]`)); err != nil && !client.IsNotFound(err) {
		t.Fatal(err)
	}
	kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.KubectlContext(kctx, t, "", "wait", "--for=delete", "namespace/bar", "--timeout=10s"); err != nil {
		t.Fatal(err)
	}
}
