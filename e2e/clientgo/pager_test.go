package clientgo

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/pager"
)

// TestPager: client-go's pager pages through a list with limit and
// continue, the pages form one snapshot (a pod created between pages is
// not in it), and a reflector with a page size fills its store page by
// page, as informers do with limit=500.
func TestPager(t *testing.T) {
	ns := newNamespace(t)
	ctx := t.Context()
	for i := range 12 {
		createPod(t, cluster.client, ns, fmt.Sprintf("p%02d", i))
	}
	reqs := &requestLog{}
	cfg := rest.CopyConfig(cluster.config)
	cfg.Wrap(reqs.wrap)
	cs := kubernetes.NewForConfigOrDie(cfg)
	podsPath := "/api/v1/namespaces/" + ns + "/pods"

	first, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) != 5 || first.Continue == "" || first.RemainingItemCount == nil || *first.RemainingItemCount != 7 {
		t.Fatalf("first page: %d items, continue %q, remaining %v; want 5, a token, 7", len(first.Items), first.Continue, first.RemainingItemCount)
	}
	createPod(t, cluster.client, ns, "p99-between-pages")

	// The pager resumes from the first page's token and follows the rest.
	var names []string
	p := pager.New(pager.SimplePageFunc(func(opts metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Pods(ns).List(ctx, opts)
	}))
	p.PageSize = 5
	err = p.EachListItem(ctx, metav1.ListOptions{Continue: first.Continue}, func(obj runtime.Object) error {
		names = append(names, obj.(*corev1.Pod).Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p05", "p06", "p07", "p08", "p09", "p10", "p11"}
	if !slices.Equal(names, want) {
		t.Errorf("the pager's pages after the first: %q, want %q (the first page's snapshot)", names, want)
	}
	if n := reqs.count(podsPath, func(q url.Values) bool { return q.Get("continue") != "" && q.Get("limit") == "5" }); n != 2 {
		t.Errorf("%d requests with a continue token, want 2", n)
	}

	// A reflector with a page size lists page by page, then watches.
	setWatchList(t, false)
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Pods(ns).List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return cs.CoreV1().Pods(ns).Watch(ctx, opts)
		},
	}
	r := cache.NewReflector(lw, &corev1.Pod{}, store, 0)
	r.WatchListPageSize = 4
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.RunWithContext(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, 20*time.Second, "the reflector's store holds all 13 pods", func(context.Context) error {
		if n := len(store.ListKeys()); n != 13 {
			return fmt.Errorf("%d pods", n)
		}
		return nil
	})
	if n := reqs.count(podsPath, func(q url.Values) bool { return q.Get("limit") == "4" }); n != 4 {
		t.Errorf("the reflector sent %d pages of 4, want 4 (13 pods)", n)
	}
	createPod(t, cluster.client, ns, "p100-watched")
	eventually(t, 20*time.Second, "the reflector's watch sees a new pod", func(context.Context) error {
		if _, ok, _ := store.GetByKey(ns + "/p100-watched"); !ok {
			return fmt.Errorf("not in the store")
		}
		return nil
	})
}
