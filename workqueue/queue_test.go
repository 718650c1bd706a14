package workqueue

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testpoll"
)

func newTestQueue(t *testing.T) (*Queue[string], *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	q := New(Config[string]{Clock: clock})
	t.Cleanup(q.ShutDown)
	return q, clock
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testpoll.Eventually(t, 5*time.Second, what, cond)
}

func mustGet(t *testing.T, q *Queue[string]) string {
	t.Helper()
	k, shutdown := q.Get()
	if shutdown {
		t.Fatal("Get reported shutdown")
	}
	return k
}

func TestFIFOAndDedup(t *testing.T) {
	q, _ := newTestQueue(t)
	for _, k := range []string{"a", "b", "a", "c", "b"} {
		q.Add(k)
	}
	if n := q.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	for _, want := range []string{"a", "b", "c"} {
		if k := mustGet(t, q); k != want {
			t.Fatalf("Get = %q, want %q", k, want)
		}
		q.Done(want)
	}
	if n := q.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestReAddWhileProcessing(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	k := mustGet(t, q)
	q.Add("a") // a change arrives while a worker holds the key
	q.Add("a")
	if n := q.Len(); n != 0 {
		t.Fatalf("key being processed must not be handed out again: Len = %d", n)
	}
	q.Done(k)
	if n := q.Len(); n != 1 {
		t.Fatalf("after Done the re-added key must be queued once: Len = %d", n)
	}
	if k := mustGet(t, q); k != "a" {
		t.Fatalf("Get = %q", k)
	}
	q.Done("a")
	if n := q.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestNoKeyToTwoWorkers(t *testing.T) {
	q := New(Config[int]{})
	const workers, keys, adds = 8, 5, 2000

	var inFlight [keys]atomic.Int32
	var processed atomic.Int64
	var violations atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, shutdown := q.Get()
				if shutdown {
					return
				}
				if inFlight[k].Add(1) != 1 {
					violations.Add(1)
				}
				time.Sleep(10 * time.Microsecond)
				inFlight[k].Add(-1)
				processed.Add(1)
				q.Done(k)
			}
		}()
	}
	var adders sync.WaitGroup
	for a := range 4 {
		adders.Add(1)
		go func() {
			defer adders.Done()
			for i := range adds {
				q.Add((a + i) % keys)
			}
		}()
	}
	adders.Wait()
	q.ShutDownWithDrain()
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d times a key was processed by two workers at once", v)
	}
	if p := processed.Load(); p < keys || p > 4*adds {
		t.Fatalf("processed %d keys, want between %d and %d", p, keys, 4*adds)
	}
}

func TestEveryAddIsEventuallyProcessed(t *testing.T) {
	// The last Add of every key must be followed by a processing of it:
	// keys added while being processed are not lost.
	q := New(Config[int]{})
	const keys = 50
	var lastSeen [keys]atomic.Int64 // the generation a worker saw
	var gen [keys]atomic.Int64      // the generation last added
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, shutdown := q.Get()
				if shutdown {
					return
				}
				lastSeen[k].Store(gen[k].Load())
				q.Done(k)
			}
		}()
	}
	for i := range 5000 {
		k := i % keys
		gen[k].Add(1)
		q.Add(k)
	}
	for k := range keys {
		eventually(t, "every key processed at its last generation", func() bool {
			return lastSeen[k].Load() == gen[k].Load()
		})
	}
	q.ShutDown()
	wg.Wait()
}

func TestAddAfter(t *testing.T) {
	q, clock := newTestQueue(t)
	q.AddAfter("a", time.Second)
	q.AddAfter("b", 2*time.Second)
	q.AddAfter("now", 0)
	if n := q.Len(); n != 1 {
		t.Fatalf("only the undelayed key is ready: Len = %d", n)
	}
	if k := mustGet(t, q); k != "now" {
		t.Fatalf("Get = %q", k)
	}
	q.Done("now")

	clock.Step(999 * time.Millisecond)
	time.Sleep(5 * time.Millisecond) // give a wrong implementation a chance to misbehave
	if n := q.Len(); n != 0 {
		t.Fatalf("key ready before its delay: Len = %d", n)
	}
	clock.Step(time.Millisecond)
	eventually(t, "a ready", func() bool { return q.Len() == 1 })
	if k := mustGet(t, q); k != "a" {
		t.Fatalf("Get = %q, want a", k)
	}
	q.Done("a")
	clock.Step(time.Second)
	eventually(t, "b ready", func() bool { return q.Len() == 1 })
	if k := mustGet(t, q); k != "b" {
		t.Fatalf("Get = %q, want b", k)
	}
}

