package hub_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/hub/bustest"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/store"
)

const timeout = bustest.Timeout

func openStore(t *testing.T) *store.SQLStore {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{DSN: filepath.Join(t.TempDir(), "test.db")}, zerolog.Nop())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wire publishes every commit of s on bus, as the API server does.
func wire(s *store.SQLStore, bus hub.Bus) {
	s.SetOnCommit(func(cs []store.Change) { _ = bus.Publish(context.Background(), cs) })
}

func put(t *testing.T, s store.Store, name string) int64 {
	t.Helper()
	r, err := s.Create(context.Background(), &store.Record{
		Key: store.Key{Resource: "configmaps", Namespace: "default", Name: name},
		UID: "uid-" + name, Value: []byte(`{}`),
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return r.ResourceVersion
}

func putN(t *testing.T, s store.Store, prefix string, n int) (first, last int64) {
	t.Helper()
	for i := range n {
		rev := put(t, s, fmt.Sprint(prefix, i))
		if i == 0 {
			first = rev
		}
		last = rev
	}
	return first, last
}

func watch(t *testing.T, h *hub.Hub, from int64, filter func(*store.Change) bool) *hub.Watcher {
	t.Helper()
	w, err := h.Watch(context.Background(), from, filter)
	if err != nil {
		t.Fatalf("watch from %d: %v", from, err)
	}
	t.Cleanup(w.Stop)
	return w
}

func next(t *testing.T, w *hub.Watcher) store.Change {
	t.Helper()
	select {
	case c, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended: %v", w.Err())
		}
		return c
	case <-time.After(timeout):
		t.Fatal("timed out waiting for a change")
	}
	panic("unreachable")
}

// expectRevs receives the revisions from..to, in order, with nothing between.
func expectRevs(t *testing.T, w *hub.Watcher, from, to int64) {
	t.Helper()
	for rev := from; rev <= to; rev++ {
		if c := next(t, w); c.Revision != rev {
			t.Fatalf("got revision %d, want %d", c.Revision, rev)
		}
	}
}

// drain reads w until it ends and returns the revisions it got.
func drain(t *testing.T, w *hub.Watcher) []int64 {
	t.Helper()
	var revs []int64
	deadline := time.After(timeout)
	for {
		select {
		case c, ok := <-w.Events():
			if !ok {
				return revs
			}
			revs = append(revs, c.Revision)
		case <-deadline:
			t.Fatal("watch did not end")
		}
	}
}

func TestReplayThenLiveUnderConcurrentWriters(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	// A small ring makes some watchers replay from memory, others from the log.
	h := bustest.StartHub(t, s, bus, hub.WithRingSize(32), hub.WithWatcherBuffer(1<<16))
	putN(t, s, "pre-", 100)

	type result struct {
		from int64
		revs []int64
		last atomic.Int64
	}
	var (
		results []*result
		readers sync.WaitGroup
		writers sync.WaitGroup
	)
	// Writers keep going until every watcher has started.
	watching := make(chan struct{})
	for g := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-watching:
					if i >= 20 {
						return
					}
				default:
				}
				name := fmt.Sprintf("w%d-%d", g, i)
				if _, err := s.Create(context.Background(), &store.Record{
					Key: store.Key{Resource: "configmaps", Namespace: "default", Name: name}, Value: []byte(`{}`),
				}); err != nil {
					t.Errorf("create %s: %v", name, err)
					return
				}
			}
		}()
	}
	var watchers []*hub.Watcher
	for i := range 16 {
		rev, err := s.Revision(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		from := rand.Int64N(rev) + 1 // anywhere from the first write to now
		if i%4 == 0 {
			from = h.Revision() // as of the hub
		}
		w := watch(t, h, from, nil)
		watchers = append(watchers, w)
		r := &result{from: from}
		r.last.Store(from)
		results = append(results, r)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for c := range w.Events() {
				r.revs = append(r.revs, c.Revision)
				r.last.Store(c.Revision)
			}
		}()
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
	close(watching)
	writers.Wait()
	final, err := s.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	behind := func(r *result) bool { return r.last.Load() != final }
	for deadline := time.Now().Add(timeout); slices.ContainsFunc(results, behind); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			for i, r := range results {
				if behind(r) {
					t.Errorf("watcher %d from %d: at %d, want %d; Err = %v", i, r.from, r.last.Load(), final, watchers[i].Err())
				}
			}
			t.FailNow()
		}
	}
	for _, w := range watchers {
		w.Stop()
	}
	readers.Wait()
	for i, r := range results {
		if int64(len(r.revs)) != final-r.from {
			t.Errorf("watcher %d from %d: got %d changes, want %d", i, r.from, len(r.revs), final-r.from)
		}
		for j, rev := range r.revs {
			if rev != r.from+1+int64(j) {
				t.Fatalf("watcher %d from %d: change %d has revision %d, want %d", i, r.from, j, rev, r.from+1+int64(j))
			}
		}
	}
}

