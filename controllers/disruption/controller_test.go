package disruption

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/informer/informertest"
)

// fakeWriter records the status writes and serves StatefulSet scales.
type fakeWriter struct {
	mu       sync.Mutex
	statuses []api.PodDisruptionBudgetStatus
	scales   map[string]int32
}

func (f *fakeWriter) UpdateStatus(_ context.Context, pdb *api.PodDisruptionBudget) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, api.DeepCopy(pdb.Status))
	return nil
}

func (f *fakeWriter) Scale(_ context.Context, apiVersion, kind, ns, name string) (int32, error) {
	n, ok := f.scales[kind+"/"+name]
	if !ok {
		return 0, fmt.Errorf("no scale for %s %s", kind, name)
	}
	return n, nil
}

type fakeRecorder struct {
	mu      sync.Mutex
	reasons []string
}

func (r *fakeRecorder) Eventf(_ api.ObjectReference, _, reason, _ string, _ ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

var now = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func int32p(n int32) *int32 { return &n }

func intOrStr(v api.IntOrString) *api.IntOrString { return &v }

func budget(min, maxUn *api.IntOrString) *api.PodDisruptionBudget {
	return &api.PodDisruptionBudget{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "pdb-uid", Generation: 2},
		Spec: api.PodDisruptionBudgetSpec{MinAvailable: min, MaxUnavailable: maxUn,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}
}

type podOpt func(*api.Pod)

func ready(p *api.Pod) {
	p.Status.Phase = api.PodRunning
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}
}

func deleting(p *api.Pod) { t := api.NewTime(now); p.DeletionTimestamp = &t }

func ownedBy(kind, name, uid string) podOpt {
	return func(p *api.Pod) {
		p.OwnerReferences = []api.OwnerReference{*api.NewControllerRef(api.ObjectMeta{Name: name, UID: uid}, "apps/v1", kind)}
	}
}

func pod(name string, opts ...podOpt) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name,
		Labels: map[string]string{"app": "web"}}, Status: api.PodStatus{Phase: api.PodPending}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func rs(name, uid string, replicas int32, owner *api.OwnerReference) *api.ReplicaSet {
	r := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: uid},
		Spec: api.ReplicaSetSpec{Replicas: int32p(replicas)}}
	if owner != nil {
		r.OwnerReferences = []api.OwnerReference{*owner}
	}
	return r
}

type fixture struct {
	pdbs    []*api.PodDisruptionBudget
	pods    []*api.Pod
	rss     []*api.ReplicaSet
	deploys []*api.Deployment
	scales  map[string]int32
}

