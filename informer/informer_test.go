package informer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// recorder is a Handler that logs every call as a string and checks that
// calls never overlap.
type recorder struct {
	mu      sync.Mutex
	calls   []string
	active  atomic.Int32
	overlap atomic.Bool
}

func (r *recorder) add(s string) {
	if r.active.Add(1) != 1 {
		r.overlap.Store(true)
	}
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
	r.active.Add(-1)
}

func (r *recorder) OnAdd(p *api.Pod) { r.add("add " + KeyOf(p).String() + "@" + p.ResourceVersion) }
func (r *recorder) OnUpdate(o, n *api.Pod) {
	r.add("update " + KeyOf(n).String() + "@" + o.ResourceVersion + ">" + n.ResourceVersion)
}
func (r *recorder) OnDelete(p *api.Pod) {
	r.add("delete " + KeyOf(p).String() + "@" + p.ResourceVersion)
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}

var byNode = Indexer[*api.Pod]{Name: "node", Func: func(p *api.Pod) []string {
	if p.Spec.NodeName == "" {
		return nil
	}
	return []string{p.Spec.NodeName}
}}

// start runs an informer of src until the test ends.
func start(t *testing.T, src *fakeSource, resync time.Duration, h Handler[*api.Pod]) *Informer[*api.Pod] {
	t.Helper()
	inf := New[*api.Pod](src, resync, byNode)
	inf.minBackoff, inf.maxBackoff = time.Millisecond, 10*time.Millisecond
	if h != nil {
		inf.AddHandler(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- inf.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if !WaitForCacheSync(wctx, inf.HasSynced) {
		t.Fatal("cache did not sync")
	}
	return inf
}

// cacheState is the cache as key → resourceVersion.
func cacheState(inf *Informer[*api.Pod]) map[Key]string {
	m := make(map[Key]string)
	for _, p := range inf.List() {
		m[KeyOf(p)] = p.ResourceVersion
	}
	return m
}

func sameState(a, b map[Key]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func waitInStep(t *testing.T, src *fakeSource, inf *Informer[*api.Pod]) {
	t.Helper()
	eventually(t, "cache equal to source", func() bool { return sameState(cacheState(inf), src.snapshot()) })
}

func TestListThenWatch(t *testing.T) {
	src := newFakeSource(pod("ns", "a", "n1"), pod("ns", "b", ""), pod("other", "c", "n1"))
	rec := &recorder{}
	inf := start(t, src, 0, rec)

	if got := cacheState(inf); !sameState(got, src.snapshot()) {
		t.Fatalf("cache after sync %v, want %v", got, src.snapshot())
	}
	eventually(t, "initial adds", func() bool { return len(rec.get()) == 3 })
	initial := rec.get()
	slices.Sort(initial)
	if want := []string{"add ns/a@1", "add ns/b@2", "add other/c@3"}; !slices.Equal(initial, want) {
		t.Fatalf("initial calls %v, want %v", initial, want)
	}

	src.create(pod("ns", "d", "n2"))
	src.update("ns", "a", func(p *api.Pod) { p.Spec.NodeName = "n2" })
	src.remove("ns", "b")
	eventually(t, "watched changes", func() bool { return len(rec.get()) == 6 })
	if got, want := rec.get()[3:], []string{"add ns/d@4", "update ns/a@1>5", "delete ns/b@6"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	waitInStep(t, src, inf)
	if p, ok := inf.Get(Key{"ns", "a"}); !ok || p.Spec.NodeName != "n2" {
		t.Fatalf("Get(ns/a) = %v, %v", p, ok)
	}
	if _, ok := inf.Get(Key{"ns", "b"}); ok {
		t.Fatal("deleted object still cached")
	}
	if rec.overlap.Load() {
		t.Fatal("handler calls overlapped")
	}
	if lists, from := src.stats(); lists != 1 || !slices.Equal(from, []int64{3}) {
		t.Fatalf("lists %d, watches from %v; want 1 list and one watch from rv 3", lists, from)
	}
}

func TestBrokenStreamResumesFromLastRV(t *testing.T) {
	src := newFakeSource(pod("ns", "a", ""))
	rec := &recorder{}
	inf := start(t, src, 0, rec)

	src.update("ns", "a", func(p *api.Pod) { p.Labels = map[string]string{"x": "1"} }) // rv 2
	bm := src.bookmark()                                                               // rv 3
	eventually(t, "update", func() bool { return len(rec.get()) == 2 })
	eventually(t, "bookmark received", src.drained)
	src.breakWatch()
	eventually(t, "re-watch", func() bool { _, from := src.stats(); return len(from) == 2 })
	src.create(pod("ns", "b", "")) // rv 4, delivered on the new stream

	waitInStep(t, src, inf)
	lists, from := src.stats()
	if lists != 1 {
		t.Fatalf("a broken stream caused a relist (%d lists)", lists)
	}
	if !slices.Equal(from, []int64{1, bm}) {
		t.Fatalf("watches from %v, want [1 %d] (resume after the bookmark)", from, bm)
	}
	eventually(t, "add of b", func() bool { return len(rec.get()) == 3 })
	if got := rec.get(); got[2] != "add ns/b@4" {
		t.Fatalf("calls %v: the change after the break must arrive once", got)
	}
}

func TestGoneRelistsAndConverges(t *testing.T) {
	for _, asEvent := range []bool{false, true} {
		t.Run(fmt.Sprintf("gone as event %v", asEvent), func(t *testing.T) {
			src := newFakeSource(pod("ns", "keep", "n1"), pod("ns", "change", "n1"), pod("ns", "vanish", "n1"))
			src.goneAsEvt = asEvent
			rec := &recorder{}
			inf := start(t, src, 0, rec)
			eventually(t, "initial adds", func() bool { return len(rec.get()) == 3 })

			// The informer misses these changes (partition), then the log is
			// compacted and the stream breaks: the resume from rv 3 is gone.
			src.setSilent(true)
			src.update("ns", "change", func(p *api.Pod) { p.Spec.NodeName = "n2" })
			src.remove("ns", "vanish")
			src.create(pod("ns", "new", "n2"))
			src.compact()
			src.setSilent(false)
			src.breakWatch()

			waitInStep(t, src, inf)
			eventually(t, "relist notifications", func() bool { return len(rec.get()) == 7 })
			got := rec.get()[3:]
			slices.Sort(got)
			want := []string{"add ns/new@6", "delete ns/vanish@3", "update ns/change@2>4", "update ns/keep@1>1"}
			if !slices.Equal(got, want) {
				t.Fatalf("calls after relist %v, want %v", got, want)
			}
			if lists, from := src.stats(); lists != 2 || from[len(from)-1] != 6 {
				t.Fatalf("lists %d, watches from %v; want a relist and a watch from 6", lists, from)
			}
			names := func(ps []*api.Pod) string {
				var s []string
				for _, p := range ps {
					s = append(s, p.Name)
				}
				return strings.Join(s, ",")
			}
			if n1, n2 := names(inf.ByIndex("node", "n1")), names(inf.ByIndex("node", "n2")); n1 != "keep" || n2 != "change,new" {
				t.Fatalf("index after relist: n1=%q n2=%q", n1, n2)
			}
		})
	}
}

func TestListErrorsAreRetried(t *testing.T) {
	src := newFakeSource(pod("ns", "a", ""))
	src.listErrs = []error{fmt.Errorf("connection refused"), &client.StatusError{Status: api.Status{Code: 500}}}
	inf := start(t, src, 0, nil)
	if _, ok := inf.Get(Key{"ns", "a"}); !ok {
		t.Fatal("object missing after retried list")
	}
	if lists, _ := src.stats(); lists != 3 {
		t.Fatalf("%d lists, want 3", lists)
	}
}

func TestIndexes(t *testing.T) {
	src := newFakeSource(pod("ns", "a", "n1"), pod("ns", "b", "n1"), pod("ns", "c", ""))
	inf := start(t, src, 0, nil)
	names := func(node string) []string {
		var s []string
		for _, p := range inf.ByIndex("node", node) {
			s = append(s, p.Name)
		}
		return s
	}
	if got := names("n1"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("n1: %v", got)
	}
	src.update("ns", "a", func(p *api.Pod) { p.Spec.NodeName = "n2" })
	src.update("ns", "c", func(p *api.Pod) { p.Spec.NodeName = "n2" })
	src.remove("ns", "b")
	waitInStep(t, src, inf)
	if got := names("n1"); len(got) != 0 {
		t.Fatalf("n1 after moves: %v", got)
	}
	if got := names("n2"); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("n2: %v", got)
	}
	if got := inf.ByIndex("no-such-index", "x"); len(got) != 0 {
		t.Fatalf("unknown index: %v", got)
	}

	// An update that keeps a pod's node keeps n2's sorted keys (ByIndex of
	// a ReplicaSet's thousands of pods on each status change sorts
	// nothing); an added pod takes its place in the order.
	sorted := func() *Key {
		inf.mu.RLock()
		defer inf.mu.RUnlock()
		set := inf.indices["node"]["n2"]
		if set.stale {
			return nil
		}
		return unsafe.SliceData(set.sorted)
	}
	before := sorted()
	src.update("ns", "c", func(p *api.Pod) { p.Status.Phase = api.PodRunning })
	waitInStep(t, src, inf)
	if after := sorted(); before == nil || after != before {
		t.Fatalf("n2's sorted keys rebuilt after an update that kept the node")
	}
	if got := inf.ByIndex("node", "n2"); got[1].Status.Phase != api.PodRunning {
		t.Fatalf("ByIndex gives the old c")
	}
	src.create(pod("ns", "b", "n2"))
	waitInStep(t, src, inf)
	if got := names("n2"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("n2 after adding b: %v", got)
	}
	inf.mu.RLock()
	defer inf.mu.RUnlock()
	if _, ok := inf.indices["node"]["n1"]; ok {
		t.Fatal("empty index value not cleaned up")
	}
}

func TestResync(t *testing.T) {
	src := newFakeSource(pod("ns", "a", ""), pod("ns", "b", ""))
	var mu sync.Mutex
	resyncs := map[string]int{}
	h := HandlerFuncs[*api.Pod]{UpdateFunc: func(o, n *api.Pod) {
		if o != n {
			t.Errorf("resync delivered different objects %p %p", o, n)
		}
		mu.Lock()
		resyncs[n.Name]++
		mu.Unlock()
	}}
	start(t, src, 5*time.Millisecond, h)
	eventually(t, "two resyncs of each object", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return resyncs["a"] >= 2 && resyncs["b"] >= 2
	})
}

func TestHandlerAddedWhileRunning(t *testing.T) {
	src := newFakeSource(pod("ns", "a", ""), pod("ns", "b", ""))
	inf := start(t, src, 0, nil)
	rec := &recorder{}
	inf.AddHandler(rec)
	src.create(pod("ns", "c", ""))
	eventually(t, "existing objects and the new one", func() bool { return len(rec.get()) == 3 })
	got := rec.get()
	first := slices.Clone(got[:2])
	slices.Sort(first)
	if !slices.Equal(first, []string{"add ns/a@1", "add ns/b@2"}) || got[2] != "add ns/c@3" {
		t.Fatalf("calls %v", got)
	}
}

func TestConcurrentReadsDuringUpdates(t *testing.T) {
	src := newFakeSource()
	for n := range 20 {
		src.create(pod("ns", fmt.Sprint("p", n), "n1"))
	}
	inf := start(t, src, time.Millisecond, HandlerFuncs[*api.Pod]{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if p, ok := inf.Get(Key{"ns", "p3"}); ok && p.Name != "p3" {
					t.Error("Get returned the wrong object")
				}
				for _, p := range inf.ByIndex("node", "n2") {
					_ = p.Spec.NodeName
				}
				_ = inf.List()
			}
		}()
	}
	for n := range 500 {
		node := []string{"n1", "n2"}[n%2]
		src.update("ns", fmt.Sprint("p", n%20), func(p *api.Pod) { p.Spec.NodeName = node })
		if n%100 == 0 {
			src.breakWatch()
		}
	}
	waitInStep(t, src, inf)
	close(stop)
	wg.Wait()
}

func TestRunTwiceAndStop(t *testing.T) {
	src := newFakeSource()
	inf := start(t, src, 0, nil)
	if err := inf.Run(context.Background()); err == nil {
		t.Fatal("second Run did not fail")
	}
}

func TestWaitForCacheSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if WaitForCacheSync(ctx, func() bool { return true }, func() bool { return false }) {
		t.Fatal("reported sync of a cache that never syncs")
	}
	if !WaitForCacheSync(context.Background(), func() bool { return true }) {
		t.Fatal("synced cache not reported")
	}
}