func TestWatchReplaysFromOldRevision(t *testing.T) {
	testsvc.Slow(t, "thousands of writes")
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	// Written before the hub starts: only the change log has them. More than
	// one page of the log.
	first, last := putN(t, s, "old-", 1100)
	h := bustest.StartHub(t, s, bus, hub.WithWatcherBuffer(1<<12))

	w := watch(t, h, first+2, nil)
	expectRevs(t, w, first+3, last)
	live := put(t, s, "live")
	expectRevs(t, w, live, live)

	// Changes the hub delivered are replayed from its ring.
	_, last2 := putN(t, s, "new-", 5)
	w2 := watch(t, h, live+1, nil)
	expectRevs(t, w2, live+2, last2)
}

// The ring keeps changes packed: a replay from it and Latest give back the
// very bytes stored, and Latest misses once the newest change is a deletion.
func TestRingReplayAndLatestValues(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	start := put(t, s, "first") // a watch from revision 0 would start now
	h := bustest.StartHub(t, s, bus)
	ctx := context.Background()
	k := store.Key{Resource: "configmaps", Namespace: "default", Name: "big"}
	value := []byte(`{"data":{"a":"` + strings.Repeat("minik8s ", 500) + `"}}`)
	r, err := s.Create(ctx, &store.Record{Key: k, UID: "uid-big", Value: value})
	if err != nil {
		t.Fatal(err)
	}
	bustest.WaitFor(t, "delivered", func() bool { return h.Revision() >= r.ResourceVersion })

	c := next(t, watch(t, h, start, nil))
	if c.Revision != r.ResourceVersion || string(c.Value) != string(value) {
		t.Fatalf("replayed revision %d, %d bytes; want %d, the %d bytes stored", c.Revision, len(c.Value), r.ResourceVersion, len(value))
	}
	got, ok := h.Latest(k)
	if !ok || got.ResourceVersion != r.ResourceVersion || string(got.Value) != string(value) {
		t.Fatalf("Latest = %v, %d bytes; want revision %d, the %d bytes stored", ok, len(got.Value), r.ResourceVersion, len(value))
	}
	if h.BufferedBytes() >= int64(len(value)) {
		t.Errorf("the ring holds %d bytes for a %d-byte repetitive value, want it packed", h.BufferedBytes(), len(value))
	}
	d, err := s.Delete(ctx, k, 0)
	if err != nil {
		t.Fatal(err)
	}
	bustest.WaitFor(t, "delete delivered", func() bool { return h.Revision() >= d.ResourceVersion })
	if _, ok := h.Latest(k); ok {
		t.Fatal("Latest found a deleted object")
	}
}