func newTestController(t *testing.T, f fixture) (*Controller, *fakeWriter, *fakeRecorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pi := informer.New[*api.Pod](informertest.Static[*api.Pod]{Items: f.pods}, 0, controllerutil.Indexers[*api.Pod]()...)
	bi := informer.New[*api.PodDisruptionBudget](informertest.Static[*api.PodDisruptionBudget]{Items: f.pdbs}, 0, controllerutil.Indexers[*api.PodDisruptionBudget]()...)
	ri := informer.New[*api.ReplicaSet](informertest.Static[*api.ReplicaSet]{Items: f.rss}, 0, controllerutil.Indexers[*api.ReplicaSet]()...)
	di := informer.New[*api.Deployment](informertest.Static[*api.Deployment]{Items: f.deploys}, 0, controllerutil.Indexers[*api.Deployment]()...)
	for _, run := range []func(context.Context) error{pi.Run, bi.Run, ri.Run, di.Run} {
		go run(ctx)
	}
	if !informer.WaitForCacheSync(ctx, pi.HasSynced, bi.HasSynced, ri.HasSynced, di.HasSynced) {
		t.Fatal("caches did not sync")
	}
	cl, err := client.New(client.Config{Server: "http://127.0.0.1:1"}) // never used: writes go to the fake
	if err != nil {
		t.Fatal(err)
	}
	rec := &fakeRecorder{}
	c, err := New(Deps{Client: cl, Pods: pi, PDBs: bi, ReplicaSets: ri, Deployments: di, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWriter{scales: f.scales}
	c.w = w
	c.now = func() time.Time { return now }
	return c, w, rec
}

var key = informer.Key{Namespace: "default", Name: "web"}

func TestSyncStatus(t *testing.T) {
	deployRef := api.NewControllerRef(api.ObjectMeta{Name: "web", UID: "d-uid"}, "apps/v1", "Deployment")
	evicted := now.Add(-30 * time.Second)
	tests := []struct {
		name                                string
		f                                   fixture
		expected, desired, healthy, allowed int32
		disrupted                           []string
		reason                              string
	}{
		{name: "minAvailable number counts the selected pods",
			f: fixture{pdbs: []*api.PodDisruptionBudget{budget(intOrStr(api.FromInt(2)), nil)},
				pods: []*api.Pod{pod("a", ready), pod("b", ready), pod("c", ready), pod("d"), pod("other", ready, func(p *api.Pod) { p.Labels = nil })}},
			expected: 4, desired: 2, healthy: 3, allowed: 1, reason: api.SufficientPodsReason},
		{name: "a budget at its minimum allows nothing",
			f: fixture{pdbs: []*api.PodDisruptionBudget{budget(intOrStr(api.FromInt(2)), nil)},
				pods: []*api.Pod{pod("a", ready), pod("b", ready), pod("c", ready, deleting)}},
			expected: 3, desired: 2, healthy: 2, allowed: 0, reason: api.InsufficientPodsReason},
		{name: "maxUnavailable uses the Deployment's scale, once",
			f: fixture{pdbs: []*api.PodDisruptionBudget{budget(nil, intOrStr(api.FromInt(1)))},
				rss:     []*api.ReplicaSet{rs("web-1", "rs-uid", 3, deployRef)},
				deploys: []*api.Deployment{{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "d-uid"}, Spec: api.DeploymentSpec{Replicas: int32p(4)}}},
				pods: []*api.Pod{pod("a", ready, ownedBy("ReplicaSet", "web-1", "rs-uid")),
					pod("b", ready, ownedBy("ReplicaSet", "web-1", "rs-uid")), pod("c", ready, ownedBy("ReplicaSet", "web-1", "rs-uid"))}},
			expected: 4, desired: 3, healthy: 3, allowed: 0, reason: api.InsufficientPodsReason},
		{name: "minAvailable percentage of a StatefulSet rounds up",
			f: fixture{pdbs: []*api.PodDisruptionBudget{budget(intOrStr(api.FromString("50%")), nil)},
				scales: map[string]int32{"StatefulSet/db": 3},
				pods: []*api.Pod{pod("db-0", ready, ownedBy("StatefulSet", "db", "s-uid")),
					pod("db-1", ready, ownedBy("StatefulSet", "db", "s-uid")), pod("db-2", ready, ownedBy("StatefulSet", "db", "s-uid"))}},
			expected: 3, desired: 2, healthy: 3, allowed: 1, reason: api.SufficientPodsReason},
		{name: "a pod just evicted is not healthy and stays recorded",
			f: fixture{pdbs: []*api.PodDisruptionBudget{func() *api.PodDisruptionBudget {
				b := budget(intOrStr(api.FromInt(1)), nil)
				b.Status.DisruptedPods = map[string]api.Time{"a": api.NewTime(evicted), "gone": api.NewTime(evicted)}
				return b
			}()},
				pods: []*api.Pod{pod("a", ready), pod("b", ready)}},
			expected: 2, desired: 1, healthy: 1, allowed: 0, disrupted: []string{"a"}, reason: api.InsufficientPodsReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w, _ := newTestController(t, tt.f)
			after, err := c.sync(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.statuses) != 1 {
				t.Fatalf("%d status writes, want 1", len(w.statuses))
			}
			st := w.statuses[0]
			if st.ExpectedPods != tt.expected || st.DesiredHealthy != tt.desired || st.CurrentHealthy != tt.healthy || st.DisruptionsAllowed != tt.allowed {
				t.Errorf("expected/desired/healthy/allowed = %d/%d/%d/%d, want %d/%d/%d/%d", st.ExpectedPods, st.DesiredHealthy,
					st.CurrentHealthy, st.DisruptionsAllowed, tt.expected, tt.desired, tt.healthy, tt.allowed)
			}
			if st.ObservedGeneration != 2 {
				t.Errorf("observedGeneration = %d, want 2", st.ObservedGeneration)
			}
			if len(st.DisruptedPods) != len(tt.disrupted) {
				t.Errorf("disruptedPods = %v, want %v", st.DisruptedPods, tt.disrupted)
			}
			for _, name := range tt.disrupted {
				if _, ok := st.DisruptedPods[name]; !ok {
					t.Errorf("disruptedPods = %v, want %s kept", st.DisruptedPods, name)
				}
			}
			if wantAfter := time.Duration(0); len(tt.disrupted) > 0 {
				wantAfter = evicted.Add(DeletionTimeout).Sub(now)
				if after != wantAfter {
					t.Errorf("requeue after %s, want %s (when the eviction expires)", after, wantAfter)
				}
			} else if after != 0 {
				t.Errorf("requeue after %s, want none", after)
			}
			if len(st.Conditions) != 1 || st.Conditions[0].Type != api.DisruptionAllowedCondition || st.Conditions[0].Reason != tt.reason {
				t.Errorf("conditions = %+v, want DisruptionAllowed %s", st.Conditions, tt.reason)
			}
			// The status written is the status computed: a second sync
			// over a cache holding it writes nothing.
			b := api.DeepCopy(tt.f.pdbs[0])
			b.Status = st
			tt.f.pdbs = []*api.PodDisruptionBudget{b}
			c2, w2, _ := newTestController(t, tt.f)
			if _, err := c2.sync(context.Background(), key); err != nil {
				t.Fatal(err)
			}
			if len(w2.statuses) != 0 {
				t.Errorf("unchanged status written again: %+v", w2.statuses)
			}
		})
	}
}

