package events

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// fakeSink records writes and keeps the events it holds.
type fakeSink struct {
	mu      sync.Mutex
	events  map[string]*api.Event // by namespace/name
	creates int
	patches int
}

func newFakeSink() *fakeSink { return &fakeSink{events: make(map[string]*api.Event)} }

func (s *fakeSink) Create(_ context.Context, ev *api.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates++
	cp := *ev
	s.events[ev.Namespace+"/"+ev.Name] = &cp
	return nil
}

func (s *fakeSink) Patch(_ context.Context, ns, name string, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.patches++
	ev, ok := s.events[ns+"/"+name]
	if !ok {
		return &client.StatusError{Status: api.Status{Code: http.StatusNotFound, Reason: api.StatusReasonNotFound}}
	}
	return json.Unmarshal(p, ev)
}

func (s *fakeSink) snapshot() (events []api.Event, creates, patches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range s.events {
		events = append(events, *ev)
	}
	return events, s.creates, s.patches
}

func (s *fakeSink) deleteAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.events)
}

func podRef(name string) api.ObjectReference {
	return api.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "default", Name: name, UID: "uid-" + name}
}

func start(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}

func TestRecorderAggregatesRepeats(t *testing.T) {
	sink := newFakeSink()
	r := New(sink, Config{Source: "default-scheduler", Instance: "a"}, zerolog.Nop())
	start(t, r)
	msg := "0/3 nodes are available: 3 Insufficient cpu."
	for range 3 {
		r.Eventf(podRef("web-1"), api.EventTypeWarning, "FailedScheduling", "%s", msg)
	}
	r.Eventf(podRef("web-1"), api.EventTypeWarning, "FailedScheduling", "other")
	r.Eventf(podRef("web-2"), api.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", "default", "web-2", "n1")
	waitFor(t, "writes", func() bool { _, c, p := sink.snapshot(); return c+p == 5 })

	events, creates, patches := sink.snapshot()
	if creates != 3 || patches != 2 {
		t.Fatalf("creates=%d patches=%d, want 3 and 2", creates, patches)
	}
	byMsg := map[string]api.Event{}
	for _, ev := range events {
		byMsg[ev.Message] = ev
	}
	ev := byMsg[msg]
	if ev.Count != 3 || ev.Type != api.EventTypeWarning || ev.Reason != "FailedScheduling" ||
		ev.InvolvedObject.Name != "web-1" || ev.Source.Component != "default-scheduler" || ev.ReportingInstance != "a" {
		t.Fatalf("aggregated event = %+v", ev)
	}
	if ev.FirstTimestamp.IsZero() || ev.LastTimestamp.Before(ev.FirstTimestamp.Time) {
		t.Fatalf("timestamps first=%v last=%v", ev.FirstTimestamp, ev.LastTimestamp)
	}
	if got := byMsg["Successfully assigned default/web-2 to n1"]; got.Count != 1 || got.Namespace != "default" {
		t.Fatalf("scheduled event = %+v", got)
	}
}

// TestWithSource: recorders made by WithSource write through the first's
// queue (only it runs) under their own source, and the same event from two
// sources is two Events, not one count of 2.
func TestWithSource(t *testing.T) {
	sink := newFakeSink()
	root := New(sink, Config{Source: "replicaset-controller", Instance: "cm-0"}, zerolog.Nop())
	start(t, root)
	jobs := root.WithSource("job-controller")
	root.Eventf(podRef("p"), api.EventTypeNormal, "SuccessfulCreate", "Created pod: p")
	jobs.Eventf(podRef("p"), api.EventTypeNormal, "SuccessfulCreate", "Created pod: p")
	jobs.Eventf(podRef("p"), api.EventTypeNormal, "SuccessfulCreate", "Created pod: p")
	waitFor(t, "writes", func() bool { _, c, p := sink.snapshot(); return c+p == 3 })
	events, creates, patches := sink.snapshot()
	if creates != 2 || patches != 1 {
		t.Fatalf("creates=%d patches=%d, want 2 and 1", creates, patches)
	}
	counts := map[string]int32{}
	for _, ev := range events {
		if ev.ReportingController != ev.Source.Component || ev.ReportingInstance != "cm-0" {
			t.Fatalf("event %+v: reporting controller and instance", ev)
		}
		counts[ev.Source.Component] = ev.Count
	}
	if counts["replicaset-controller"] != 1 || counts["job-controller"] != 2 {
		t.Fatalf("counts by source = %v, want replicaset-controller 1, job-controller 2", counts)
	}
}

func TestRecorderRecreatesDeletedEvent(t *testing.T) {
	sink := newFakeSink()
	r := New(sink, Config{Source: "kubelet"}, zerolog.Nop())
	start(t, r)
	r.Eventf(podRef("p"), api.EventTypeNormal, "Pulled", "pulled")
	waitFor(t, "create", func() bool { _, c, _ := sink.snapshot(); return c == 1 })
	sink.deleteAll()
	r.Eventf(podRef("p"), api.EventTypeNormal, "Pulled", "pulled")
	waitFor(t, "re-create", func() bool { _, c, _ := sink.snapshot(); return c == 2 })
	events, _, patches := sink.snapshot()
	if len(events) != 1 || events[0].Count != 1 || patches != 1 {
		t.Fatalf("events=%+v patches=%d, want one new event with count 1 after one failed patch", events, patches)
	}
}

func TestRecorderDropsWhenFull(t *testing.T) {
	sink := newFakeSink()
	r := New(sink, Config{Source: "x", Buffer: 2, Workers: 1}, zerolog.Nop())
	// Not running: the queue fills.
	for i := range 5 {
		r.Eventf(podRef("p"), api.EventTypeNormal, "R", "m%d", i)
	}
	if got := r.Dropped(); got != 3 {
		t.Fatalf("Dropped() = %d, want 3", got)
	}
}

func TestRecorderForgetsBeyondCacheSize(t *testing.T) {
	sink := newFakeSink()
	r := New(sink, Config{Source: "x", Workers: 1, CacheSize: 2}, zerolog.Nop())
	start(t, r)
	for _, m := range []string{"a", "b", "c", "a"} {
		r.Eventf(podRef("p"), api.EventTypeNormal, "R", "%s", m)
	}
	waitFor(t, "writes", func() bool { _, c, p := sink.snapshot(); return c+p == 4 })
	// "a" was evicted by "c", so its repeat is a new Event, not a patch.
	if _, creates, patches := sink.snapshot(); creates != 4 || patches != 0 {
		t.Fatalf("creates=%d patches=%d, want 4 and 0", creates, patches)
	}
}

func TestRef(t *testing.T) {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "ns", UID: "u", ResourceVersion: "7"}}
	want := api.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "web", UID: "u", ResourceVersion: "7"}
	if got := Ref("v1", "Pod", p); got != want {
		t.Fatalf("Ref = %+v, want %+v", got, want)
	}
}