// Watchers indexed by a value (a node's pods) are offered only the changes
// whose value, before or after, is theirs; an object whose old value the
// hub does not know yet (changed before it started) goes to all of them.
// Each watcher's filter passes every pod, so what it gets is what the hub
// offered it.
func TestIndexedWatchers(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	ctx := context.Background()
	// A pod's Value is its node's name.
	index := hub.WithIndex(func(c *store.Change) (string, bool) { return string(c.Value), c.Resource == "pods" })
	pods := func(c *store.Change) bool { return c.Resource == "pods" }
	key := func(name string) store.Key { return store.Key{Resource: "pods", Namespace: "default", Name: name} }
	rvs := map[string]int64{}
	write := func(name, node string) int64 {
		t.Helper()
		var r *store.Record
		var err error
		if rv, ok := rvs[name]; ok {
			r, err = s.Update(ctx, &store.Record{Key: key(name), UID: "uid-" + name, Value: []byte(node)}, rv)
		} else {
			r, err = s.Create(ctx, &store.Record{Key: key(name), UID: "uid-" + name, Value: []byte(node)})
		}
		if err != nil {
			t.Fatal(err)
		}
		rvs[name] = r.ResourceVersion
		return r.ResourceVersion
	}
	watchOn := func(h *hub.Hub, node string) *hub.Watcher {
		t.Helper()
		w, err := h.WatchIndexed(ctx, 0, pods, hub.IndexKey{Resource: "pods", Value: node})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		return w
	}
	expect := func(w *hub.Watcher, revs ...int64) {
		t.Helper()
		for _, rev := range revs {
			if c := next(t, w); c.Revision != rev {
				t.Fatalf("got revision %d, want %d", c.Revision, rev)
			}
		}
	}

	h := bustest.StartHub(t, s, bus, index)
	wa, wb, all := watchOn(h, "a"), watchOn(h, "b"), watch(t, h, 0, pods)
	r1 := write("p1", "a")
	r2 := write("p2", "b")
	r3 := write("p2", "a") // moves: both nodes' watchers hear of it
	r4 := write("p1", "a")
	d, err := s.Delete(ctx, key("p2"), 0) // its last state is on a
	if err != nil {
		t.Fatal(err)
	}
	r5 := d.ResourceVersion
	r6 := write("p3", "b")
	r7 := write("p4", "a")
	expect(wa, r1, r3, r4, r5, r7)
	expect(wb, r2, r3, r6)
	expect(all, r1, r2, r3, r4, r5, r6, r7)

	// A second hub has seen none of these objects change: p1's next change
	// goes to b's watcher too, the one after only to a's.
	h2 := bustest.StartHub(t, s, bus, index)
	wb2 := watchOn(h2, "b")
	r8 := write("p1", "a")
	write("p1", "a")
	r10 := write("p5", "b")
	expect(wb2, r8, r10)
}

func TestWatchCompactedRevision(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	first, last := putN(t, s, "c-", 10)
	if err := s.Compact(context.Background(), first+4); err != nil {
		t.Fatal(err)
	}
	h := bustest.StartHub(t, s, bus) // its ring does not hold the old changes

	if _, err := h.Watch(context.Background(), first+1, nil); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("watch below the compacted revision: err = %v, want ErrCompacted", err)
	}
	w := watch(t, h, first+4, nil)
	expectRevs(t, w, first+5, last)
}

func TestWatchFromNowAndFuture(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	_, last := putN(t, s, "a-", 3)
	h := bustest.StartHub(t, s, bus)

	now := watch(t, h, 0, nil)
	future := watch(t, h, last+2, nil)
	_, last2 := putN(t, s, "b-", 3)
	expectRevs(t, now, last+1, last2)
	expectRevs(t, future, last+3, last2)
}

func TestWatchFilter(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	h := bustest.StartHub(t, s, bus)
	start := put(t, s, "first") // not 0, which means "from now"
	onlyA := func(c *store.Change) bool { return strings.HasPrefix(c.Name, "a-") }

	live := watch(t, h, 0, onlyA)
	for _, name := range []string{"a-1", "b-1", "b-2", "a-2"} {
		put(t, s, name)
	}
	replayed := watch(t, h, start, onlyA)
	for _, w := range []*hub.Watcher{live, replayed} {
		for _, want := range []string{"a-1", "a-2"} {
			if c := next(t, w); c.Name != want {
				t.Fatalf("got %s (%d), want %s", c.Name, c.Revision, want)
			}
		}
	}
}

func TestSlowWatcherIsCutOff(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	h := bustest.StartHub(t, s, bus, hub.WithWatcherBuffer(4))
	slow := watch(t, h, 0, nil)
	fast := watch(t, h, 0, nil)

	// The fast client takes each change before the next write; the slow one
	// never reads.
	var first int64
	for i := range 30 {
		rev := put(t, s, fmt.Sprint("x-", i))
		if i == 0 {
			first = rev
		}
		expectRevs(t, fast, rev, rev)
	}

	// The slow one gets what it had buffered, in order, then ends.
	revs := drain(t, slow)
	if len(revs) == 0 || len(revs) >= 30 {
		t.Fatalf("slow watcher got %d changes before closing, want a short prefix", len(revs))
	}
	for i, rev := range revs {
		if rev != first+int64(i) {
			t.Fatalf("slow watcher: change %d has revision %d, want %d", i, rev, first+int64(i))
		}
	}
	if !errors.Is(slow.Err(), hub.ErrSlowWatcher) {
		t.Fatalf("slow watcher Err = %v, want ErrSlowWatcher", slow.Err())
	}
	if n := h.Watchers(); n != 1 {
		t.Fatalf("Watchers() = %d, want 1", n)
	}
}