func TestKeyString(t *testing.T) {
	for _, tc := range []struct {
		k    Key
		want string
	}{{Key{"ns", "a"}, "ns/a"}, {Key{"", "node1"}, "node1"}} {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.k, got, tc.want)
		}
	}
}

// TestCacheDropsManagedFields: listed and watched objects are cached
// without metadata.managedFields, compacted: their equal strings shared.
func TestCacheDropsManagedFields(t *testing.T) {
	withFields := func(p *api.Pod, node string) *api.Pod {
		p.ManagedFields = []json.RawMessage{json.RawMessage(`{"manager":"kubectl","operation":"Update"}`)}
		p.Spec.NodeName = strings.Clone(node) // each pod's own copy
		return p
	}
	src := newFakeSource(withFields(pod("ns", "listed", "n1"), "node-1"))
	inf := start(t, src, 0, nil)
	src.create(withFields(pod("ns", "watched", "n1"), "node-1"))
	waitInStep(t, src, inf)
	var nodes []string
	for _, p := range inf.List() {
		if p.ManagedFields != nil {
			t.Errorf("%s cached with managedFields %s", p.Name, p.ManagedFields)
		}
		nodes = append(nodes, p.Spec.NodeName)
	}
	if len(nodes) != 2 || unsafe.StringData(nodes[0]) != unsafe.StringData(nodes[1]) {
		t.Errorf("the two pods' spec.nodeName are not one string: %q", nodes)
	}
}