// TestRecorderCombinesSimilarAndDropsSpam: a ReplicaSet creating 40 pods
// is reported as client-go's EventCorrelator reports it — nine events of
// their own, then one combined event counted up, 25 writes in all — and
// another object keeps its own budget.
func TestRecorderCombinesSimilarAndDropsSpam(t *testing.T) {
	sink := newFakeSink()
	r := New(sink, Config{Source: "replicaset-controller", Workers: 1, QPS: 1000, Burst: 1000}, zerolog.Nop())
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	start(t, r)
	rs := api.ObjectReference{Kind: "ReplicaSet", APIVersion: "apps/v1", Namespace: "default", Name: "web-1", UID: "u1"}
	for i := range 40 {
		r.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: web-1-%d", i)
	}
	r.Eventf(podRef("p"), api.EventTypeNormal, "Scheduled", "assigned")
	waitFor(t, "writes", func() bool { _, c, p := sink.snapshot(); return c+p == 26 })

	events, creates, patches := sink.snapshot()
	if creates != 11 || patches != 15 || r.Spammed() != 15 {
		t.Fatalf("creates=%d patches=%d spammed=%d, want 11, 15 and 15", creates, patches, r.Spammed())
	}
	var own, combined int
	for _, ev := range events {
		switch {
		case ev.InvolvedObject.Name == "p":
		case ev.Message == "(combined from similar events): Created pod: web-1-24":
			combined++
			if ev.Count != 16 {
				t.Fatalf("combined event count = %d, want 16 (the 10th to the 25th)", ev.Count)
			}
		case strings.HasPrefix(ev.Message, "Created pod: web-1-") && ev.Count == 1:
			own++
		default:
			t.Fatalf("unexpected event %+v", ev)
		}
	}
	if own != 9 || combined != 1 {
		t.Fatalf("%d events of their own and %d combined, want 9 and 1", own, combined)
	}

	// The budget refills at one event per five minutes.
	now = now.Add(5 * time.Minute)
	r.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: web-1-40")
	r.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: web-1-41")
	waitFor(t, "a refilled write", func() bool { _, c, p := sink.snapshot(); return c+p == 27 })
	if r.Spammed() != 16 {
		t.Fatalf("spammed = %d after the refill, want 16", r.Spammed())
	}
	// Similar events older than ten minutes start over.
	now = now.Add(11 * time.Minute)
	r.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: web-1-42")
	waitFor(t, "an event of its own again", func() bool {
		events, _, _ := sink.snapshot()
		for _, ev := range events {
			if ev.Message == "Created pod: web-1-42" {
				return true
			}
		}
		return false
	})
}

// TestObjectBudget: 25 events at once, then one per five minutes; a clock
// that goes back refills nothing.
func TestObjectBudget(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	o := &objectEvents{tokens: spamBurst, at: t0}
	for i := range spamBurst {
		if !o.take(t0) {
			t.Fatalf("event %d of a fresh budget refused", i+1)
		}
	}
	for _, at := range []time.Time{t0, t0.Add(-time.Hour), t0.Add(4 * time.Minute)} {
		if o.take(at) {
			t.Fatalf("an event at %v allowed by a spent budget", at.Sub(t0))
		}
	}
	if !o.take(t0.Add(5*time.Minute)) || o.take(t0.Add(5*time.Minute)) {
		t.Fatal("five minutes on, want one event and no more")
	}
}