func TestGapIsFilledFromLog(t *testing.T) {
	s := openStore(t) // not wired: the test publishes by hand
	bus := hub.NewLocal(0)
	h := bustest.StartHub(t, s, bus, hub.WithPollInterval(time.Hour))
	w := watch(t, h, 0, nil)
	start := h.Revision()
	putN(t, s, "g-", 3)
	cs, err := s.Changes(context.Background(), start, 10)
	if err != nil || len(cs) != 3 {
		t.Fatalf("changes: %v, %d", err, len(cs))
	}
	publish := func(cs ...store.Change) {
		if err := bus.Publish(context.Background(), cs); err != nil {
			t.Fatal(err)
		}
	}

	publish(cs[1]) // N+2 before N+1
	expectRevs(t, w, start+1, start+2)
	publish(cs[0], cs[1]) // duplicates
	publish(cs[2])
	expectRevs(t, w, start+3, start+3)
}

func TestPollingHealsLostMessages(t *testing.T) {
	s := openStore(t) // not wired: every message is lost
	h := bustest.StartHub(t, s, hub.NewLocal(0), hub.WithPollInterval(20*time.Millisecond))
	w := watch(t, h, 0, nil)
	first, last := putN(t, s, "p-", 3)
	expectRevs(t, w, first, last)
}

// cutBus is a Bus whose subscriptions the test can end.
type cutBus struct {
	*hub.Local
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (b *cutBus) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	ctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.cancel = cancel
	b.mu.Unlock()
	return b.Local.Subscribe(ctx)
}

func (b *cutBus) cut() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cancel()
}

func TestResubscribesAndCatchesUp(t *testing.T) {
	s := openStore(t)
	bus := &cutBus{Local: hub.NewLocal(0)}
	wire(s, bus)
	h := bustest.StartHub(t, s, bus, hub.WithPollInterval(time.Hour))
	w := watch(t, h, 0, nil)

	bus.cut()
	bustest.WaitFor(t, "subscription gone", func() bool { return bus.Subscribers() == 0 })
	first, _ := putN(t, s, "lost-", 3) // published to nobody
	bustest.WaitFor(t, "resubscribed", func() bool { return bus.Subscribers() == 1 && h.Ready() })
	last := put(t, s, "after")
	expectRevs(t, w, first, last)
}

