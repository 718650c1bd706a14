package gc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/gc"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"

	"github.com/minik8s/minik8s/internal/testpoll"
)

type env struct {
	s *testenv.APIServer
	c *client.Client
}

// start runs an API server, the shared informers and a collector.
func start(t *testing.T) *env { return startWrapped(t, nil) }

// startWrapped is start with the collector's client's transport wrapped.
func startWrapped(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) *env {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	cc := c
	if wrap != nil {
		cc, err = client.FromKubeconfigWrapped(s.Kubeconfig, -1, 0, wrap)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Pods and replica sets through shared informers; deployments and
	// every other kind through the collector's own, from discovery.
	pods := informer.New(client.ListWatch(cc.Pods(""), client.ListOptions{}), time.Minute)
	rss := informer.New(client.ListWatch(cc.ReplicaSets(""), client.ListOptions{}), time.Minute)
	col, err := gc.New(gc.Deps{Client: cc, Shared: []gc.Shared{
		gc.Watch(client.Pods, "Pod", pods), gc.Watch(client.ReplicaSets, "ReplicaSet", rss),
	}}, testenv.KeptLog(t, zerolog.DebugLevel, "the collector's log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runAll(ctx, pods.Run, rss.Run, func(ctx context.Context) error { return col.Run(ctx, 4) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return &env{s: s, c: c}
}

func runAll(ctx context.Context, fns ...func(context.Context) error) {
	done := make(chan struct{}, len(fns))
	for _, fn := range fns {
		go func() { _ = fn(ctx); done <- struct{}{} }()
	}
	for range fns {
		<-done
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 15*time.Second, what, cond)
}

func ref(apiVersion, kind string, m api.ObjectMeta) api.OwnerReference {
	return *api.NewControllerRef(m, apiVersion, kind)
}

var ctx = context.Background()

func template(app string) api.PodTemplateSpec {
	return api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}},
	}
}

// tree creates a deployment, a replica set it owns and n pods the replica
// set owns, as the deployment and replica set controllers would.
func (e *env) tree(t *testing.T, name string, n int) (*api.Deployment, *api.ReplicaSet, []*api.Pod) {
	t.Helper()
	zero := int32(0)
	sel := &api.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d, err := e.c.Deployments("default").Create(ctx, &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name},
		Spec:       api.DeploymentSpec{Replicas: &zero, Selector: sel, Template: template(name)},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.c.ReplicaSets("default").Create(ctx, &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: name + "-rs", OwnerReferences: []api.OwnerReference{ref("apps/v1", "Deployment", d.ObjectMeta)}},
		Spec:       api.ReplicaSetSpec{Replicas: &zero, Selector: sel, Template: template(name)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var pods []*api.Pod
	for i := range n {
		p := e.pod(t, name+"-rs-"+string(rune('a'+i)), ref("apps/v1", "ReplicaSet", rs.ObjectMeta))
		pods = append(pods, p)
	}
	return d, rs, pods
}

func (e *env) pod(t *testing.T, name string, owners ...api.OwnerReference) *api.Pod {
	t.Helper()
	tpl := template("x")
	p, err := e.c.Pods("default").Create(ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Labels: tpl.Labels, OwnerReferences: owners},
		Spec:       tpl.Spec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func gone[T any, PT interface {
	*T
	api.Object
}](r *client.ResourceClient[T, PT], name string) func() bool {
	return func() bool {
		_, err := r.Get(ctx, name)
		return client.IsNotFound(err)
	}
}

func exists[T any, PT interface {
	*T
	api.Object
}](t *testing.T, r *client.ResourceClient[T, PT], name string) PT {
	t.Helper()
	obj, err := r.Get(ctx, name)
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return obj
}

func TestBackgroundDeletion(t *testing.T) {
	e := start(t)
	d, rs, pods := e.tree(t, "bg", 3)
	if _, err := e.s.Kubectl(t, "", "delete", "deployment", d.Name); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replica set to go", gone(e.c.ReplicaSets("default").ResourceClient, rs.Name))
	for _, p := range pods {
		eventually(t, "pod "+p.Name+" to go", gone(e.c.Pods("default").ResourceClient, p.Name))
	}
}

// TestOrphanChangedBeforeDelete: a dependent whose owner is gone changes
// (its status, say) between the collector's read and its delete, which is
// conditional on the resourceVersion read. The delete conflicts, and as the
// change concerns neither owners nor finalizers no event brings the
// dependent back: the collector must read it again and delete it.
func TestOrphanChangedBeforeDelete(t *testing.T) {
	var raced atomic.Bool
	e := startWrapped(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/pods/racer") && raced.CompareAndSwap(false, true) {
				// Another writer changes the pod first.
				patch := r.Clone(r.Context())
				patch.Method = http.MethodPatch
				patch.Header.Set("Content-Type", "application/merge-patch+json")
				body := `{"metadata":{"annotations":{"touched":"yes"}}}`
				patch.Body, patch.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
				resp, err := rt.RoundTrip(patch)
				if err != nil {
					return nil, err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return nil, fmt.Errorf("patch racer: %s", resp.Status)
				}
			}
			return rt.RoundTrip(r)
		})
	})
	ghost := api.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "ghost", UID: "2f0e0d0c-0000-4000-8000-000000000000"}
	racer := e.pod(t, "racer", ghost)
	eventually(t, "the pod changed before its delete to go", gone(e.c.Pods("default").ResourceClient, racer.Name))
	if !raced.Load() {
		t.Fatal("the collector's delete was never raced")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOwnerThatNeverExisted(t *testing.T) {
	e := start(t)
	ghost := api.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "ghost", UID: "0f0e0d0c-0000-4000-8000-000000000000"}
	orphan := e.pod(t, "orphan", ghost)
	// An owner of a kind the collector does not watch keeps its dependent.
	other := e.pod(t, "other", api.OwnerReference{APIVersion: "example.com/v1", Kind: "Thing", Name: "t", UID: "1f0e0d0c-0000-4000-8000-000000000000"})
	// Of two owners, the one that is gone is dropped; the pod stays.
	_, rs, _ := e.tree(t, "two", 0)
	both := e.pod(t, "both", ref("apps/v1", "ReplicaSet", rs.ObjectMeta), ghost)

	eventually(t, "the pod of a missing owner to go", gone(e.c.Pods("default").ResourceClient, orphan.Name))
	eventually(t, "the reference to the missing owner to go", func() bool {
		p := exists(t, e.c.Pods("default").ResourceClient, both.Name)
		return len(p.OwnerReferences) == 1 && p.OwnerReferences[0].UID == rs.UID
	})
	exists(t, e.c.Pods("default").ResourceClient, other.Name)
}