func TestSyncFailsSafeWithoutControllers(t *testing.T) {
	b := budget(nil, intOrStr(api.FromInt(1)))
	b.Status.DisruptionsAllowed = 3
	c, w, rec := newTestController(t, fixture{pdbs: []*api.PodDisruptionBudget{b}, pods: []*api.Pod{pod("orphan", ready)}})
	_, err := c.sync(context.Background(), key)
	if err == nil {
		t.Fatal("sync of a budget whose pod has no controller: no error")
	}
	if len(w.statuses) != 1 || w.statuses[0].DisruptionsAllowed != 0 ||
		w.statuses[0].Conditions[0].Reason != api.SyncFailedReason {
		t.Fatalf("statuses %+v, want disruptionsAllowed 0 and SyncFailed", w.statuses)
	}
	if len(rec.reasons) != 1 || rec.reasons[0] != "CalculateExpectedPodCountFailed" {
		t.Errorf("events %v", rec.reasons)
	}
}

func TestSyncGoneAndNoPods(t *testing.T) {
	c, w, _ := newTestController(t, fixture{})
	if _, err := c.sync(context.Background(), key); err != nil || len(w.statuses) != 0 {
		t.Fatalf("sync of a missing budget: %v, %d writes", err, len(w.statuses))
	}
	c, w, rec := newTestController(t, fixture{pdbs: []*api.PodDisruptionBudget{budget(intOrStr(api.FromInt(1)), nil)}})
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if len(rec.reasons) != 1 || rec.reasons[0] != "NoPods" {
		t.Errorf("events %v, want NoPods", rec.reasons)
	}
	if len(w.statuses) != 1 || w.statuses[0].DisruptionsAllowed != 0 || w.statuses[0].DesiredHealthy != 1 {
		t.Errorf("statuses %+v", w.statuses)
	}
}

func TestSelects(t *testing.T) {
	p := pod("a")
	for _, tt := range []struct {
		sel  *api.LabelSelector
		want bool
	}{
		{nil, false},
		{&api.LabelSelector{}, true},
		{&api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, true},
		{&api.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, false},
	} {
		b := budget(nil, nil)
		b.Spec.Selector = tt.sel
		if got := selects(b, p); got != tt.want {
			t.Errorf("selector %+v selects = %v, want %v", tt.sel, got, tt.want)
		}
	}
}
