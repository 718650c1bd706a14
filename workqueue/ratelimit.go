package workqueue

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter decides how long a key waits before it is retried.
// Implementations are safe for concurrent use.
type RateLimiter[K comparable] interface {
	// When records one more failure of k and returns how long to wait.
	When(k K) time.Duration
	// Forget clears k's failure history.
	Forget(k K)
	// NumRequeues is how many failures of k have been recorded since the
	// last Forget.
	NumRequeues(k K) int
}

// DefaultRateLimiter is client-go's DefaultControllerRateLimiter: the larger
// of a per-key exponential backoff from 5 ms to 1000 s and an overall token
// bucket of 10 qps with a burst of 100. The bucket reads time from clock.
func DefaultRateLimiter[K comparable](clock Clock) RateLimiter[K] {
	return MaxOf[K](
		NewExponential[K](5*time.Millisecond, 1000*time.Second),
		NewBucket[K](10, 100, clock),
	)
}

// Exponential waits base·2ⁿ for a key's n-th failure (counting from 0),
// capped at max.
type Exponential[K comparable] struct {
	base, max time.Duration

	mu       sync.Mutex
	failures map[K]int
}

// NewExponential returns a per-key exponential backoff.
func NewExponential[K comparable](base, max time.Duration) *Exponential[K] {
	return &Exponential[K]{base: base, max: max, failures: make(map[K]int)}
}

func (e *Exponential[K]) When(k K) time.Duration {
	e.mu.Lock()
	n := e.failures[k]
	e.failures[k] = n + 1
	e.mu.Unlock()

	d := float64(e.base) * math.Pow(2, float64(n))
	if d > float64(e.max) || d > math.MaxInt64 {
		return e.max
	}
	return time.Duration(d)
}

func (e *Exponential[K]) Forget(k K) {
	e.mu.Lock()
	delete(e.failures, k)
	e.mu.Unlock()
}

func (e *Exponential[K]) NumRequeues(k K) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failures[k]
}

// Bucket is one token bucket shared by all keys: it bounds the overall retry
// rate however many keys fail. It keeps no per-key history.
type Bucket[K comparable] struct {
	lim   *rate.Limiter
	clock Clock
}

// NewBucket returns a token bucket refilled at qps with room for burst.
// A nil clock means the wall clock.
func NewBucket[K comparable](qps float64, burst int, clock Clock) *Bucket[K] {
	if clock == nil {
		clock = RealClock{}
	}
	return &Bucket[K]{lim: rate.NewLimiter(rate.Limit(qps), burst), clock: clock}
}

func (b *Bucket[K]) When(K) time.Duration {
	now := b.clock.Now()
	return b.lim.ReserveN(now, 1).DelayFrom(now)
}

func (b *Bucket[K]) Forget(K)          {}
func (b *Bucket[K]) NumRequeues(K) int { return 0 }

// maxOf waits as long as the slowest of its limiters.
type maxOf[K comparable] []RateLimiter[K]

// MaxOf combines limiters: When asks every one (so each records the failure)
// and returns the longest wait; NumRequeues is the largest count.
func MaxOf[K comparable](limiters ...RateLimiter[K]) RateLimiter[K] {
	return maxOf[K](limiters)
}

func (m maxOf[K]) When(k K) time.Duration {
	var d time.Duration
	for _, l := range m {
		d = max(d, l.When(k))
	}
	return d
}

func (m maxOf[K]) Forget(k K) {
	for _, l := range m {
		l.Forget(k)
	}
}

func (m maxOf[K]) NumRequeues(k K) int {
	var n int
	for _, l := range m {
		n = max(n, l.NumRequeues(k))
	}
	return n
}
