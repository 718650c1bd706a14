package kubelet

import "time"

// backoff is the restart back-off of one container, as the Kubernetes
// kubelet's: the first restart is immediate, each later one waits twice as
// long as the one before (initial doubling to max), and a container that
// ran without trouble for 2·max starts over at initial.
type backoff struct {
	initial, max time.Duration
	delay        time.Duration // 0: no restart yet
	last         time.Time     // when delay was last raised
}

// remaining is how long a restart must still wait after the failure at
// since, 0 if it may happen now; b is nil for a container that never
// failed.
func (b *backoff) remaining(since, now time.Time) time.Duration {
	if b == nil || b.delay == 0 || now.Sub(b.last) > 2*b.max {
		return 0
	}
	return max(since.Add(b.delay).Sub(now), 0)
}

// next records a restart at now and raises the delay for the one after.
func (b *backoff) next(now time.Time) {
	if b.delay == 0 || now.Sub(b.last) > 2*b.max {
		b.delay = b.initial
	} else {
		b.delay = min(2*b.delay, b.max)
	}
	b.last = now
}
