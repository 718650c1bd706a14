package clientgo

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// TestLeaderElection runs client-go's own leader election with a LeaseLock
// against minik8s's Lease API: of three candidates exactly one leads; when
// its context is cancelled it releases the Lease and another takes over,
// and at no time do two lead at once.
func TestLeaderElection(t *testing.T) {
	ns := newNamespace(t)
	const lease = "clientgo-election"
	e := &electionLog{leading: map[string]bool{}}
	ids := []string{"candidate-a", "candidate-b", "candidate-c"}
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, id := range ids {
		// Each candidate has a client of its own, as separate processes would.
		cs := kubernetes.NewForConfigOrDie(cluster.config)
		el, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: ns, Name: lease},
				Client:     cs.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: id},
			},
			LeaseDuration:   2 * time.Second,
			RenewDeadline:   1500 * time.Millisecond,
			RetryPeriod:     300 * time.Millisecond,
			ReleaseOnCancel: true,
			Name:            id,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					e.start(id)
					<-ctx.Done()
					e.stop(id)
				},
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			t.Fatalf("new leader elector: %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancels[id] = cancel
		wg.Add(1)
		go func() { defer wg.Done(); el.Run(ctx) }()
	}
	t.Cleanup(func() {
		for _, cancel := range cancels {
			cancel()
		}
		wg.Wait()
	})

	first := e.waitLeader(t, "")
	// Several retry periods and a lease duration later, still just one.
	time.Sleep(2500 * time.Millisecond)
	if got := e.current(); len(got) != 1 || got[0] != first {
		t.Fatalf("after 2.5s the leaders are %v, want just %s", got, first)
	}
	holder, transitions := leaseHolder(t, ns, lease)
	if holder != first {
		t.Fatalf("Lease holder %q, want the leader %s", holder, first)
	}

	cancels[first]()
	second := e.waitLeader(t, first)
	t.Logf("%s led, then %s", first, second)
	holder, transitions2 := leaseHolder(t, ns, lease)
	if holder != second || transitions2 != transitions+1 {
		t.Fatalf("Lease after the handover: holder %q, %d transitions; want %s, %d", holder, transitions2, second, transitions+1)
	}
	if n := e.maxAtOnce(); n != 1 {
		t.Fatalf("%d candidates led at once", n)
	}
}

// electionLog records who leads, from OnStartedLeading until the context
// it gets is done: the span in which a leader may act.
type electionLog struct {
	mu         sync.Mutex
	leading    map[string]bool
	maxLeaders int
	changed    chan struct{} // closed and replaced on every change
}

func (e *electionLog) start(id string) { e.set(id, true) }
func (e *electionLog) stop(id string)  { e.set(id, false) }

func (e *electionLog) set(id string, on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if on {
		e.leading[id] = true
	} else {
		delete(e.leading, id)
	}
	e.maxLeaders = max(e.maxLeaders, len(e.leading))
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// current returns the candidates leading now.
func (e *electionLog) current() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id := range e.leading {
		ids = append(ids, id)
	}
	return ids
}

// maxAtOnce is the most candidates that ever led at the same time.
func (e *electionLog) maxAtOnce() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxLeaders
}

// waitLeader waits up to 10s for exactly one leader other than not.
func (e *electionLog) waitLeader(t *testing.T, not string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		if len(e.leading) == 1 && !e.leading[not] {
			for id := range e.leading {
				e.mu.Unlock()
				return id
			}
		}
		if e.changed == nil {
			e.changed = make(chan struct{})
		}
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no single new leader within 10s (leading: %v, not counting %q)", e.current(), not)
		}
	}
}

// leaseHolder reads the Lease's holder and its count of transitions.
func leaseHolder(t *testing.T, ns, name string) (string, int32) {
	t.Helper()
	l, err := cluster.client.CoordinationV1().Leases(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Lease: %v", err)
	}
	if l.Spec.HolderIdentity == nil || l.Spec.LeaseTransitions == nil {
		t.Fatalf("Lease spec lacks holder or transitions: %+v", l.Spec)
	}
	return *l.Spec.HolderIdentity, *l.Spec.LeaseTransitions
}
