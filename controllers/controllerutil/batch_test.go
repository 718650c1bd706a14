package controllerutil

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/informer/informertest"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestLoopBatchesSlowKeys: AddBatched queues a key whose last sync took
// long only after batchFactor times that long, and the adds arriving meanwhile give
// one sync; a key whose sync was quick is not held back.
func TestLoopBatchesSlowKeys(t *testing.T) {
	const took = 30 * time.Millisecond
	slow, quick := informer.Key{Namespace: "ns", Name: "slow"}, informer.Key{Namespace: "ns", Name: "quick"}
	var (
		mu     sync.Mutex
		starts = map[informer.Key][]time.Time{}
	)
	count := func(k informer.Key) int {
		mu.Lock()
		defer mu.Unlock()
		return len(starts[k])
	}
	l := &Loop{Name: "test controller", Log: zerolog.Nop(),
		HasSynced: []func() bool{func() bool { return true }},
		Sync: func(_ context.Context, k informer.Key) (time.Duration, error) {
			mu.Lock()
			starts[k] = append(starts[k], time.Now())
			mu.Unlock()
			if k == slow {
				time.Sleep(took)
			}
			return 0, nil
		},
	}
	defer startLoop(t, l, 2)()

	l.AddBatched(slow) // never synced: at once
	l.Add(quick)
	testpoll.Eventually(t, 10*time.Second, "first syncs", func() bool {
		_, recorded := l.slow.Load(slow)
		return count(slow) == 1 && count(quick) == 1 && recorded
	})
	if _, ok := l.slow.Load(quick); ok {
		t.Fatal("a quick sync was recorded as slow")
	}

	added := time.Now()
	for range 20 {
		l.AddBatched(slow)
		l.AddBatched(quick)
		time.Sleep(time.Millisecond)
	}
	testpoll.Eventually(t, 10*time.Second, "the batched slow key synced again", func() bool { return count(slow) == 2 })
	mu.Lock()
	second := starts[slow][1]
	mu.Unlock()
	if d := second.Sub(added); d < batchFactor*took {
		t.Errorf("batched slow key synced %s after the first add, want at least %s", d, batchFactor*took)
	}
	time.Sleep(2 * batchFactor * took) // room for a sync too many
	if n := count(slow); n != 2 {
		t.Errorf("slow key synced %d times, want 2: twenty adds within its batch give one sync", n)
	}
	if n := count(quick); n < 2 {
		t.Errorf("quick key synced %d times, want at least 2", n)
	}
}

// TestHandlersBatchStatusChanges: what can only change the owner's
// status is queued with AddBatched, what lets it act at once.
func TestHandlersBatchStatusChanges(t *testing.T) {
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "ns", Name: "web", UID: "rs-uid", Generation: 1}}
	rs.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	owners := informer.New[*api.ReplicaSet](informertest.Static[*api.ReplicaSet]{Items: []*api.ReplicaSet{rs}}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go owners.Run(ctx)
	if !informer.WaitForCacheSync(ctx, owners.HasSynced) {
		t.Fatal("owners did not sync")
	}

	l := &Loop{Name: "test controller", Log: zerolog.Nop()}
	key := informer.KeyOf(rs)
	l.slow.Store(key, time.Hour) // as if its last sync had been slow: batched adds wait
	exp := NewExpectations(0, nil)
	pods := DependentHandler[*api.Pod](owners, "ReplicaSet",
		func(rs *api.ReplicaSet) *api.LabelSelector { return rs.Spec.Selector }, exp, l)
	own := Handler[*api.ReplicaSet](l)

	pod := func(rv string, change func(p *api.Pod)) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "ns", Name: "web-1", UID: "pod-uid", ResourceVersion: rv,
			Labels:          map[string]string{"app": "web"},
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(rs.ObjectMeta, "apps/v1", "ReplicaSet")}}}
		if change != nil {
			change(p)
		}
		return p
	}
	queued := func() bool {
		q := l.current()
		if q.Len() == 0 {
			return false
		}
		k, _ := q.Get()
		q.Done(k)
		return true
	}
	ready := func(p *api.Pod) { p.Status.Phase = api.PodRunning }
	relabelled := func(p *api.Pod) { p.Labels = map[string]string{"app": "other"} }
	deleting := func(p *api.Pod) { now := api.Now(); p.DeletionTimestamp = &now }
	rsWith := func(gen int64, deleting bool) *api.ReplicaSet {
		c := api.DeepCopy(rs)
		c.Generation = gen
		if deleting {
			now := api.Now()
			c.DeletionTimestamp = &now
		}
		return c
	}

	exp.ExpectCreations(key.String(), 2)
	for _, tc := range []struct {
		name  string
		event func()
		now   bool
	}{
		{"a create observed, one more expected", func() { pods.OnAdd(pod("1", nil)) }, false},
		{"the last create observed", func() { pods.OnAdd(pod("1", nil)) }, true},
		{"a pod's status", func() { pods.OnUpdate(pod("1", nil), pod("2", ready)) }, false},
		{"a pod's labels", func() { pods.OnUpdate(pod("2", nil), pod("3", relabelled)) }, true},
		{"a pod deleted, nothing expected", func() { pods.OnDelete(pod("3", nil)) }, true},
		{"the owner's status", func() { own.OnUpdate(rsWith(1, false), rsWith(1, false)) }, false},
		{"the owner's spec", func() { own.OnUpdate(rsWith(1, false), rsWith(2, false)) }, true},
		{"the owner being deleted", func() { own.OnUpdate(rsWith(1, false), rsWith(1, true)) }, true},
	} {
		tc.event()
		if got := queued(); got != tc.now {
			t.Errorf("%s: queued at once %v, want %v", tc.name, got, tc.now)
		}
	}
	exp.ExpectDeletions(key.String(), []string{"ns/web-1", "ns/web-2"})
	pods.OnUpdate(pod("4", nil), pod("5", deleting))
	if queued() {
		t.Error("a deletion observed with another expected: queued at once, want batched")
	}
}
