package endpoints

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/informer/informertest"
	"github.com/minik8s/minik8s/internal/testfill"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// cache returns a synced informer holding items.
func cache[T api.Object](t *testing.T, items ...T) *informer.Informer[T] {
	t.Helper()
	inf := informer.New[T](informertest.Static[T]{Items: items}, 0, controllerutil.Indexers[T]()...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go inf.Run(ctx)
	if !informer.WaitForCacheSync(ctx, inf.HasSynced) {
		t.Fatal("cache did not sync")
	}
	return inf
}

func service(mods ...func(*api.Service)) *api.Service {
	s := &api.Service{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", UID: "svc-uid", Labels: map[string]string{"tier": "front"}},
		Spec: api.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports: []api.ServicePort{
				{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromString("http")},
				{Name: "metrics", Port: 9090, Protocol: api.ProtocolTCP, TargetPort: api.FromInt(9090)},
			},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

type podOpt func(*api.Pod)

func pod(name, ip string, opts ...podOpt) *api.Pod {
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: name + "-uid", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "x",
			Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: api.ProtocolTCP}}}}},
		Status: api.PodStatus{Phase: api.PodRunning, PodIP: ip,
			Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func notReady(p *api.Pod) { p.Status.Conditions[0].Status = api.ConditionFalse }

func terminating(p *api.Pod) { now := api.Now(); p.DeletionTimestamp = &now }

func port(n int32) podOpt {
	return func(p *api.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = n }
}

func noNamedPort(p *api.Pod) { p.Spec.Containers[0].Ports = nil }

func labelled(app string) podOpt { return func(p *api.Pod) { p.Labels["app"] = app } }

// fakeEndpoints records the writes and versions each, as the API server
// does.
type fakeEndpoints struct {
	mu    sync.Mutex
	calls []string
	last  *api.Endpoints
	rv    int
}

func (f *fakeEndpoints) Create(_ context.Context, ep *api.Endpoints) (*api.Endpoints, error) {
	return f.write("create", ep)
}

func (f *fakeEndpoints) Update(_ context.Context, ep *api.Endpoints) (*api.Endpoints, error) {
	return f.write("update", ep)
}

func (f *fakeEndpoints) write(verb string, ep *api.Endpoints) (*api.Endpoints, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rv++
	out := api.DeepCopy(ep)
	out.ResourceVersion = fmt.Sprint(f.rv)
	f.calls, f.last = append(f.calls, verb+" "+ep.Name), out
	return out, nil
}

func (f *fakeEndpoints) Delete(_ context.Context, ns, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "delete "+name)
	return nil
}