func TestHubCompactedPastItsRevision(t *testing.T) {
	s := openStore(t) // not wired
	bus := hub.NewLocal(0)
	h := bustest.StartHub(t, s, bus, hub.WithPollInterval(time.Hour))
	w := watch(t, h, 0, nil)
	_, last := putN(t, s, "k-", 5)
	if err := s.Compact(context.Background(), last-1); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Changes(context.Background(), last-1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(context.Background(), cs); err != nil { // reveals the gap
		t.Fatal(err)
	}
	drain(t, w)
	if !errors.Is(w.Err(), store.ErrCompacted) {
		t.Fatalf("Err = %v, want ErrCompacted", w.Err())
	}
	bustest.WaitFor(t, "hub at the newest revision", func() bool { return h.Revision() == last })
}

func TestStop(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	h := hub.New(s, bus, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()

	w1, err := h.Watch(context.Background(), 0, nil) // waits for Run to start
	if err != nil {
		t.Fatal(err)
	}
	w2, err := h.Watch(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.Watchers(); n != 2 {
		t.Fatalf("Watchers() = %d, want 2", n)
	}

	w1.Stop()
	if revs := drain(t, w1); len(revs) != 0 || w1.Err() != nil {
		t.Fatalf("stopped watcher: got %v, Err = %v", revs, w1.Err())
	}
	if n := h.Watchers(); n != 1 {
		t.Fatalf("Watchers() after Stop = %d, want 1", n)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	drain(t, w2)
	if !errors.Is(w2.Err(), hub.ErrStopped) {
		t.Fatalf("Err after Run returned = %v, want ErrStopped", w2.Err())
	}
	if _, err := h.Watch(context.Background(), 0, nil); !errors.Is(err, hub.ErrStopped) {
		t.Fatalf("Watch after Run returned: err = %v, want ErrStopped", err)
	}
	if h.Ready() {
		t.Fatal("Ready after Run returned")
	}
}

func BenchmarkDeliveryLatencyLocal(b *testing.B) {
	bus := hub.NewLocal(0)
	bustest.Latency(b, bus, bus)
}

// TestBookmarkFollowsQueuedChanges: a requested bookmark comes behind every
// change already queued for the watcher, at the hub's revision, even when
// the filter passes none of the later changes.
func TestBookmarkFollowsQueuedChanges(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	h := bustest.StartHub(t, s, bus)
	onlyA := func(c *store.Change) bool { return strings.HasPrefix(c.Name, "a-") }
	w := watch(t, h, 0, onlyA)

	first, last := putN(t, s, "a-", 5)
	bustest.WaitFor(t, "hub at the last write", func() bool { return h.Revision() >= last })
	// Queued but not yet read: the bookmark must not overtake them.
	if !w.RequestBookmark() {
		t.Fatal("RequestBookmark = false")
	}
	expectRevs(t, w, first, last)
	if c := next(t, w); c.Type != hub.Bookmark || c.Revision != last {
		t.Fatalf("got %s at %d, want a bookmark at %d", c.Type, c.Revision, last)
	}

	// Changes the filter drops still move the next bookmark on.
	_, lastB := putN(t, s, "b-", 3)
	bustest.WaitFor(t, "hub at the last write", func() bool { return h.Revision() >= lastB })
	w.RequestBookmark()
	if c := next(t, w); c.Type != hub.Bookmark || c.Revision != lastB {
		t.Fatalf("got %s at %d, want a bookmark at %d", c.Type, c.Revision, lastB)
	}
}

// TestLargeChangesStayUnderTheByteBounds: the ring keeps large changes
// within its byte bound, a watcher from a revision it dropped replays from
// the change log, and a watcher whose client does not read is closed once
// its pending changes pass their byte bound, long before their count does.
func TestLargeChangesStayUnderTheByteBounds(t *testing.T) {
	s := openStore(t)
	bus := hub.NewLocal(0)
	wire(s, bus)
	const ringBytes, watcherBytes = 1 << 20, 512 << 10
	h := bustest.StartHub(t, s, bus, hub.WithRingBytes(ringBytes), hub.WithWatcherBytes(watcherBytes))
	start := put(t, s, "start") // not 0, which means "from now"
	stalled := watch(t, h, start, nil)

	big := []byte(`{"data":"` + strings.Repeat("x", 200<<10) + `"}`)
	var first, last int64
	for i := range 20 {
		r, err := s.Create(context.Background(), &store.Record{
			Key: store.Key{Resource: "configmaps", Namespace: "default", Name: fmt.Sprint("big-", i)},
			UID: fmt.Sprint("uid-", i), Value: big,
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r.ResourceVersion
		}
		last = r.ResourceVersion
		bustest.WaitFor(t, "hub at the write", func() bool { return h.Revision() >= last })
		if b := h.BufferedBytes(); b > ringBytes {
			t.Fatalf("after %d changes of %d KiB the ring holds %d bytes, over its bound %d", i+1, len(big)>>10, b, ringBytes)
		}
	}
	// From before every held change: replayed from the change log.
	expectRevs(t, watch(t, h, start, nil), first, last)

	revs := drain(t, stalled)
	if len(revs) == 0 || int64(len(revs))*int64(len(big)) > 2*watcherBytes {
		t.Fatalf("the stalled watcher had %d changes of %d KiB pending, want about %d KiB", len(revs), len(big)>>10, watcherBytes>>10)
	}
	if !errors.Is(stalled.Err(), hub.ErrSlowWatcher) {
		t.Fatalf("stalled watcher Err = %v, want ErrSlowWatcher", stalled.Err())
	}
}
