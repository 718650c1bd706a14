package controllerutil

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/labels"
)

func TestExpectations(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := NewExpectations(time.Minute, func() time.Time { return clock })
	const rs = "default/web"
	if !e.Satisfied(rs) {
		t.Fatal("an owner without expectations must be satisfied")
	}
	e.ExpectCreations(rs, 2)
	e.CreationObserved(rs)
	if e.Satisfied(rs) {
		t.Fatal("satisfied with one create outstanding")
	}
	e.CreationObserved(rs)
	e.CreationObserved(rs) // an extra observation does not go negative
	if !e.Satisfied(rs) {
		t.Fatal("not satisfied after observing both creates")
	}

	e.ExpectDeletions(rs, []string{"default/a", "default/b"})
	e.DeletionObserved(rs, "default/a")
	e.DeletionObserved(rs, "default/a") // terminating, then deleted: counts once
	if e.Satisfied(rs) {
		t.Fatal("satisfied with b's deletion outstanding")
	}
	if _, dels := e.Pending(rs); dels != 1 {
		t.Fatalf("pending deletions %d, want 1", dels)
	}
	e.DeletionObserved(rs, "default/other") // not expected: ignored
	clock = clock.Add(time.Minute + time.Second)
	if !e.Satisfied(rs) {
		t.Fatal("expectations must expire after the timeout")
	}
	e.ExpectCreations(rs, 1)
	e.Delete(rs)
	if !e.Satisfied(rs) {
		t.Fatal("deleted expectations must be satisfied")
	}
}

func TestDeletionOrder(t *testing.T) {
	base := time.Unix(10000, 0)
	mk := func(name string, f func(*api.Pod)) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, CreationTimestamp: api.NewTime(base)}}
		p.Spec.NodeName = "n1"
		p.Status.Phase = api.PodRunning
		f(p)
		return p
	}
	readyAt := func(t time.Time) func(*api.Pod) {
		return func(p *api.Pod) {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(t)}}
		}
	}
	tests := []struct {
		name        string
		first, then *api.Pod
	}{
		{"unscheduled first", mk("a", func(p *api.Pod) { p.Spec.NodeName = "" }), mk("b", readyAt(base))},
		{"pending before running", mk("a", func(p *api.Pod) { p.Status.Phase = api.PodPending }), mk("b", func(*api.Pod) {})},
		{"unknown before running", mk("a", func(p *api.Pod) { p.Status.Phase = api.PodUnknown }), mk("b", func(*api.Pod) {})},
		{"pending before unknown", mk("a", func(p *api.Pod) { p.Status.Phase = api.PodPending }), mk("b", func(p *api.Pod) { p.Status.Phase = api.PodUnknown })},
		{"not ready before ready", mk("a", func(*api.Pod) {}), mk("b", readyAt(base))},
		{"recently ready first", mk("a", readyAt(base.Add(time.Minute))), mk("b", readyAt(base))},
		{"more restarts first", mk("a", func(p *api.Pod) {
			p.Status.ContainerStatuses = []api.ContainerStatus{{RestartCount: 1}, {RestartCount: 5}}
		}), mk("b", func(p *api.Pod) { p.Status.ContainerStatuses = []api.ContainerStatus{{RestartCount: 3}} })},
		{"newer first", mk("a", func(p *api.Pod) { p.CreationTimestamp = api.NewTime(base.Add(time.Second)) }), mk("b", func(*api.Pod) {})},
		{"name breaks ties", mk("a", func(*api.Pod) {}), mk("b", func(*api.Pod) {})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if DeletionOrder(tt.first, tt.then) >= 0 || DeletionOrder(tt.then, tt.first) <= 0 {
				t.Fatalf("%s should go before %s", tt.first.Name, tt.then.Name)
			}
			if got := PodsToDelete([]*api.Pod{tt.then, tt.first}, 1); got[0] != tt.first {
				t.Fatalf("PodsToDelete picked %s", got[0].Name)
			}
		})
	}
}

func TestSlowStartBatch(t *testing.T) {
	tests := []struct {
		name      string
		count     int
		failAt    int64 // the call number (from 1) that starts failing; 0: never
		wantOK    int
		wantCalls int64
	}{
		{"all succeed", 10, 0, 10, 10},
		{"none", 0, 0, 0, 0},
		{"first fails", 10, 1, 0, 1},
		{"fails in the third batch", 10, 5, 4, 7}, // batches 1, 2, 4: calls 4–7 run, 5–7 fail, no fourth batch
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			ok, err := SlowStartBatch(tt.count, 1, func() error {
				if n := calls.Add(1); tt.failAt > 0 && n >= tt.failAt {
					return errors.New("boom")
				}
				return nil
			})
			if ok != tt.wantOK || calls.Load() != tt.wantCalls || (err != nil) != (tt.failAt > 0) {
				t.Fatalf("ok %d calls %d err %v; want ok %d calls %d", ok, calls.Load(), err, tt.wantOK, tt.wantCalls)
			}
		})
	}
}

