package bustest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/store"
)

// Timeout bounds every wait of the suite.
const Timeout = 10 * time.Second

// Run runs the conformance suite. open returns a handle on one shared bus
// each time it is called: for an in-process bus the same value, for a
// networked one a new client on the same channel, as another API server
// would have. The suite publishes from one handle and subscribes on others.
func Run(t *testing.T, open func(t *testing.T) hub.Bus) {
	t.Run("DeliversInOrder", func(t *testing.T) {
		pub, sub := open(t), open(t)
		ch := subscribe(t, sub)
		var want []store.Change
		rev := int64(0)
		for batch := 1; batch <= 50; batch++ {
			var cs []store.Change
			for range batch%5 + 1 {
				rev++
				cs = append(cs, Change(rev, "a"))
			}
			publish(t, pub, cs)
			want = append(want, cs...)
		}
		expect(t, ch, want)
	})

	t.Run("KeepsEveryField", func(t *testing.T) {
		pub, sub := open(t), open(t)
		ch := subscribe(t, sub)
		want := []store.Change{
			{Revision: 7, Type: store.Added, Record: store.Record{
				Key: store.Key{Resource: "deployments.apps", Namespace: "ns-1", Name: "web"},
				UID: "4c2d", ResourceVersion: 7, Value: []byte(`{"kind":"Deployment","x":"\u00e9\n"}`),
			}},
			{Revision: 8, Type: store.Modified, Record: store.Record{
				Key: store.Key{Resource: "nodes", Name: "n1"}, UID: "u2", ResourceVersion: 8, Value: []byte{0, 1, 255},
			}},
			{Revision: 9, Type: store.Deleted, Record: store.Record{
				Key: store.Key{Resource: "pods", Namespace: "default", Name: "p"}, UID: "u3", ResourceVersion: 9, Value: []byte(`{}`),
			}},
		}
		publish(t, pub, want)
		expect(t, ch, want)
	})

	t.Run("EverySubscriberSeesEveryPublisher", func(t *testing.T) {
		pub1, pub2 := open(t), open(t)
		sub1, sub2 := open(t), open(t)
		ch1, ch2 := subscribe(t, sub1), subscribe(t, sub2)
		var want1, want2 []store.Change
		for i := int64(1); i <= 20; i++ {
			c1, c2 := Change(i, "one"), Change(100+i, "two")
			publish(t, pub1, []store.Change{c1})
			publish(t, pub2, []store.Change{c2})
			want1, want2 = append(want1, c1), append(want2, c2)
		}
		for _, ch := range []<-chan store.Change{ch1, ch2} {
			var got1, got2 []store.Change
			for len(got1)+len(got2) < 40 {
				c := receive(t, ch)
				if c.Name == "one" {
					got1 = append(got1, c)
				} else {
					got2 = append(got2, c)
				}
			}
			same(t, got1, want1)
			same(t, got2, want2)
		}
	})

	t.Run("CancelClosesChannel", func(t *testing.T) {
		sub := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := sub.Subscribe(ctx)
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		cancel()
		deadline := time.After(Timeout)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatal("channel still open after cancel")
			}
		}
	})
}

// Change returns a change of an object named name at revision rev.
func Change(rev int64, name string) store.Change {
	return store.Change{Revision: rev, Type: store.Modified, Record: store.Record{
		Key: store.Key{Resource: "configmaps", Namespace: "default", Name: name},
		UID: "uid-" + name, ResourceVersion: rev, Value: fmt.Appendf(nil, `{"rev":%d}`, rev),
	}}
}

func subscribe(t *testing.T, b hub.Bus) <-chan store.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := b.Subscribe(ctx)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return ch
}

func publish(t *testing.T, b hub.Bus, cs []store.Change) {
	t.Helper()
	if err := b.Publish(context.Background(), cs); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func receive(t *testing.T, ch <-chan store.Change) store.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return c
	case <-time.After(Timeout):
		t.Fatal("timed out waiting for a change")
	}
	panic("unreachable")
}

func expect(t *testing.T, ch <-chan store.Change, want []store.Change) {
	t.Helper()
	got := make([]store.Change, 0, len(want))
	for range want {
		got = append(got, receive(t, ch))
	}
	same(t, got, want)
}

func same(t *testing.T, got, want []store.Change) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Revision != w.Revision || g.Type != w.Type || g.Key != w.Key || g.UID != w.UID ||
			g.ResourceVersion != w.ResourceVersion || !bytes.Equal(g.Value, w.Value) {
			t.Fatalf("change %d: got %+v, want %+v", i, g, w)
		}
	}
}

// Latency benchmarks commit-to-watcher delivery: each iteration commits one
// write to a SQLite store whose OnCommit publishes on pub, and waits until a
// watcher of a hub subscribed on sub receives it. It reports the mean time
// from the commit hook to the watcher as µs/delivery. The hub does not poll
// meanwhile, so every change travels through the bus.
func Latency(b *testing.B, pub, sub hub.Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.Open(ctx, store.Config{DSN: filepath.Join(b.TempDir(), "bench.db")}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	var mu sync.Mutex
	committed := make(map[int64]time.Time)
	s.SetOnCommit(func(cs []store.Change) {
		now := time.Now()
		mu.Lock()
		for _, c := range cs {
			committed[c.Revision] = now
		}
		mu.Unlock()
		_ = pub.Publish(ctx, cs)
	})

	h := hub.New(s, sub, zerolog.Nop(), hub.WithPollInterval(time.Hour))
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	defer func() { cancel(); <-done }()
	w, err := h.Watch(ctx, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for !h.Ready() {
		time.Sleep(time.Millisecond)
	}

	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		r, err := s.Create(ctx, &store.Record{
			Key: store.Key{Resource: "configmaps", Namespace: "bench", Name: fmt.Sprint("cm-", i)},
			UID: fmt.Sprint("u-", i), Value: []byte(`{"data":{"k":"v"}}`),
		})
		if err != nil {
			b.Fatal(err)
		}
		for {
			c, ok := <-w.Events()
			if !ok {
				b.Fatalf("watch ended: %v", w.Err())
			}
			if c.Revision == r.ResourceVersion {
				mu.Lock()
				total += time.Since(committed[c.Revision])
				mu.Unlock()
				break
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/delivery")
}

// StartHub runs a hub on log and bus until the test ends, and waits until
// it is ready.
func StartHub(t *testing.T, log store.ChangeLog, bus hub.Bus, opts ...hub.Option) *hub.Hub {
	t.Helper()
	h := hub.New(log, bus, zerolog.Nop(), opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	WaitFor(t, "hub ready", h.Ready)
	return h
}

// WaitFor polls cond until it holds, failing the test after Timeout.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
