package scheduler

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestQueue() (*Queue, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewQueue(DefaultConfig(), c.now), c
}

// pop pops without waiting; it fails the test if nothing is active.
func pop(t *testing.T, q *Queue) *QueuedPod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	qp, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("Pop: %v", err)
	}
	return qp
}

func wantLens(t *testing.T, q *Queue, active, backoff, unsched int) {
	t.Helper()
	a, b, u := q.Lens()
	if a != active || b != backoff || u != unsched {
		t.Fatalf("Lens() = %d, %d, %d; want %d, %d, %d", a, b, u, active, backoff, unsched)
	}
}

func TestQueueOrder(t *testing.T) {
	q, c := newTestQueue()
	q.Add(pod("a", "", ""))
	c.advance(time.Millisecond)
	q.Add(pod("b", "", "", withPriority(10)))
	c.advance(time.Millisecond)
	q.Add(pod("c", "", ""))
	c.advance(time.Millisecond)
	q.Add(pod("d", "", "", withPriority(10)))
	var got []string
	for range 4 {
		got = append(got, pop(t, q).Pod.Name)
	}
	if want := []string{"b", "d", "a", "c"}; !slices.Equal(got, want) {
		t.Fatalf("popped %v, want %v (priority, then FIFO)", got, want)
	}
}

func TestQueueDeduplicates(t *testing.T) {
	q, _ := newTestQueue()
	p := pod("a", "", "")
	q.Add(p)
	q.Add(p)
	q.Update(p)
	wantLens(t, q, 1, 0, 0)
}

func TestQueueBackoffDoubles(t *testing.T) {
	q, c := newTestQueue()
	q.Add(pod("a", "", ""))
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		qp := pop(t, q)
		if qp.Attempts != i+1 {
			t.Fatalf("attempts = %d, want %d", qp.Attempts, i+1)
		}
		q.Requeue(qp, false)
		wantLens(t, q, 0, 1, 0)
		c.advance(want*time.Second - time.Millisecond)
		q.Flush()
		wantLens(t, q, 0, 1, 0)
		c.advance(time.Millisecond)
		q.Flush()
		wantLens(t, q, 1, 0, 0)
	}
}

func TestQueueUnschedulable(t *testing.T) {
	q, c := newTestQueue()
	q.Add(pod("a", "", ""))
	q.Requeue(pop(t, q), true)
	wantLens(t, q, 0, 0, 1)

	// A status-only update (our own condition) does not wake it.
	p := pod("a", "", "")
	p.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionFalse}}
	q.Update(p)
	wantLens(t, q, 0, 0, 1)

	// MoveAll during the backoff: it waits out the backoff first.
	q.MoveAll()
	wantLens(t, q, 0, 1, 0)
	c.advance(time.Second)
	q.Flush()
	wantLens(t, q, 1, 0, 0)

	// After the backoff, MoveAll makes it active at once.
	q.Requeue(pop(t, q), true)
	c.advance(5 * time.Second)
	q.MoveAll()
	wantLens(t, q, 1, 0, 0)

	// A spec change wakes it too.
	q.Requeue(pop(t, q), true)
	c.advance(5 * time.Second)
	q.Update(pod("a", "", "", withNodeSelector("disk", "ssd")))
	wantLens(t, q, 1, 0, 0)

	// Left alone, it is retried after UnschedulableTimeout.
	q.Requeue(pop(t, q), true)
	c.advance(29 * time.Second)
	q.Flush()
	wantLens(t, q, 0, 0, 1)
	c.advance(time.Second)
	q.Flush()
	wantLens(t, q, 1, 0, 0)
}

func TestQueueMoveDuringAttempt(t *testing.T) {
	q, _ := newTestQueue()
	q.Add(pod("a", "", ""))
	qp := pop(t, q)
	q.MoveAll() // a node was added while the attempt ran
	q.Requeue(qp, true)
	wantLens(t, q, 0, 1, 0)

	q.Add(pod("b", "", ""))
	qp = pop(t, q)
	q.Update(pod("b", "", "", withPriority(5))) // changed while in flight
	q.Requeue(qp, true)
	wantLens(t, q, 0, 2, 0)
}

func TestQueueDelete(t *testing.T) {
	q, _ := newTestQueue()
	for _, n := range []string{"a", "b", "c", "d"} {
		q.Add(pod(n, "", ""))
	}
	q.Requeue(pop(t, q), false) // a: backoff
	q.Requeue(pop(t, q), true)  // b: unschedulable
	qp := pop(t, q)             // c: in flight
	for _, n := range []string{"a", "b", "c", "d"} {
		q.Delete(informer.Key{Namespace: "default", Name: n})
	}
	q.Requeue(qp, false) // deleted while in flight: dropped
	wantLens(t, q, 0, 0, 0)
}

func TestQueueDoneForgets(t *testing.T) {
	q, _ := newTestQueue()
	q.Add(pod("a", "", ""))
	qp := pop(t, q)
	q.Done(qp)
	q.Add(pod("a", "", ""))
	if qp2 := pop(t, q); qp2 == qp || qp2.Attempts != 1 {
		t.Fatalf("re-added pod should be new, got attempts %d", qp2.Attempts)
	}
}

func TestQueuePopBlocksUntilAddOrCancel(t *testing.T) {
	q, _ := newTestQueue()
	got := make(chan string)
	go func() {
		qp, err := q.Pop(context.Background())
		if err != nil {
			got <- err.Error()
			return
		}
		got <- qp.Pod.Name
	}()
	time.Sleep(10 * time.Millisecond)
	q.Add(pod("a", "", ""))
	if name := <-got; name != "a" {
		t.Fatalf("Pop = %q", name)
	}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := q.Pop(ctx); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Pop after cancel = %v", err)
	}

	q.Close()
	if _, err := q.Pop(context.Background()); !errors.Is(err, ErrQueueClosed) {
		t.Fatalf("Pop after Close = %v", err)
	}
}
