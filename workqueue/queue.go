package workqueue

import (
	"container/heap"
	"sync"
	"time"
)

// Config tunes a Queue. The zero value gives DefaultRateLimiter and the wall
// clock.
type Config[K comparable] struct {
	RateLimiter RateLimiter[K] // nil: DefaultRateLimiter(Clock)
	Clock       Clock          // nil: RealClock
}

// Queue is a deduplicating, rate-limited work queue of keys; see the package
// doc for its guarantees. Create it with New and stop it with ShutDown.
type Queue[K comparable] struct {
	limiter RateLimiter[K]
	clock   Clock

	mu         sync.Mutex
	cond       *sync.Cond     // signalled when a key is queued or at shutdown
	idle       *sync.Cond     // broadcast when nothing is being processed
	queue      []K            // keys ready to hand out, in order
	dirty      map[K]struct{} // keys that need processing (queued or re-added while processing)
	processing map[K]struct{} // keys between Get and Done
	shutdown   bool

	waiting  waitHeap[K]         // delayed keys, earliest first
	waitIdx  map[K]*waitEntry[K] // delayed keys by key
	wakeup   chan struct{}       // tells the delay loop the earliest entry changed
	stopLoop chan struct{}       // closed by ShutDown
}

// New returns a running queue. Its delay goroutine stops at ShutDown.
func New[K comparable](cfg Config[K]) *Queue[K] {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.RateLimiter == nil {
		cfg.RateLimiter = DefaultRateLimiter[K](cfg.Clock)
	}
	q := &Queue[K]{
		limiter:    cfg.RateLimiter,
		clock:      cfg.Clock,
		dirty:      make(map[K]struct{}),
		processing: make(map[K]struct{}),
		waitIdx:    make(map[K]*waitEntry[K]),
		wakeup:     make(chan struct{}, 1),
		stopLoop:   make(chan struct{}),
	}
	q.cond = sync.NewCond(&q.mu)
	q.idle = sync.NewCond(&q.mu)
	go q.delayLoop()
	return q
}

// Add marks k as needing processing. It is a no-op if k is already queued
// or after ShutDown; if k is being processed it is queued again at Done.
func (q *Queue[K]) Add(k K) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(k)
}

func (q *Queue[K]) addLocked(k K) {
	if q.shutdown {
		return
	}
	if _, ok := q.dirty[k]; ok {
		return
	}
	q.dirty[k] = struct{}{}
	if _, ok := q.processing[k]; ok {
		return
	}
	q.queue = append(q.queue, k)
	q.cond.Signal()
}

// AddAfter adds k once d has passed (at once if d <= 0). If k is already
// waiting, the earlier of the two times is kept.
func (q *Queue[K]) AddAfter(k K, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	if d <= 0 {
		q.addLocked(k)
		return
	}
	at := q.clock.Now().Add(d)
	if e, ok := q.waitIdx[k]; ok {
		if !at.Before(e.at) {
			return
		}
		e.at = at
		heap.Fix(&q.waiting, e.index)
	} else {
		e := &waitEntry[K]{key: k, at: at}
		heap.Push(&q.waiting, e)
		q.waitIdx[k] = e
	}
	select {
	case q.wakeup <- struct{}{}:
	default:
	}
}

// AddRateLimited adds k after the delay its rate limiter gives, recording
// one more failure of k.
func (q *Queue[K]) AddRateLimited(k K) { q.AddAfter(k, q.limiter.When(k)) }

// Forget clears k's backoff; call it when k was processed successfully.
// It does not remove k from the queue.
func (q *Queue[K]) Forget(k K) { q.limiter.Forget(k) }

// NumRequeues is how many times k was rate-limited since the last Forget.
func (q *Queue[K]) NumRequeues(k K) int { return q.limiter.NumRequeues(k) }

// Get blocks until a key is ready and hands it out; the caller must call
// Done(k) when finished with it. shutdown is true, with a zero key, once
// the queue is shut down and empty.
func (q *Queue[K]) Get() (k K, shutdown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	if len(q.queue) == 0 {
		return k, true
	}
	k = q.queue[0]
	var zero K
	q.queue[0] = zero // let the backing array drop the key
	q.queue = q.queue[1:]
	q.processing[k] = struct{}{}
	delete(q.dirty, k)
	return k, false
}

// Done ends the processing of k. If k was added meanwhile it is queued
// again.
func (q *Queue[K]) Done(k K) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, k)
	if _, ok := q.dirty[k]; ok {
		q.queue = append(q.queue, k)
		q.cond.Signal()
	} else if len(q.processing) == 0 {
		q.idle.Broadcast()
	}
}

// Len is the number of keys ready to be handed out (not counting delayed
// keys or keys being processed).
func (q *Queue[K]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// ShutDown stops accepting keys and wakes every Get; keys still queued are
// handed out first. Delayed keys are dropped. It is safe to call twice.
func (q *Queue[K]) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdownLocked()
}

func (q *Queue[K]) shutdownLocked() {
	if q.shutdown {
		return
	}
	q.shutdown = true
	close(q.stopLoop)
	q.cond.Broadcast()
}

// ShutDownWithDrain shuts the queue down and then blocks until every key
// handed out has been marked Done. Workers must keep calling Get and Done
// for it to return.
func (q *Queue[K]) ShutDownWithDrain() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdownLocked()
	for len(q.processing) > 0 || len(q.queue) > 0 {
		q.idle.Wait()
	}
}

// ShuttingDown reports whether ShutDown has been called.
func (q *Queue[K]) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}

// delayLoop moves delayed keys into the queue when their time comes.
func (q *Queue[K]) delayLoop() {
	for {
		q.mu.Lock()
		now := q.clock.Now()
		for q.waiting.Len() > 0 {
			e := q.waiting[0]
			if e.at.After(now) {
				break
			}
			heap.Pop(&q.waiting)
			delete(q.waitIdx, e.key)
			q.addLocked(e.key)
		}
		var timer <-chan time.Time
		if q.waiting.Len() > 0 {
			timer = q.clock.After(q.waiting[0].at.Sub(now))
		}
		q.mu.Unlock()

		select {
		case <-q.stopLoop:
			return
		case <-q.wakeup:
		case <-timer:
		}
	}
}

type waitEntry[K comparable] struct {
	key   K
	at    time.Time
	index int // position in waitHeap, maintained by Swap/Push
}

// waitHeap is a min-heap of delayed keys by ready time.
type waitHeap[K comparable] []*waitEntry[K]

func (h waitHeap[K]) Len() int           { return len(h) }
func (h waitHeap[K]) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h waitHeap[K]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *waitHeap[K]) Push(x any) {
	e := x.(*waitEntry[K])
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *waitHeap[K]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