// TestMutationDetector: with the detector on, changing a cached object in
// place panics when the object is next replaced, naming it; a cached
// object replaced unchanged does not.
func TestMutationDetector(t *testing.T) {
	inf := New[*api.Pod](nil, 0)
	inf.mutations = &mutationDetector{stored: map[Key][]byte{}}
	p := pod("ns", "a", "n1")
	p.ResourceVersion = "1"
	inf.apply(client.Added, p)
	next := pod("ns", "a", "n1")
	next.ResourceVersion = "2"
	inf.apply(client.Modified, next) // unchanged in place: no panic

	cached, _ := inf.Get(Key{Namespace: "ns", Name: "a"})
	cached.Spec.NodeName = "elsewhere" // what a handler must not do
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "cache mutation detected") || !strings.Contains(msg, "ns/a") {
			t.Fatalf("recovered %v, want a cache mutation panic naming ns/a", r)
		}
	}()
	inf.apply(client.Modified, pod("ns", "a", "n1"))
	t.Fatal("a changed cached object went unnoticed")
}

// TestIndexSetOrder: keys added and removed between calls, a key removed
// and added again, and a set left unasked until it rebuilds, always come
// out sorted and exactly once.
func TestIndexSetOrder(t *testing.T) {
	s := &indexSet{keys: map[Key]struct{}{}}
	a, b := Key{Namespace: "ns", Name: "a"}, Key{Namespace: "ns", Name: "b"}
	s.add(b)
	s.sortedKeys()
	s.add(a)
	s.remove(a)
	s.add(a) // twice in added
	s.remove(b)
	s.add(b) // in sorted and in added
	if got := s.sortedKeys(); !slices.Equal(got, []Key{a, b}) {
		t.Fatalf("sortedKeys %v, want [ns/a ns/b]", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		for range rng.IntN(40) {
			k := Key{Namespace: "ns", Name: fmt.Sprintf("p%03d", rng.IntN(200))}
			if rng.IntN(3) == 0 {
				s.remove(k)
			} else {
				s.add(k)
			}
		}
		if round%7 == 3 {
			continue // not asked this round: added keeps growing
		}
		want := slices.SortedFunc(maps.Keys(s.keys), compareKeys)
		if got := s.sortedKeys(); !slices.Equal(got, want) {
			t.Fatalf("round %d: sortedKeys %v, want %v", round, got, want)
		}
	}
	for i := range 1000 { // never asked: bounded all the same
		k := Key{Namespace: "ns", Name: fmt.Sprint(i)}
		s.add(k)
		s.remove(k)
	}
	if len(s.added) > 2*len(s.keys)+16 {
		t.Fatalf("added holds %d keys for a set of %d", len(s.added), len(s.keys))
	}
	if got, want := s.sortedKeys(), slices.SortedFunc(maps.Keys(s.keys), compareKeys); !slices.Equal(got, want) {
		t.Fatalf("after a rebuild: %v, want %v", got, want)
	}
}

// BenchmarkSortedKeysGrowing: ByIndex's order of a ReplicaSet's 100,000
// pods while it creates more, 50 between two calls.
func BenchmarkSortedKeysGrowing(b *testing.B) {
	s := &indexSet{keys: map[Key]struct{}{}}
	n := 0
	add := func(k int) {
		for range k {
			s.add(Key{Namespace: "bench", Name: fmt.Sprintf("web-%08x", uint32(n)*2654435761)})
			n++
		}
	}
	add(100_000)
	s.sortedKeys()
	for b.Loop() {
		add(50)
		s.sortedKeys()
	}
}

// slowAdds counts OnAdd calls, each taking a millisecond.
type slowAdds struct{ n atomic.Int32 }

func (s *slowAdds) OnAdd(*api.Pod) {
	time.Sleep(time.Millisecond)
	s.n.Add(1)
}
func (s *slowAdds) OnUpdate(_, _ *api.Pod) {}
func (s *slowAdds) OnDelete(*api.Pod)      {}

// TestHandlerToldOfTheFirstList: AddHandler's function reports true only
// once the handler has had every object of the first list, for a handler
// added before Run (the list's adds) and one added after (its initial
// adds), however slow the handler.
func TestHandlerToldOfTheFirstList(t *testing.T) {
	var pods []*api.Pod
	for n := range 50 {
		pods = append(pods, pod("ns", fmt.Sprintf("p%d", n), ""))
	}
	src := newFakeSource(pods...)
	before := &slowAdds{}
	inf := New[*api.Pod](src, 0)
	beforeTold := inf.AddHandler(before)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- inf.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if beforeTold() {
		t.Fatal("told before Run")
	}
	check := func(name string, s *slowAdds, told func() bool) {
		t.Helper()
		eventually(t, "told "+name, func() bool {
			ok := told() // before counting: the adds come first
			if n := s.n.Load(); ok && n != 50 {
				t.Fatalf("handler %s told after %d of 50 adds", name, n)
			}
			return ok
		})
	}
	check("added before Run", before, beforeTold)
	after := &slowAdds{}
	check("added after the list", after, inf.AddHandler(after))
}