func newEndpointsController(t *testing.T, svcs []*api.Service, pods []*api.Pod, eps []*api.Endpoints) (*EndpointsController, *fakeEndpoints) {
	c, err := NewEndpoints(EndpointsDeps{Client: &client.Client{}, Pods: cache(t, pods...), Services: cache(t, svcs...), Endpoints: cache(t, eps...)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEndpoints{}
	c.w = f
	return c, f
}

var webKey = informer.Key{Namespace: "default", Name: "web"}

func TestEndpointsSync(t *testing.T) {
	pods := []*api.Pod{
		pod("a", "10.0.0.2"),
		pod("b", "10.0.0.1"),
		pod("c", "10.0.0.3", notReady),
		pod("d", "10.0.0.4", terminating),       // left out
		pod("e", "", notReady),                  // no IP yet: left out
		pod("f", "10.0.0.6", port(8081)),        // another port: its own subset
		pod("g", "10.0.0.7", noNamedPort),       // only the numeric port
		pod("h", "10.0.0.8", labelled("other")), // not selected
		pod("i", "10.0.0.9", func(p *api.Pod) { p.Status.Phase = api.PodSucceeded }), // finished
	}
	c, f := newEndpointsController(t, []*api.Service{service()}, pods, nil)
	if _, err := c.sync(context.Background(), webKey); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || f.calls[0] != "create web" {
		t.Fatalf("calls %v", f.calls)
	}
	got := ""
	for _, ss := range f.last.Subsets {
		got += "["
		for _, a := range ss.Addresses {
			got += a.IP + " "
		}
		got += "| "
		for _, a := range ss.NotReadyAddresses {
			got += a.IP + " "
		}
		for _, p := range ss.Ports {
			got += fmt.Sprintf("%s:%d ", p.Name, p.Port)
		}
		got += "]"
	}
	want := "[10.0.0.1 10.0.0.2 | 10.0.0.3 http:8080 metrics:9090 ][10.0.0.6 | http:8081 metrics:9090 ][10.0.0.7 | metrics:9090 ]"
	if got != want {
		t.Errorf("subsets\n got %s\nwant %s", got, want)
	}
	if a := f.last.Subsets[0].Addresses[0]; a.TargetRef == nil || a.TargetRef.Name != "b" || a.NodeName == nil || *a.NodeName != "n1" {
		t.Errorf("address %+v", a)
	}
	if f.last.Labels["tier"] != "front" {
		t.Errorf("labels %v", f.last.Labels)
	}

	// Nothing changed: nothing written.
	c, f = newEndpointsController(t, []*api.Service{service()}, pods, []*api.Endpoints{f.last})
	if _, err := c.sync(context.Background(), webKey); err != nil || len(f.calls) != 0 {
		t.Errorf("calls %v, %v", f.calls, err)
	}
}

// TestEndpointsTruncated: as in Kubernetes, an Endpoints object lists at
// most 1,000 addresses, ready ones first, shared among the subsets in
// proportion, and says so in an annotation, which goes again once the
// addresses fit.
func TestEndpointsTruncated(t *testing.T) {
	pods := func(n int, prefix string, opts ...podOpt) []*api.Pod {
		out := make([]*api.Pod, n)
		for i := range out {
			out[i] = pod(fmt.Sprintf("%s%04d", prefix, i), fmt.Sprintf("10.%d.%d.%d", len(prefix), i/256, i%256), opts...)
		}
		return out
	}
	lowerIP := func(p *api.Pod) { p.Status.PodIP = "10.0." + p.Status.PodIP[strings.Index(p.Status.PodIP[3:], ".")+4:] }
	count := func(ep *api.Endpoints) (ready, notReady []int) {
		for _, ss := range ep.Subsets {
			ready, notReady = append(ready, len(ss.Addresses)), append(notReady, len(ss.NotReadyAddresses))
		}
		return ready, notReady
	}
	for _, tc := range []struct {
		name            string
		pods            []*api.Pod
		ready, notReady string
		truncated       bool
		more            []*api.Pod // that change nothing once truncated
	}{
		{"fits", append(pods(990, "r"), pods(10, "n", notReady)...), "[990]", "[10]", false, nil},
		{"not-ready ones cut", append(pods(990, "r"), pods(20, "n", notReady)...), "[990]", "[10]", true, nil},
		{"ready ones cut, every not-ready one goes", append(pods(1050, "r"), pods(5, "n", notReady)...), "[1000]", "[0]", true,
			pods(50, "lower", lowerIP)},
		{"shared in proportion", append(pods(900, "a"), pods(300, "b", port(8081))...), "[750 250]", "[0 0]", true,
			append(pods(30, "lo", lowerIP), pods(10, "low", port(8081), lowerIP)...)},
	} {
		c, f := newEndpointsController(t, []*api.Service{service()}, tc.pods, nil)
		if _, err := c.sync(context.Background(), webKey); err != nil {
			t.Fatal(err)
		}
		ready, notReady := count(f.last)
		_, marked := f.last.Annotations[api.EndpointsOverCapacityAnnotation]
		if fmt.Sprint(ready) != tc.ready || fmt.Sprint(notReady) != tc.notReady || marked != tc.truncated {
			t.Errorf("%s: ready %v, not ready %v, annotated %v; want %s, %s, %v", tc.name, ready, notReady, marked,
				tc.ready, tc.notReady, tc.truncated)
		}
		if tc.truncated && f.last.Annotations[api.EndpointsOverCapacityAnnotation] != "truncated" {
			t.Errorf("%s: annotations %v", tc.name, f.last.Annotations)
		}
		if !tc.truncated {
			continue
		}
		// Up to date: nothing written. Fewer pods: the annotation goes.
		c, f2 := newEndpointsController(t, []*api.Service{service()}, tc.pods, []*api.Endpoints{f.last})
		if _, err := c.sync(context.Background(), webKey); err != nil || len(f2.calls) != 0 {
			t.Errorf("%s: a second sync wrote %v, %v", tc.name, f2.calls, err)
		}
		if tc.more != nil {
			// More pods, with lower addresses: the object at capacity
			// keeps the addresses it lists rather than being rewritten.
			c, f2 = newEndpointsController(t, []*api.Service{service()}, append(tc.more, tc.pods...), []*api.Endpoints{f.last})
			if _, err := c.sync(context.Background(), webKey); err != nil || len(f2.calls) != 0 {
				t.Errorf("%s: more pods rewrote the object: %v, %v", tc.name, f2.calls, err)
			}
		}
		c, f2 = newEndpointsController(t, []*api.Service{service()}, tc.pods[:10], []*api.Endpoints{f.last})
		if _, err := c.sync(context.Background(), webKey); err != nil || len(f2.calls) != 1 {
			t.Fatalf("%s: sync of ten pods: %v, %v", tc.name, f2.calls, err)
		}
		if _, marked := f2.last.Annotations[api.EndpointsOverCapacityAnnotation]; marked {
			t.Errorf("%s: ten addresses still annotated %v", tc.name, f2.last.Annotations)
		}
	}
}

// TestEndpointsStaleCache: a sync whose cache does not show this
// controller's last write yet writes nothing; it used to update from the
// old version and lose with a 409, resending the whole object.
func TestEndpointsStaleCache(t *testing.T) {
	old := &api.Endpoints{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web", ResourceVersion: "5"}}
	c, f := newEndpointsController(t, []*api.Service{service()}, []*api.Pod{pod("a", "10.0.0.1")}, []*api.Endpoints{old})
	f.rv = 5
	if _, err := c.sync(context.Background(), webKey); err != nil || fmt.Sprint(f.calls) != "[update web]" {
		t.Fatalf("first sync: %v, %v", f.calls, err)
	}
	after, err := c.sync(context.Background(), webKey) // the cache still holds version 5
	if err != nil || len(f.calls) != 1 || after <= 0 {
		t.Fatalf("sync from a stale cache: calls %v, after %s, %v", f.calls, after, err)
	}
	// Once the cache shows the write, syncs go ahead.
	c.own.stale(webKey, map[string]int64{"web": 6})
	if after, err := c.sync(context.Background(), webKey); err != nil || after != 0 {
		t.Fatalf("sync after the cache caught up: after %s, %v", after, err)
	}

	// Written, then deleted by someone else before a sync saw the write:
	// the deletion ends the wait, and the object is made again.
	c, f = newEndpointsController(t, []*api.Service{service()}, []*api.Pod{pod("a", "10.0.0.1")}, nil)
	if _, err := c.sync(context.Background(), webKey); err != nil || fmt.Sprint(f.calls) != "[create web]" {
		t.Fatalf("first sync: %v, %v", f.calls, err)
	}
	c.deleted(f.last)
	if after, err := c.sync(context.Background(), webKey); err != nil || after != 0 || fmt.Sprint(f.calls) != "[create web create web]" {
		t.Fatalf("sync after a deletion: calls %v, after %s, %v", f.calls, after, err)
	}
}

// TestPodChangesBatched: while a Service's syncs are slow (every sync
// reads all its pods), the changes of its pods are taken in by one sync
// rather than one after another.
func TestPodChangesBatched(t *testing.T) {
	const took = 50 * time.Millisecond
	pods := []*api.Pod{pod("a", "10.0.0.1")}
	c, f := newEndpointsController(t, []*api.Service{service()}, pods, nil)
	if _, err := c.sync(context.Background(), webKey); err != nil {
		t.Fatal(err)
	}
	// Up to date: the syncs write nothing.
	c, f = newEndpointsController(t, []*api.Service{service()}, pods, []*api.Endpoints{f.last})
	var syncs atomic.Int32
	inner := c.loop.Sync
	c.loop.Sync = func(ctx context.Context, k informer.Key) (time.Duration, error) {
		time.Sleep(took)
		defer syncs.Add(1)
		return inner(ctx, k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 1) }()
	defer func() { cancel(); <-done }()
	testpoll.Eventually(t, 10*time.Second, "the first sync", func() bool { return syncs.Load() >= 1 })
	// The Service's add and the initial listing may give two: wait until
	// no more come.
	first := syncs.Load()
	for {
		time.Sleep(3 * took)
		if n := syncs.Load(); n != first {
			first = n
			continue
		}
		break
	}

	for range 5 {
		c.podChanged(pod("a", "10.0.0.1"))
		time.Sleep(time.Millisecond)
	}
	testpoll.Eventually(t, 10*time.Second, "a sync for the pod changes", func() bool { return syncs.Load() == first+1 })
	time.Sleep(3 * took) // room for a sync too many
	if n := syncs.Load() - first; n != 1 {
		t.Errorf("%d syncs for the pod changes, want 1: five changes within one batch give one sync", n)
	}
	if len(f.calls) != 0 {
		t.Errorf("wrote %v", f.calls)
	}
}

func TestEndpointsSelectorlessAndDeleted(t *testing.T) {
	handMade := &api.Endpoints{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Subsets: []api.EndpointSubset{{Addresses: []api.EndpointAddress{{IP: "192.168.0.1"}}}}}
	c, f := newEndpointsController(t, []*api.Service{service(func(s *api.Service) { s.Spec.Selector = nil })},
		[]*api.Pod{pod("a", "10.0.0.1")}, []*api.Endpoints{handMade})
	if _, err := c.sync(context.Background(), webKey); err != nil || len(f.calls) != 0 {
		t.Errorf("a selectorless service's endpoints were touched: %v %v", f.calls, err)
	}
	c, f = newEndpointsController(t, nil, nil, []*api.Endpoints{handMade})
	if _, err := c.sync(context.Background(), webKey); err != nil || len(f.calls) != 1 || f.calls[0] != "delete web" {
		t.Errorf("deleted service: %v %v", f.calls, err)
	}
}

func TestEndpointsPublishNotReady(t *testing.T) {
	svc := service(func(s *api.Service) { s.Spec.PublishNotReadyAddresses = true })
	c, f := newEndpointsController(t, []*api.Service{svc}, []*api.Pod{pod("a", "10.0.0.1", notReady), pod("b", "10.0.0.2", terminating)}, nil)
	if _, err := c.sync(context.Background(), webKey); err != nil {
		t.Fatal(err)
	}
	if ss := f.last.Subsets; len(ss) != 1 || len(ss[0].Addresses) != 2 || len(ss[0].NotReadyAddresses) != 0 {
		t.Errorf("subsets %+v", ss)
	}
}

func b(v bool) *bool { return &v }

func TestSliceConditionsAndPorts(t *testing.T) {
	want := desiredEndpoints(service(), []*api.Pod{
		pod("a", "10.0.0.1"),
		pod("b", "10.0.0.2", notReady),
		pod("c", "10.0.0.3", terminating),
		pod("d", "10.0.0.4", terminating, notReady),
		pod("f", "10.0.0.6", port(8081)),
		pod("g", "fd00::7"),
	})
	if len(want) != 3 {
		t.Fatalf("families %v", want)
	}
	var v4 *family
	for _, fam := range want {
		if fam.addressType == "IPv4" && *fam.ports[0].Port == 8080 {
			v4 = fam
		}
	}
	if v4 == nil {
		t.Fatalf("no IPv4 family on 8080: %v", want)
	}
	for addr, c := range map[string][3]bool{ // ready, serving, terminating
		"10.0.0.1": {true, true, false},
		"10.0.0.2": {false, false, false},
		"10.0.0.3": {false, true, true},
		"10.0.0.4": {false, false, true},
	} {
		e, ok := v4.endpoints[addr]
		if !ok {
			t.Errorf("%s missing", addr)
			continue
		}
		got := [3]bool{*e.Conditions.Ready, *e.Conditions.Serving, *e.Conditions.Terminating}
		if got != c {
			t.Errorf("%s: ready, serving, terminating %v, want %v", addr, got, c)
		}
	}
}

func TestSliceSplitAndStablePlacement(t *testing.T) {
	svc := service()
	var pods []*api.Pod
	for i := range 250 {
		pods = append(pods, pod(fmt.Sprintf("p%03d", i), fmt.Sprintf("10.0.%d.%d", i/200, i%200+1)))
	}
	creates, updates, deletes := reconcileSlices(svc, desiredEndpoints(svc, pods), nil)
	if len(creates) != 3 || len(updates) != 0 || len(deletes) != 0 {
		t.Fatalf("250 endpoints: %d creates, %d updates, %d deletes", len(creates), len(updates), len(deletes))
	}
	sizes := []int{len(creates[0].Endpoints), len(creates[1].Endpoints), len(creates[2].Endpoints)}
	if sizes[0] != 100 || sizes[1] != 100 || sizes[2] != 50 {
		t.Errorf("sizes %v", sizes)
	}
	for i, es := range creates {
		es.Name = fmt.Sprintf("web-%d", i)
		if es.Labels[api.LabelServiceName] != "web" || es.Labels[api.LabelManagedBy] != ManagedBy || es.OwnerReferences[0].UID != "svc-uid" {
			t.Errorf("slice metadata %+v", es.ObjectMeta)
		}
	}
	// One pod goes from the first slice, one becomes unready, and 60 new
	// ones come: the first and third slices take them (1 + 50, so both
	// are updated) and a new slice the rest; nothing moves.
	gone := pods[0].Status.PodIP
	pods = pods[1:]
	notReady(pods[150])
	for i := 250; i < 310; i++ {
		pods = append(pods, pod(fmt.Sprintf("p%03d", i), fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)))
	}
	creates2, updates2, deletes2 := reconcileSlices(svc, desiredEndpoints(svc, pods), creates)
	if len(creates2) != 1 || len(creates2[0].Endpoints) != 9 || len(updates2) < 2 || len(deletes2) != 0 {
		t.Fatalf("%d creates (%v), %d updates, %d deletes", len(creates2), creates2, len(updates2), len(deletes2))
	}
	// The slices as they are after those writes.
	after := map[string]*api.EndpointSlice{}
	for _, es := range creates {
		after[es.Name] = es
	}
	for _, es := range updates2 {
		after[es.Name] = es
	}
	creates2[0].Name = "web-new"
	after["web-new"] = creates2[0]
	seen := map[string]string{}
	for _, es := range after {
		if len(es.Endpoints) > MaxEndpointsPerSlice {
			t.Errorf("%s holds %d endpoints", es.Name, len(es.Endpoints))
		}
		for _, e := range es.Endpoints {
			if other, dup := seen[e.Addresses[0]]; dup {
				t.Errorf("%s in %s and %s", e.Addresses[0], other, es.Name)
			}
			seen[e.Addresses[0]] = es.Name
		}
	}
	if _, ok := seen[gone]; ok || len(seen) != 309 {
		t.Errorf("%d endpoints placed (gone one placed: %v)", len(seen), ok)
	}
	for _, es := range creates {
		for _, e := range es.Endpoints {
			if where, ok := seen[e.Addresses[0]]; ok && where != es.Name {
				t.Errorf("%s moved from %s to %s", e.Addresses[0], es.Name, where)
			}
		}
	}

	// Every pod gone: the slices go, one empty placeholder stays.
	var all []*api.EndpointSlice
	for _, es := range after {
		all = append(all, es)
	}
	creates3, updates3, deletes3 := reconcileSlices(svc, desiredEndpoints(svc, nil), all)
	if len(creates3) != 1 || len(creates3[0].Endpoints) != 0 || len(creates3[0].Ports) != 0 || len(updates3) != 0 || len(deletes3) != len(all) {
		t.Errorf("no endpoints: %d creates, %d updates, %d deletes", len(creates3), len(updates3), len(deletes3))
	}
	creates3[0].Name = "web-placeholder"
	creates4, updates4, deletes4 := reconcileSlices(svc, desiredEndpoints(svc, nil), creates3)
	if len(creates4)+len(updates4)+len(deletes4) != 0 {
		t.Errorf("placeholder rewritten: %v %v %v", creates4, updates4, deletes4)
	}
	// A pod comes back: the placeholder (no ports) goes, a slice is made.
	creates5, _, deletes5 := reconcileSlices(svc, desiredEndpoints(svc, pods[:1]), creates3)
	if len(creates5) != 1 || len(deletes5) != 1 {
		t.Errorf("after the placeholder: %d creates, %d deletes", len(creates5), len(deletes5))
	}
}

type fakeSlices struct {
	calls []string
}

func (f *fakeSlices) Create(_ context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	f.calls = append(f.calls, "create "+es.GenerateName)
	return es, nil
}

func (f *fakeSlices) Update(_ context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	f.calls = append(f.calls, "update "+es.Name)
	return es, nil
}

func (f *fakeSlices) Delete(_ context.Context, _, name, _ string) error {
	f.calls = append(f.calls, "delete "+name)
	return nil
}

func TestSlicesSync(t *testing.T) {
	managed := &api.EndpointSlice{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-x", UID: "x",
		Labels: map[string]string{api.LabelServiceName: "web", api.LabelManagedBy: ManagedBy}}, AddressType: "IPv4"}
	other := &api.EndpointSlice{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-mine",
		Labels: map[string]string{api.LabelServiceName: "web", api.LabelManagedBy: "someone-else"}}, AddressType: "IPv4"}
	run := func(svcs []*api.Service) []string {
		c, err := NewSlices(SlicesDeps{Client: &client.Client{}, Pods: cache(t, pod("a", "10.0.0.1")), Services: cache(t, svcs...),
			EndpointSlices: cache(t, managed, other)}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeSlices{}
		c.w = f
		if _, err := c.sync(context.Background(), webKey); err != nil {
			t.Fatal(err)
		}
		return f.calls
	}
	if calls := run([]*api.Service{service()}); fmt.Sprint(calls) != "[delete web-x create web-]" {
		t.Errorf("service with a pod: %v", calls)
	}
	if calls := run([]*api.Service{service(func(s *api.Service) { s.Spec.Selector = nil })}); len(calls) != 0 {
		t.Errorf("selectorless service: %v", calls)
	}
	if calls := run(nil); fmt.Sprint(calls) != "[delete web-x]" {
		t.Errorf("deleted service: %v", calls)
	}
}

// namingSlices names created slices and versions every write, as the API
// server does.
type namingSlices struct {
	fakeSlices
	rv int
}

func (f *namingSlices) Create(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	out, _ := f.fakeSlices.Create(ctx, api.DeepCopy(es))
	f.rv++
	out.Name, out.ResourceVersion = fmt.Sprintf("%s%d", es.GenerateName, f.rv), fmt.Sprint(f.rv)
	return out, nil
}

func (f *namingSlices) Update(ctx context.Context, es *api.EndpointSlice) (*api.EndpointSlice, error) {
	out, _ := f.fakeSlices.Update(ctx, api.DeepCopy(es))
	f.rv++
	out.ResourceVersion = fmt.Sprint(f.rv)
	return out, nil
}

// TestSlicesStaleCache: a sync whose slice cache does not show this
// controller's last writes yet writes nothing; it once created the
// same slice again, and the duplicate stayed.
func TestSlicesStaleCache(t *testing.T) {
	placeholder := &api.EndpointSlice{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-p", UID: "p", ResourceVersion: "1",
		Labels: map[string]string{api.LabelServiceName: "web", api.LabelManagedBy: ManagedBy}}, AddressType: "IPv4"}
	c, err := NewSlices(SlicesDeps{Client: &client.Client{}, Pods: cache(t, pod("a", "10.0.0.1")), Services: cache(t, service()),
		EndpointSlices: cache(t, placeholder)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	f := &namingSlices{rv: 1}
	c.w = f
	if _, err := c.sync(context.Background(), webKey); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.calls) != "[delete web-p create web-]" {
		t.Fatalf("first sync: %v", f.calls)
	}
	// The cache still shows the placeholder and not the new slice.
	after, err := c.sync(context.Background(), webKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || after <= 0 {
		t.Fatalf("sync from a stale cache: calls %v, after %s", f.calls, after)
	}
}

// TestEndpointEqualSeesEveryField: endpointEqual holds for an endpoint and
// its copy, and fails when any one field of it differs (a value changed,
// a pointer or list dropped), so a field added to api.Endpoint cannot be
// left out of it unnoticed.
func TestEndpointEqualSeesEveryField(t *testing.T) {
	typ := reflect.TypeFor[api.Endpoint]()
	full := func() api.Endpoint {
		var e api.Endpoint
		testfill.Fill(reflect.ValueOf(&e).Elem())
		return e
	}
	if a, b := full(), full(); !endpointEqual(a, b) {
		t.Fatalf("two equal endpoints compare unequal: %+v", a)
	}
	for _, path := range fieldPaths(typ, nil) {
		for _, drop := range []bool{false, true} {
			a, b := full(), full()
			v := reflect.ValueOf(&b).Elem()
			for _, i := range path {
				switch v.Kind() {
				case reflect.Pointer:
					v = v.Elem()
				case reflect.Slice:
					v = v.Index(0)
				}
				v = v.Field(i)
			}
			if drop {
				if k := v.Kind(); k != reflect.Pointer && k != reflect.Slice && k != reflect.Map {
					continue
				}
				v.SetZero()
			} else {
				change(v)
			}
			if endpointEqual(a, b) {
				t.Errorf("field %v (dropped %v) changed: endpointEqual still true", path, drop)
			}
		}
	}
}

// fieldPaths lists the field index paths of every field reachable from
// struct type t, through pointers and lists.
func fieldPaths(t reflect.Type, prefix []int) [][]int {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out [][]int
	for i := range t.NumField() {
		p := append(slices.Clone(prefix), i)
		out = append(out, p)
		out = append(out, fieldPaths(t.Field(i).Type, p)...)
	}
	return out
}

// change alters v, one that testfill.Fill filled: a scalar's value, a list's
// first element or length, a map's entries.
func change(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		change(v.Elem())
	case reflect.Slice:
		v.Set(reflect.Append(v, v.Index(0)))
	case reflect.Map:
		k := reflect.New(v.Type().Key()).Elem()
		k.SetString("other")
		v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
	case reflect.Struct:
		change(v.Field(0))
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	}
}
