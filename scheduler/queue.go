package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// ErrQueueClosed is returned by Pop once the queue is closed.
var ErrQueueClosed = errors.New("scheduling queue closed")

// QueuedPod is a pod waiting to be scheduled, as Pop hands it out.
type QueuedPod struct {
	// Pod is the latest version of the pod the queue has seen.
	Pod *api.Pod
	// Attempts counts the times the pod was popped, this one included.
	Attempts int
	// Added is when the pod first entered the queue.
	Added time.Time

	key          informer.Key
	timestamp    time.Time // when it last entered the active queue (FIFO order)
	backoffUntil time.Time
	unschedSince time.Time
	popCycle     int64 // q.moveCycle when it was popped
	updated      bool  // its spec changed while it was being scheduled
	deleted      bool  // it was deleted while it was being scheduled
	where        int
	index        int // in its heap
}

const (
	inActive = iota + 1
	inBackoff
	inUnschedulable
	inFlight
)

// Queue is the scheduling queue, kube-scheduler's three queues in one:
//
//   - active: pods ready to be tried, highest spec.priority first, then in
//     the order they became ready;
//   - backoff: pods that failed, each waiting out its own exponential
//     backoff (InitialBackoff doubling per attempt up to MaxBackoff);
//   - unschedulable: pods that fit nowhere, parked until something that
//     could make them fit happens (MoveAll: a node added or changed, a pod
//     deleted), or UnschedulableTimeout passes.
//
// Each pod is in at most one of them, or popped ("in flight") between Pop
// and Done or Requeue. All methods are safe for concurrent use.
type Queue struct {
	now                  func() time.Time
	initialBackoff       time.Duration
	maxBackoff           time.Duration
	unschedulableTimeout time.Duration

	mu        sync.Mutex
	cond      *sync.Cond // signalled when active gains a pod, or at Close
	active    podHeap
	backoff   podHeap
	unsched   map[informer.Key]*QueuedPod
	pods      map[informer.Key]*QueuedPod // every pod the queue holds, in flight included
	moveCycle int64                       // bumped by MoveAll
	closed    bool
}

