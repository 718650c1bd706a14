package replicaset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/internal/testpoll"
	"github.com/minik8s/minik8s/labels"
)

// TestTallyCountsAsAScan applies random pod events to a tally and to a
// map standing for the cache, and checks after each that the tally's
// counts are those of a pass over the cached pods.
func TestTallyCountsAsAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rss := []*api.ReplicaSet{newRS(3), newRS(3)}
	rss[1].Name, rss[1].UID = "db", "db-uid"
	rss[1].Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	rss[1].Spec.Template.Labels = map[string]string{"app": "db"}
	labelSets := []map[string]string{{"app": "web", "tier": "front"}, {"app": "web"}, {"app": "db"}, {"app": "other"}}
	randomPod := func(name string) *api.Pod {
		p := pod(name, withLabels(labelSets[rng.IntN(len(labelSets))]))
		p.UID = fmt.Sprintf("uid-%s-%d", name, rng.IntN(2)) // sometimes the same name is a new pod
		switch rng.IntN(3) {
		case 0:
			owned(p)
		case 1:
			p.OwnerReferences = []api.OwnerReference{*api.NewControllerRef(rss[1].ObjectMeta, apiVersion, kind)}
		}
		if rng.IntN(2) == 0 {
			ready(now)(p)
		}
		switch rng.IntN(6) {
		case 0:
			p.DeletionTimestamp = &api.Time{Time: now}
		case 1:
			p.Status.Phase = api.PodSucceeded
		}
		return p
	}
	tl := newTally()
	if _, ok := tl.count(rss[0], labels.Everything()); ok {
		t.Fatal("a tally counted before it had the first list")
	}
	tl.listed = func() bool { return true }
	cache := map[string]*api.Pod{}
	for step := range 3000 {
		name := fmt.Sprintf("p%d", rng.IntN(40))
		old, exists := cache[name]
		switch {
		case exists && rng.IntN(4) == 0:
			delete(cache, name)
			tl.OnDelete(old)
		case exists:
			cur := randomPod(name)
			cache[name] = cur
			tl.OnUpdate(old, cur)
		default:
			cur := randomPod(name)
			cache[name] = cur
			tl.OnAdd(cur)
		}
		if step == 1500 { // a new template: the counts start again
			rs := api.DeepCopy(rss[0])
			rs.Spec.Template.Labels = map[string]string{"app": "web"}
			rss[0] = rs
		}
		for _, rs := range rss {
			sel, err := labels.FromLabelSelector(rs.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			var claimed []*api.Pod
			mismatched := 0
			for _, p := range cache {
				if r := api.GetControllerOf(&p.ObjectMeta); r == nil || r.UID != rs.UID {
					continue
				}
				switch {
				case !controllerutil.IsPodActive(p):
				case sel.Matches(p.Labels):
					claimed = append(claimed, p)
				default:
					mismatched++
				}
			}
			want := countOf(rs, claimed, now)
			want.mismatched = mismatched
			got, ok := tl.count(rs, sel)
			if !ok || got != want {
				t.Fatalf("step %d, %s: tally %+v (ok %v), a scan %+v", step, rs.Name, got, ok, want)
			}
		}
	}
}

// TestSyncCountsFromTheTally: once the tally has had the informer's first
// list, a sync takes the status from it; before, or with an orphan to
// adopt or a pod to delete, from the cache.
func TestSyncCountsFromTheTally(t *testing.T) {
	pods := []*api.Pod{pod("a", owned, ready(now)), pod("b", owned)}
	c, w, _ := newTestController(t, []*api.ReplicaSet{newRS(2)}, pods)
	lastStatus := func() api.ReplicaSetStatus {
		t.Helper()
		if _, err := c.sync(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		return w.statuses[len(w.statuses)-1]
	}
	// b made ready in the tally alone shows in a status from the tally.
	c.tally.OnUpdate(pods[1], pod("b", owned, ready(now)))
	if st := lastStatus(); st.Replicas != 2 || st.ReadyReplicas != 1 {
		t.Fatalf("status %+v, want it from the cache: the tally has not had the first list", st)
	}
	c.tally.listed = c.pods.AddHandler(c.tally)
	testpoll.Eventually(t, 10*time.Second, "the tally has the first list", c.tally.listed)
	c.tally.OnUpdate(pods[1], pod("b", owned, ready(now)))
	if st := lastStatus(); st.Replicas != 2 || st.ReadyReplicas != 2 || st.AvailableReplicas != 2 || st.FullyLabeledReplicas != 2 {
		t.Fatalf("status %+v, want it from the tally", st)
	}
	// A third pod in the tally alone: one too many, so the ReplicaSet
	// claims its pods from the cache to choose one to delete, and finds 2.
	c.tally.OnAdd(pod("c", owned, ready(now)))
	if st := lastStatus(); st.Replicas != 2 || st.ReadyReplicas != 1 {
		t.Fatalf("status %+v, want it from the cache", st)
	}
	if w.count("create") != 0 || w.count("delete") != 0 {
		t.Fatalf("calls %v", w.calls)
	}
}