func TestClaim(t *testing.T) {
	owner := &api.ObjectMeta{Name: "web", Namespace: "default", UID: "owner"}
	ref := api.NewControllerRef(*owner, "apps/v1", "ReplicaSet")
	other := api.NewControllerRef(api.ObjectMeta{Name: "x", UID: "other"}, "apps/v1", "ReplicaSet")
	pod := func(name, app string, refs ...api.OwnerReference) *api.Pod {
		return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, UID: "uid-" + name, Labels: map[string]string{"app": app}, OwnerReferences: refs}}
	}
	sel := labels.SelectorFromSet(map[string]string{"app": "web"})
	owned := []*api.Pod{pod("keep", "web", *ref), pod("release", "db", *ref), pod("foreign", "web", *other)}
	orphans := []*api.Pod{pod("adopt", "web"), pod("nomatch", "db")}

	run := func(canAdopt error, owner *api.ObjectMeta) ([]string, map[string]string, error) {
		patches := map[string]string{}
		got, err := Claim(context.Background(), Claimer{
			Owner: owner, OwnerAPIVersion: "apps/v1", OwnerKind: "ReplicaSet", Selector: sel,
			CanAdopt: func(context.Context) error { return canAdopt },
			Patch: func(_ context.Context, name string, p []byte) error {
				patches[name] = string(p)
				return nil
			},
		}, owned, orphans)
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
		}
		return names, patches, err
	}

	names, patches, err := run(nil, owner)
	if err != nil || !slices.Equal(names, []string{"keep", "adopt"}) {
		t.Fatalf("claimed %v, err %v", names, err)
	}
	if len(patches) != 2 || !strings.Contains(patches["release"], `"$patch":"delete"`) || !strings.Contains(patches["adopt"], `"blockOwnerDeletion":true`) {
		t.Fatalf("patches %v", patches)
	}

	names, patches, err = run(ErrOwnerChanged, owner)
	if !errors.Is(err, ErrOwnerChanged) || !slices.Equal(names, []string{"keep"}) || patches["adopt"] != "" {
		t.Fatalf("owner gone: claimed %v, patches %v, err %v", names, patches, err)
	}

	deleting := *owner
	deleting.DeletionTimestamp = &api.Time{Time: time.Now()}
	names, patches, err = run(nil, &deleting)
	if err != nil || !slices.Equal(names, []string{"keep"}) || len(patches) != 0 {
		t.Fatalf("owner being deleted: claimed %v, patches %v, err %v", names, patches, err)
	}
}

// randomPods makes n pods whose every attribute DeletionOrder reads varies,
// with many ties.
func randomPods(n int, rng *rand.Rand) []*api.Pod {
	base := time.Unix(10000, 0)
	phases := []api.PodPhase{api.PodPending, api.PodUnknown, api.PodRunning, api.PodRunning}
	pods := make([]*api.Pod, n)
	for i := range pods {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%05d", rng.IntN(n)),
			CreationTimestamp: api.NewTime(base.Add(time.Duration(rng.IntN(5)) * time.Second))}}
		if rng.IntN(8) > 0 {
			p.Spec.NodeName = "n1"
		}
		p.Status.Phase = phases[rng.IntN(len(phases))]
		if rng.IntN(2) == 0 {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue,
				LastTransitionTime: api.NewTime(base.Add(time.Duration(rng.IntN(4)) * time.Minute))}}
		}
		p.Status.ContainerStatuses = []api.ContainerStatus{{RestartCount: int32(rng.IntN(3))}}
		pods[i] = p
	}
	return pods
}

// TestPodsToDelete: the n pods PodsToDelete picks are the n first of all
// of them sorted by DeletionOrder, in that order, and pods is unchanged.
func TestPodsToDelete(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 2, 50, 2000} {
		pods := randomPods(size, rng)
		sorted := slices.Clone(pods)
		slices.SortStableFunc(sorted, DeletionOrder)
		for _, n := range []int{-1, 0, 1, 7, size / 2, size - 1, size, size + 3} {
			before := slices.Clone(pods)
			got := PodsToDelete(pods, n)
			want := sorted[:min(max(n, 0), size)]
			if len(got) != len(want) {
				t.Fatalf("%d pods, n %d: %d picked, want %d", size, n, len(got), len(want))
			}
			for i := range got {
				// Equal names can tie completely; compare ranks, not pointers.
				if DeletionOrder(got[i], want[i]) != 0 {
					t.Fatalf("%d pods, n %d: pick %d is %s, want %s", size, n, i, got[i].Name, want[i].Name)
				}
			}
			if !slices.Equal(pods, before) {
				t.Fatalf("%d pods, n %d: PodsToDelete reordered its argument", size, n)
			}
		}
	}
}

// BenchmarkPodsToDelete: one scale-down step (a burst of 500) of a
// ReplicaSet of 150,000 pods.
func BenchmarkPodsToDelete(b *testing.B) {
	pods := randomPods(150000, rand.New(rand.NewPCG(1, 2)))
	for b.Loop() {
		PodsToDelete(pods, 500)
	}
}