// NewQueue returns an empty queue. now may be nil (time.Now).
func NewQueue(cfg Config, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	q := &Queue{
		now:                  now,
		initialBackoff:       cfg.InitialBackoff,
		maxBackoff:           cfg.MaxBackoff,
		unschedulableTimeout: cfg.UnschedulableTimeout,
		active:               podHeap{less: activeLess},
		backoff:              podHeap{less: backoffLess},
		unsched:              make(map[informer.Key]*QueuedPod),
		pods:                 make(map[informer.Key]*QueuedPod),
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func priority(p *api.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

func activeLess(a, b *QueuedPod) bool {
	if pa, pb := priority(a.Pod), priority(b.Pod); pa != pb {
		return pa > pb
	}
	return a.timestamp.Before(b.timestamp)
}

func backoffLess(a, b *QueuedPod) bool { return a.backoffUntil.Before(b.backoffUntil) }

// Add queues a new pod as active. If the queue already holds it, Add is
// Update.
func (q *Queue) Add(p *api.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp := q.pods[informer.KeyOf(p)]; qp != nil {
		q.updateLocked(qp, p)
		return
	}
	now := q.now()
	qp := &QueuedPod{Pod: p, key: informer.KeyOf(p), Added: now}
	q.pods[qp.key] = qp
	q.pushActiveLocked(qp, now)
}

// Update records a new version of a pod. A pod that is not queued is
// added; an unschedulable pod whose spec or labels changed is retried
// (after its backoff); a pod in flight is marked so that a failure of the
// current attempt retries it rather than parking it.
func (q *Queue) Update(p *api.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp := q.pods[informer.KeyOf(p)]
	if qp == nil {
		now := q.now()
		qp = &QueuedPod{Pod: p, key: informer.KeyOf(p), Added: now}
		q.pods[qp.key] = qp
		q.pushActiveLocked(qp, now)
		return
	}
	q.updateLocked(qp, p)
}

func (q *Queue) updateLocked(qp *QueuedPod, p *api.Pod) {
	changed := specChanged(qp.Pod, p)
	qp.Pod = p
	switch {
	case !changed:
	case qp.where == inFlight:
		qp.updated = true
	case qp.where == inUnschedulable:
		delete(q.unsched, qp.key)
		q.moveLocked(qp, q.now())
	}
}

// specChanged reports whether a pod changed in a way that can change where
// it fits: its spec or labels, not its status (the scheduler's own
// condition update must not wake the pod up).
func specChanged(old, new *api.Pod) bool {
	return !reflect.DeepEqual(old.Spec, new.Spec) || !reflect.DeepEqual(old.Labels, new.Labels)
}

// Delete drops a pod from the queue; a pod in flight is not requeued.
func (q *Queue) Delete(k informer.Key) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp := q.pods[k]
	if qp == nil {
		return
	}
	switch qp.where {
	case inActive:
		heap.Remove(&q.active, qp.index)
	case inBackoff:
		heap.Remove(&q.backoff, qp.index)
	case inUnschedulable:
		delete(q.unsched, k)
	case inFlight:
		qp.deleted = true
	}
	delete(q.pods, k)
}

// Pop waits for an active pod and hands it out, in flight, until Done or
// Requeue. It returns ctx's error when ctx ends first, ErrQueueClosed after
// Close.
func (q *Queue) Pop(ctx context.Context) (*QueuedPod, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 {
		if q.closed {
			return nil, ErrQueueClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.cond.Wait()
	}
	qp := heap.Pop(&q.active).(*QueuedPod)
	qp.where = inFlight
	qp.Attempts++
	qp.popCycle = q.moveCycle
	qp.updated = false
	return qp, nil
}

// Done forgets a pod popped and successfully placed (or given up on).
func (q *Queue) Done(qp *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pods[qp.key] == qp {
		delete(q.pods, qp.key)
	}
}

// Requeue returns a popped pod after a failed attempt. An unschedulable pod
// is parked, unless something that could make it fit happened during the
// attempt (a MoveAll, or a change to the pod); then, like a pod that failed
// for any other reason, it waits out its backoff. A pod deleted meanwhile
// is dropped.
func (q *Queue) Requeue(qp *QueuedPod, unschedulable bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp.deleted || q.pods[qp.key] != qp || qp.where != inFlight {
		return
	}
	now := q.now()
	qp.backoffUntil = now.Add(q.backoffDuration(qp.Attempts))
	if unschedulable && !qp.updated && q.moveCycle == qp.popCycle {
		qp.where, qp.unschedSince = inUnschedulable, now
		q.unsched[qp.key] = qp
		return
	}
	qp.where = inBackoff
	heap.Push(&q.backoff, qp)
}

// backoffDuration is InitialBackoff × 2^(attempts−1), at most MaxBackoff.
func (q *Queue) backoffDuration(attempts int) time.Duration {
	d := q.initialBackoff
	for i := 1; i < attempts && d < q.maxBackoff; i++ {
		d *= 2
	}
	return min(d, q.maxBackoff)
}

// MoveAll moves every unschedulable pod to backoff, or to active if its
// backoff is over: the cluster changed in a way that may make them fit.
func (q *Queue) MoveAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveCycle++
	now := q.now()
	for k, qp := range q.unsched {
		delete(q.unsched, k)
		q.moveLocked(qp, now)
	}
}

func (q *Queue) moveLocked(qp *QueuedPod, now time.Time) {
	if qp.backoffUntil.After(now) {
		qp.where = inBackoff
		heap.Push(&q.backoff, qp)
		return
	}
	q.pushActiveLocked(qp, now)
}

func (q *Queue) pushActiveLocked(qp *QueuedPod, now time.Time) {
	qp.where, qp.timestamp = inActive, now
	heap.Push(&q.active, qp)
	q.cond.Signal()
}

// Flush moves pods whose backoff is over to active, and pods parked as
// unschedulable for UnschedulableTimeout to backoff or active. The
// scheduler calls it every second.
func (q *Queue) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	for q.backoff.Len() > 0 && !q.backoff.items[0].backoffUntil.After(now) {
		q.pushActiveLocked(heap.Pop(&q.backoff).(*QueuedPod), now)
	}
	for k, qp := range q.unsched {
		if now.Sub(qp.unschedSince) >= q.unschedulableTimeout {
			delete(q.unsched, k)
			q.moveLocked(qp, now)
		}
	}
}

// Lens returns how many pods are active, backing off and unschedulable.
func (q *Queue) Lens() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unsched)
}

// Close wakes every Pop, which then returns ErrQueueClosed once active is
// empty.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// podHeap is a heap of queued pods that keeps each pod's index.
type podHeap struct {
	items []*QueuedPod
	less  func(a, b *QueuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *podHeap) Push(x any) {
	qp := x.(*QueuedPod)
	qp.index = len(h.items)
	h.items = append(h.items, qp)
}
func (h *podHeap) Pop() any {
	n := len(h.items) - 1
	qp := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	return qp
}