func TestForegroundDeletionWaitsForBlockingDependents(t *testing.T) {
	e := start(t)
	d, rs, pods := e.tree(t, "fg", 2)
	// A finalizer of someone else's holds one pod, so the replica set and
	// the deployment, whose deletion it blocks, must wait for it.
	held := pods[0]
	if _, err := e.c.Pods("default").Patch(ctx, held.Name, client.MergePatchType,
		[]byte(`{"metadata":{"finalizers":["example.com/hold"]}}`)); err != nil {
		t.Fatal(err)
	}
	fg := api.PropagationForeground
	if err := e.c.Deployments("default").Delete(ctx, d.Name, api.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the free pod to go", gone(e.c.Pods("default").ResourceClient, pods[1].Name))
	eventually(t, "the held pod to be marked", func() bool {
		return exists(t, e.c.Pods("default").ResourceClient, held.Name).DeletionTimestamp != nil
	})
	time.Sleep(500 * time.Millisecond) // give a wrong collector time to err
	for _, m := range []*api.ObjectMeta{
		&exists(t, e.c.ReplicaSets("default").ResourceClient, rs.Name).ObjectMeta,
		&exists(t, e.c.Deployments("default").ResourceClient, d.Name).ObjectMeta,
	} {
		if m.DeletionTimestamp == nil || len(m.Finalizers) != 1 || m.Finalizers[0] != api.FinalizerForeground {
			t.Fatalf("%s: deletionTimestamp %v, finalizers %v; want marked with %s", m.Name, m.DeletionTimestamp, m.Finalizers, api.FinalizerForeground)
		}
	}
	if _, err := e.c.Pods("default").Patch(ctx, held.Name, client.JSONPatchType,
		[]byte(`[{"op":"remove","path":"/metadata/finalizers/0"}]`)); err != nil && !client.IsNotFound(err) {
		t.Fatal(err)
	}
	eventually(t, "the held pod to go", gone(e.c.Pods("default").ResourceClient, held.Name))
	eventually(t, "the replica set to go", gone(e.c.ReplicaSets("default").ResourceClient, rs.Name))
	eventually(t, "the deployment to go", gone(e.c.Deployments("default").ResourceClient, d.Name))
}

func TestOrphanDeletion(t *testing.T) {
	e := start(t)
	d, rs, pods := e.tree(t, "or", 2)
	if _, err := e.s.Kubectl(t, "", "delete", "rs", rs.Name, "--cascade=orphan"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replica set to go", gone(e.c.ReplicaSets("default").ResourceClient, rs.Name))
	for _, p := range pods {
		got := exists(t, e.c.Pods("default").ResourceClient, p.Name)
		if len(got.OwnerReferences) != 0 || got.DeletionTimestamp != nil {
			t.Errorf("pod %s: owners %v, deletionTimestamp %v; want an orphan", p.Name, got.OwnerReferences, got.DeletionTimestamp)
		}
	}
	// The deployment, which owned the replica set only, is untouched.
	if got := exists(t, e.c.Deployments("default").ResourceClient, d.Name); got.DeletionTimestamp != nil {
		t.Error("the deployment was marked for deletion")
	}
	// An orphan stays one: nothing deletes the pods later.
	time.Sleep(300 * time.Millisecond)
	for _, p := range pods {
		exists(t, e.c.Pods("default").ResourceClient, p.Name)
	}
}

// TestCustomResourceOwner: a kind defined after the collector started
// (a CRD) is discovered as soon as an owner reference names it; deleting
// the custom resource collects its ConfigMap and Deployment, and a custom
// resource owned by a ConfigMap goes with it.
func TestCustomResourceOwner(t *testing.T) {
	e := start(t)
	file := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(file, []byte(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := e.s.Kubectl(t, "", "apply", "-f", file); err != nil {
		t.Fatalf("apply crd: %v %s", err, out)
	}
	var w api.PartialObjectMetadata
	widgets := client.GVR{Group: "example.com", Version: "v1", Resource: "widgets", Namespaced: true}
	eventually(t, "the widgets resource to be served", func() bool {
		return e.c.Do(ctx, "POST", widgets.Path("default"), map[string]any{
			"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w1"}}, &w) == nil
	})
	owned := []api.OwnerReference{ref("example.com/v1", "Widget", w.ObjectMeta)}
	cms := client.Resource[api.ConfigMap](e.c, client.ConfigMaps, "default")
	if _, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "w1-config", OwnerReferences: owned}}); err != nil {
		t.Fatal(err)
	}
	zero := int32(0)
	sel := &api.LabelSelector{MatchLabels: map[string]string{"app": "w1"}}
	if _, err := e.c.Deployments("default").Create(ctx, &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "w1", OwnerReferences: owned},
		Spec:       api.DeploymentSpec{Replicas: &zero, Selector: sel, Template: template("w1")},
	}); err != nil {
		t.Fatal(err)
	}
	// A widget owned by a ConfigMap.
	parent, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "parent"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.Do(ctx, "POST", widgets.Path("default"), map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "child",
			"ownerReferences": []api.OwnerReference{ref("v1", "ConfigMap", parent.ObjectMeta)}}}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a wrong collector would delete the live widget's dependents now
	exists(t, cms, "w1-config")
	exists(t, e.c.Deployments("default").ResourceClient, "w1")

	if err := e.c.Do(ctx, "DELETE", widgets.Path("default")+"/w1", nil, nil); err != nil {
		t.Fatalf("delete widget: %v", err)
	}
	eventually(t, "the widget's ConfigMap to go", gone(cms, "w1-config"))
	eventually(t, "the widget's Deployment to go", gone(e.c.Deployments("default").ResourceClient, "w1"))
	if out, err := e.s.Kubectl(t, "", "delete", "configmap", "parent"); err != nil {
		t.Fatalf("delete configmap: %v %s", err, out)
	}
	eventually(t, "the ConfigMap's widget to go", func() bool {
		return client.IsNotFound(e.c.Do(ctx, "GET", widgets.Path("default")+"/child", nil, nil))
	})
}

