package replicaset

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// fakeWriter records the controller's writes.
type fakeWriter struct {
	mu        sync.Mutex
	calls     []string
	created   []*api.Pod
	patches   map[string]string
	statuses  []api.ReplicaSetStatus
	createErr error
}

func (f *fakeWriter) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeWriter) CreatePod(_ context.Context, p *api.Pod) (*api.Pod, error) {
	f.record("create " + p.GenerateName)
	if f.createErr != nil {
		return nil, f.createErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, p)
	out := api.DeepCopy(p)
	out.Name = fmt.Sprintf("%s%d", p.GenerateName, len(f.created))
	return out, nil
}

func (f *fakeWriter) DeletePod(_ context.Context, ns, name, _ string) error {
	f.record("delete " + ns + "/" + name)
	return nil
}

func (f *fakeWriter) PatchPod(_ context.Context, ns, name string, patch []byte) error {
	f.record("patch " + ns + "/" + name)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patches[name] = string(patch)
	return nil
}

func (f *fakeWriter) GetReplicaSet(_ context.Context, ns, name string) (*api.ReplicaSet, error) {
	f.record("get " + ns + "/" + name)
	return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, UID: "rs-uid"}}, nil
}

func (f *fakeWriter) UpdateReplicaSetStatus(_ context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error) {
	f.record("status " + rs.Key())
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, rs.Status)
	return rs, nil
}

func (f *fakeWriter) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

type recordedEvent struct{ reason, message string }

type fakeRecorder struct {
	mu     sync.Mutex
	events []recordedEvent
}

func (r *fakeRecorder) Eventf(_ api.ObjectReference, _, reason, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, recordedEvent{reason, fmt.Sprintf(format, args...)})
}

var now = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func int32p(n int32) *int32 { return &n }

func newRS(replicas int32) *api.ReplicaSet {
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "rs-uid", Generation: 2},
		Spec: api.ReplicaSetSpec{
			Replicas: int32p(replicas),
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}},
			},
		},
	}
}

type podOpt func(*api.Pod)

func owned(p *api.Pod) {
	p.OwnerReferences = []api.OwnerReference{*api.NewControllerRef(api.ObjectMeta{Name: "web", UID: "rs-uid"}, apiVersion, kind)}
}

func ready(since time.Time) podOpt {
	return func(p *api.Pod) {
		p.Status.Phase = api.PodRunning
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(since)}}
	}
}

func scheduled(p *api.Pod) { p.Spec.NodeName = "n1" }

func withLabels(l map[string]string) podOpt { return func(p *api.Pod) { p.Labels = l } }