func TestAddAfterKeepsEarliest(t *testing.T) {
	tests := []struct {
		name   string
		delays []time.Duration
	}{
		{"shorter second", []time.Duration{10 * time.Second, time.Second}},
		{"longer second", []time.Duration{time.Second, 10 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, clock := newTestQueue(t)
			for _, d := range tc.delays {
				q.AddAfter("k", d)
			}
			clock.Step(time.Second)
			eventually(t, "k ready after the earlier delay", func() bool { return q.Len() == 1 })
			mustGet(t, q)
			q.Done("k")
			clock.Step(time.Hour)
			time.Sleep(5 * time.Millisecond)
			if n := q.Len(); n != 0 {
				t.Fatalf("the later delay must have been dropped: Len = %d", n)
			}
		})
	}
}

func TestAddAfterOfQueuedKeyDedups(t *testing.T) {
	q, clock := newTestQueue(t)
	q.Add("k")
	q.AddAfter("k", time.Second)
	clock.Step(time.Second)
	eventually(t, "delay loop to run", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.waiting.Len() == 0
	})
	if n := q.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
}

func TestAddRateLimited(t *testing.T) {
	clock := newFakeClock()
	q := New(Config[string]{Clock: clock, RateLimiter: NewExponential[string](time.Second, time.Minute)})
	defer q.ShutDown()

	q.AddRateLimited("k") // 1s
	if n := q.NumRequeues("k"); n != 1 {
		t.Fatalf("NumRequeues = %d", n)
	}
	clock.Step(time.Second)
	eventually(t, "first retry", func() bool { return q.Len() == 1 })
	q.Done(mustGet(t, q))

	q.AddRateLimited("k") // 2s
	clock.Step(time.Second)
	time.Sleep(5 * time.Millisecond)
	if n := q.Len(); n != 0 {
		t.Fatalf("second retry must wait 2s: Len = %d", n)
	}
	clock.Step(time.Second)
	eventually(t, "second retry", func() bool { return q.Len() == 1 })

	q.Forget("k")
	if n := q.NumRequeues("k"); n != 0 {
		t.Fatalf("NumRequeues after Forget = %d", n)
	}
}

func TestShutDown(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	q.AddAfter("later", time.Second)

	// A Get blocked on an empty queue wakes at shutdown.
	q2 := New(Config[string]{})
	got := make(chan bool)
	go func() {
		_, shutdown := q2.Get()
		got <- shutdown
	}()
	q2.ShutDown()
	if !<-got {
		t.Fatal("blocked Get did not report shutdown")
	}

	q.ShutDown()
	q.ShutDown() // twice is fine
	q.Add("b")
	if !q.ShuttingDown() {
		t.Fatal("ShuttingDown = false")
	}
	if k := mustGet(t, q); k != "a" {
		t.Fatalf("queued key must still be handed out, got %q", k)
	}
	q.Done("a")
	if _, shutdown := q.Get(); !shutdown {
		t.Fatal("Get after drain did not report shutdown (Add after ShutDown must be ignored)")
	}
}

func TestShutDownWithDrainWaitsForDone(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	k := mustGet(t, q)
	drained := make(chan struct{})
	go func() {
		q.ShutDownWithDrain()
		close(drained)
	}()
	eventually(t, "shutdown to start", q.ShuttingDown)
	select {
	case <-drained:
		t.Fatal("ShutDownWithDrain returned while a key was being processed")
	case <-time.After(10 * time.Millisecond):
	}
	q.Done(k)
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("ShutDownWithDrain did not return after Done")
	}
}