// TestForegroundDeletionOfAnyKind: a ConfigMap deleted in the foreground
// (as `helm uninstall --cascade=foreground` deletes Services and
// ServiceAccounts) waits for its Secret, then goes.
func TestForegroundDeletionOfAnyKind(t *testing.T) {
	e := start(t)
	cms := client.Resource[api.ConfigMap](e.c, client.ConfigMaps, "default")
	owner, err := cms.Create(ctx, &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "fg-owner"}})
	if err != nil {
		t.Fatal(err)
	}
	secrets := client.Resource[api.Secret](e.c, client.Secrets, "default")
	if _, err := secrets.Create(ctx, &api.Secret{ObjectMeta: api.ObjectMeta{Name: "fg-dependent",
		OwnerReferences: []api.OwnerReference{ref("v1", "ConfigMap", owner.ObjectMeta)}}}); err != nil {
		t.Fatal(err)
	}
	if out, err := e.s.Kubectl(t, "", "delete", "configmap", "fg-owner", "--cascade=foreground", "--wait=false"); err != nil {
		t.Fatalf("delete: %v %s", err, out)
	}
	eventually(t, "the dependent Secret to go", gone(secrets, "fg-dependent"))
	eventually(t, "the ConfigMap to go", gone(cms, "fg-owner"))
}

func TestNewValidates(t *testing.T) {
	if _, err := gc.New(gc.Deps{}, zerolog.Nop()); err == nil {
		t.Fatal("New accepted missing dependencies")
	}
}
