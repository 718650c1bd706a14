package clientgo

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/features"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

func TestInformerCachesMatchServer(t *testing.T) {
	t.Logf("client-go's %s: %v", features.WatchListClient, gates.base.Enabled(features.WatchListClient))
	for _, watchList := range []bool{true, false} {
		t.Run(fmt.Sprintf("%s=%v", features.WatchListClient, watchList), func(t *testing.T) {
			setWatchList(t, watchList)
			testInformerCaches(t, watchList)
		})
	}
}

// testInformerCaches starts a shared informer factory on pods and
// deployments in a new namespace, changes objects through the typed
// client, and checks that the caches end up exactly the server's lists.
// The controllers and kubelets change the same objects meanwhile, which
// the caches must follow too.
func testInformerCaches(t *testing.T, watchList bool) {
	ns := newNamespace(t)
	// The informers get a client of their own, whose requests are recorded.
	reqs := &requestLog{}
	cfg := rest.CopyConfig(cluster.config)
	cfg.Wrap(reqs.wrap)
	informerClient := kubernetes.NewForConfigOrDie(cfg)
	cs := cluster.client
	ctx := t.Context()

	// Objects that exist before the informers start come with the initial
	// list (or the initial events of a WatchList).
	createPod(t, cs, ns, "before-1")
	createPod(t, cs, ns, "before-2")
	createDeployment(t, cs, ns, "web", 1)

	factory := informers.NewSharedInformerFactoryWithOptions(informerClient, 0, informers.WithNamespace(ns))
	pods := factory.Core().V1().Pods()
	deployments := factory.Apps().V1().Deployments()
	// Informer registers each informer with the factory, which starts
	// only the registered ones.
	podInformer, deploymentInformer := pods.Informer(), deployments.Informer()
	var mu sync.Mutex
	deleted := map[string]bool{}
	if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				mu.Lock()
				deleted[p.Name] = true
				mu.Unlock()
			}
		},
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	factory.Start(stop)
	t.Cleanup(func() { close(stop); factory.Shutdown() })
	syncCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), podInformer.HasSynced, deploymentInformer.HasSynced) {
		t.Fatal("informer caches did not sync within 20s")
	}
	match := func(what string) {
		t.Helper()
		eventually(t, 20*time.Second, what, func(ctx context.Context) error {
			if err := podsMatch(ctx, ns, pods.Lister()); err != nil {
				return err
			}
			return deploymentsMatch(ctx, ns, deployments.Lister())
		})
	}
	match("caches match the server after sync")

	// Changes while the informers watch.
	createPod(t, cs, ns, "after-1")
	createDeployment(t, cs, ns, "tmp", 1)
	update(t, func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "before-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Labels["tier"] = "front"
		_, err = cs.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
		return err
	})
	update(t, func() error {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Replicas = ptr(int32(2))
		_, err = cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	gracePeriod := metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "before-2", gracePeriod); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "tmp", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete deployment: %v", err)
	}
	match("caches match the server after changes")

	if p, err := pods.Lister().Pods(ns).Get("before-1"); err != nil || p.Labels["tier"] != "front" {
		t.Errorf("cached before-1: %v, labels %v; want the label tier=front", err, p.GetLabels())
	}
	if _, err := deployments.Lister().Deployments(ns).Get("tmp"); err == nil {
		t.Error("deleted deployment tmp is still cached")
	}
	mu.Lock()
	if !deleted["before-2"] {
		t.Error("no delete event for pod before-2")
	}
	mu.Unlock()

	// Which protocol filled the caches: a WatchList streams the initial
	// state, so no pods are listed; otherwise a list, then a watch.
	podsPath := "/api/v1/namespaces/" + ns + "/pods"
	lists := reqs.count(podsPath, func(q url.Values) bool { return q.Get("watch") != "true" })
	streams := reqs.count(podsPath, func(q url.Values) bool { return q.Get("watch") == "true" && q.Get("sendInitialEvents") == "true" })
	watches := reqs.count(podsPath, func(q url.Values) bool { return q.Get("watch") == "true" })
	if watchList && (streams == 0 || lists != 0) {
		t.Errorf("WatchListClient on: %d watch-list streams and %d lists of pods, want >0 and 0", streams, lists)
	}
	if !watchList && (lists == 0 || watches == 0 || streams != 0) {
		t.Errorf("WatchListClient off: %d lists, %d watches, %d watch-list streams of pods, want >0, >0, 0", lists, watches, streams)
	}
}

func createPod(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bare"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
}

func createDeployment(t *testing.T, cs kubernetes.Interface, ns, name string, replicas int32) *appsv1.Deployment {
	t.Helper()
	sel := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
			},
		},
	}
	d, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment %s: %v", name, err)
	}
	return d
}

// update runs a read-modify-write, again on a 409 Conflict: the
// controllers and kubelets write the same objects.
func update(t *testing.T, f func() error) {
	t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, f); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func podsMatch(ctx context.Context, ns string, l corelisters.PodLister) error {
	list, err := cluster.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	cached, err := l.Pods(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	return sameVersions("pods", versions(list.Items), cachedVersions(cached))
}

func deploymentsMatch(ctx context.Context, ns string, l appslisters.DeploymentLister) error {
	list, err := cluster.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	cached, err := l.Deployments(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	return sameVersions("deployments", versions(list.Items), cachedVersions(cached))
}

// versions maps the names of listed objects to their resourceVersions.
func versions[T any, PT interface {
	*T
	metav1.Object
}](items []T) map[string]string {
	m := make(map[string]string, len(items))
	for i := range items {
		o := PT(&items[i])
		m[o.GetName()] = o.GetResourceVersion()
	}
	return m
}

// cachedVersions maps the names of cached objects to their resourceVersions.
func cachedVersions[PT metav1.Object](items []PT) map[string]string {
	m := make(map[string]string, len(items))
	for _, o := range items {
		m[o.GetName()] = o.GetResourceVersion()
	}
	return m
}

// sameVersions reports how the cache differs from the server, if it does.
func sameVersions(kind string, server, cached map[string]string) error {
	if maps.Equal(server, cached) {
		return nil
	}
	var diffs []string
	for _, name := range slices.Sorted(maps.Keys(server)) {
		if cached[name] != server[name] {
			diffs = append(diffs, fmt.Sprintf("%s: server rv %q, cache rv %q", name, server[name], cached[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cached)) {
		if _, ok := server[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: cached only (rv %q)", name, cached[name]))
		}
	}
	return fmt.Errorf("%s differ: %s", kind, strings.Join(diffs, "; "))
}

// requestLog records the URLs of the requests a client makes.
type requestLog struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (l *requestLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		l.mu.Lock()
		l.urls = append(l.urls, r.URL)
		l.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

// count is the number of requests to path whose query satisfies match.
func (l *requestLog) count(path string, match func(url.Values) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, u := range l.urls {
		if u.Path == path && match(u.Query()) {
			n++
		}
	}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