func pod(name string, opts ...podOpt) *api.Pod {
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name,
			Labels: map[string]string{"app": "web", "tier": "front"}, CreationTimestamp: api.NewTime(now.Add(-time.Hour))},
		Status: api.PodStatus{Phase: api.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// newTestController returns a controller whose caches hold rss and pods
// and whose writes are recorded.
func newTestController(t *testing.T, rss []*api.ReplicaSet, pods []*api.Pod) (*Controller, *fakeWriter, *fakeRecorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pi := informer.New[*api.Pod](informertest.Static[*api.Pod]{Items: pods}, 0, controllerutil.Indexers[*api.Pod]()...)
	ri := informer.New[*api.ReplicaSet](informertest.Static[*api.ReplicaSet]{Items: rss}, 0, controllerutil.Indexers[*api.ReplicaSet]()...)
	go pi.Run(ctx)
	go ri.Run(ctx)
	if !informer.WaitForCacheSync(ctx, pi.HasSynced, ri.HasSynced) {
		t.Fatal("caches did not sync")
	}
	cl, err := client.New(client.Config{Server: "http://127.0.0.1:1"}) // never used: writes go to the fake
	if err != nil {
		t.Fatal(err)
	}
	rec := &fakeRecorder{}
	c, err := New(DefaultConfig(), Deps{Client: cl, Pods: pi, ReplicaSets: ri, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWriter{patches: map[string]string{}}
	c.w = w
	c.now = func() time.Time { return now }
	return c, w, rec
}

var key = informer.Key{Namespace: "default", Name: "web"}

func TestSyncCreatesOnceWithExpectations(t *testing.T) {
	c, w, rec := newTestController(t, []*api.ReplicaSet{newRS(5)}, []*api.Pod{pod("a", owned)})
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if n := w.count("create web-"); n != 4 {
		t.Fatalf("%d creates, want 4: %v", n, w.calls)
	}
	p := w.created[0]
	ref := api.GetControllerOf(&p.ObjectMeta)
	if ref == nil || ref.UID != "rs-uid" || ref.Kind != "ReplicaSet" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Fatalf("owner reference %+v", ref)
	}
	if p.Labels["tier"] != "front" || p.Spec.Containers[0].Image != "nginx" {
		t.Fatalf("pod not from the template: %+v", p)
	}
	if adds, _ := c.exp.Pending("default/web"); adds != 4 {
		t.Fatalf("expected creates = %d, want 4", adds)
	}
	// The informer has not seen the new pods: a second sync must not
	// create again.
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if n := w.count("create"); n != 4 {
		t.Fatalf("second sync created again: %d creates", n)
	}
	if len(rec.events) != 4 || rec.events[0].reason != "SuccessfulCreate" || !strings.HasPrefix(rec.events[0].message, "Created pod: web-") {
		t.Fatalf("events %+v", rec.events)
	}
	// Observing the creates lets the ReplicaSet act again.
	for range 4 {
		c.exp.CreationObserved("default/web")
	}
	if !c.exp.Satisfied("default/web") {
		t.Fatal("expectations not satisfied after observing every create")
	}
}

func TestSyncDeletesInPreferenceOrder(t *testing.T) {
	pods := []*api.Pod{
		pod("running-ready", owned, scheduled, ready(now.Add(-time.Hour))),
		pod("unscheduled", owned),
		pod("running-unready", owned, scheduled, func(p *api.Pod) { p.Status.Phase = api.PodRunning }),
		pod("ready-recently", owned, scheduled, ready(now.Add(-time.Minute))),
		pod("terminating", owned, scheduled, func(p *api.Pod) { p.DeletionTimestamp = &api.Time{Time: now} }),
	}
	c, w, rec := newTestController(t, []*api.ReplicaSet{newRS(1)}, pods)
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unscheduled", "running-unready", "ready-recently"} {
		if w.count("delete default/"+want) != 1 {
			t.Errorf("%s not deleted: %v", want, w.calls)
		}
	}
	if w.count("delete") != 3 {
		t.Fatalf("deleted %d pods, want 3 (the terminating one does not count): %v", w.count("delete"), w.calls)
	}
	if _, dels := c.exp.Pending("default/web"); dels != 3 {
		t.Fatalf("%d deletions expected, want 3 until the informer sees them", dels)
	}
	if len(rec.events) != 3 || rec.events[0].reason != "SuccessfulDelete" {
		t.Fatalf("events %+v", rec.events)
	}
	st := w.statuses[len(w.statuses)-1]
	if st.Replicas != 4 || st.ReadyReplicas != 2 || st.AvailableReplicas != 2 || st.FullyLabeledReplicas != 4 || st.ObservedGeneration != 2 {
		t.Fatalf("status %+v (computed from the pods before the deletes)", st)
	}
}

func TestSyncAdoptsAndReleases(t *testing.T) {
	pods := []*api.Pod{
		pod("orphan"),
		pod("other-app", withLabels(map[string]string{"app": "db"})),
		pod("relabelled", owned, withLabels(map[string]string{"app": "web2"})),
		pod("mine", owned),
	}
	c, w, _ := newTestController(t, []*api.ReplicaSet{newRS(2)}, pods)
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if w.count("get default/web") != 1 {
		t.Fatalf("adoption must re-read the owner once: %v", w.calls)
	}
	adopt, release := w.patches["orphan"], w.patches["relabelled"]
	if !strings.Contains(adopt, `"uid":"rs-uid"`) || !strings.Contains(adopt, `"controller":true`) {
		t.Fatalf("adopt patch %s", adopt)
	}
	if !strings.Contains(release, `"$patch":"delete"`) || !strings.Contains(release, `"uid":"rs-uid"`) {
		t.Fatalf("release patch %s", release)
	}
	if _, ok := w.patches["other-app"]; ok {
		t.Fatal("patched a pod the selector does not match")
	}
	if w.count("create") != 0 || w.count("delete") != 0 {
		t.Fatalf("mine + orphan make 2 replicas, nothing to create or delete: %v", w.calls)
	}
}

func TestSyncCreateFailureStopsSlowStart(t *testing.T) {
	c, w, rec := newTestController(t, []*api.ReplicaSet{newRS(10)}, nil)
	w.createErr = errors.New("quota exceeded")
	if _, err := c.sync(context.Background(), key); err == nil {
		t.Fatal("sync succeeded though creates failed")
	}
	if n := w.count("create"); n != 1 {
		t.Fatalf("%d creates after the first failed, want 1", n)
	}
	if !c.exp.Satisfied("default/web") {
		t.Fatal("failed and skipped creates must not be expected")
	}
	if rec.events[0].reason != "FailedCreate" || !strings.Contains(rec.events[0].message, "quota exceeded") {
		t.Fatalf("events %+v", rec.events)
	}
	st := w.statuses[len(w.statuses)-1]
	if len(st.Conditions) != 1 || st.Conditions[0].Type != api.ReplicaSetReplicaFailure || st.Conditions[0].Reason != "FailedCreate" {
		t.Fatalf("conditions %+v", st.Conditions)
	}
}

func TestSyncRequeuesForMinReadySeconds(t *testing.T) {
	rs := newRS(2)
	rs.Spec.MinReadySeconds = 10
	pods := []*api.Pod{pod("old", owned, ready(now.Add(-time.Minute))), pod("new", owned, ready(now.Add(-4*time.Second)))}
	c, w, _ := newTestController(t, []*api.ReplicaSet{rs}, pods)
	after, err := c.sync(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if after != 7*time.Second {
		t.Fatalf("requeue after %s, want 7s (6s left plus a second)", after)
	}
	st := w.statuses[len(w.statuses)-1]
	if st.ReadyReplicas != 2 || st.AvailableReplicas != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestSyncGoneReplicaSetForgetsExpectations(t *testing.T) {
	c, w, _ := newTestController(t, nil, nil)
	c.exp.ExpectCreations("default/web", 3)
	if _, err := c.sync(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 0 || !c.exp.Satisfied("default/web") {
		t.Fatalf("calls %v", w.calls)
	}
}
