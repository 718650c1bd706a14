package election

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Log keys used by the election packages.
const (
	logKeyHolder = "holder"
	logKeyFence  = "fence"
)

// Options are the optional parts of an Elector.
type Options struct {
	// Component labels the metrics, e.g. "scheduler".
	Component string
	// Registerer receives the metrics minik8s_leader_is_leader{component,
	// identity} and minik8s_leader_transitions_total{component}; nil
	// registers nothing. Electors given the same Registerer share the
	// collectors.
	Registerer prometheus.Registerer
}

// Status is a snapshot of an Elector's state.
type Status struct {
	// Identity is the elector's own identity.
	Identity string
	// Leader is true while the elector holds the lease and lead is running.
	Leader bool
	// Holder is the holder last seen: this elector while it leads, else the
	// one that refused the last acquisition ("" if none seen yet).
	Holder string
	// Fence is the fence of this elector's current or last lease.
	Fence int64
	// Expires is when Holder's lease lapses unless renewed, as last seen.
	Expires time.Time
	// Transitions counts this elector's changes of leadership: each time it
	// became leader and each time it stopped.
	Transitions int64
}

// Elector campaigns for a Lock and runs a component's work while it holds it.
// Its methods are safe for concurrent use, except that Run must not be called
// again before it has returned.
type Elector struct {
	lock Lock
	cfg  Config
	now  func() time.Time
	log  zerolog.Logger
	m    metrics

	mu sync.Mutex
	st Status
}

// New validates cfg and returns an Elector for lock; it starts nothing. The
// lock's lease duration must be cfg.LeaseDuration. It fails if cfg is invalid
// or the metrics cannot be registered.
func New(lock Lock, cfg Config, log zerolog.Logger, opts Options) (*Elector, error) {
	if lock == nil {
		return nil, errors.New("new elector: nil lock")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	m, err := newMetrics(opts.Registerer, opts.Component, cfg.Identity)
	if err != nil {
		return nil, err
	}
	return &Elector{
		lock: lock,
		cfg:  cfg,
		now:  now,
		log:  log.With().Str("identity", cfg.Identity).Logger().Hook(describeLock{lock}),
		m:    m,
		st:   Status{Identity: cfg.Identity},
	}, nil
}

// describeLock adds the lock's name to every log line, asked each time: a
// lock may learn its full name only when it is first used.
type describeLock struct{ lock Lock }

func (d describeLock) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str("lock", d.lock.Describe())
}

// Run is New followed by Elector.Run, without metrics.
func Run(ctx context.Context, lock Lock, cfg Config, log zerolog.Logger, lead func(ctx context.Context) error) error {
	e, err := New(lock, cfg, log, Options{})
	if err != nil {
		return err
	}
	return e.Run(ctx, lead)
}

// Status returns a snapshot of the elector's state.
func (e *Elector) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// Run campaigns for the lock until ctx is done, running lead under a child
// context whenever it holds the lease (see the package doc for the rules).
// lead must return soon after its context is cancelled; Run waits for it.
//
// Run returns nil once ctx is done, after lead has returned and the lease
// has been released, unless lead returned an error other than
// context.Canceled. If lead returns by itself while leading, Run releases
// the lease and returns lead's result. Losing the lease never ends Run.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	for {
		lease, since, ok := e.campaign(ctx)
		if !ok {
			return nil
		}
		if stop, err := e.lead(ctx, lease, since, lead); stop {
			return err
		}
	}
}

// campaign tries to acquire the lock every RetryPeriod (plus jitter) until it
// does or ctx is done (ok false). It returns the lease and a time taken just
// before the request that acquired it: the lease cannot have started earlier.
func (e *Elector) campaign(ctx context.Context) (lease Lease, since time.Time, ok bool) {
	announced, lastErr := false, ""
	for {
		since = e.now()
		lease, err := e.tryAcquire(ctx)
		if err == nil {
			return lease, since, true
		}
		if ctx.Err() != nil {
			return Lease{}, time.Time{}, false
		}
		var held *LeaseExistsError
		if errors.As(err, &held) {
			lastErr = ""
			if e.observeHolder(held) || !announced {
				e.log.Info().Str(logKeyHolder, held.Holder).Time("expires", held.Expires).Msg("standby")
			}
		} else {
			if !announced {
				e.log.Info().Msg("standby")
			}
			// Log a failure once at Warn, and its repeats at Debug.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				e.log.Warn().Err(err).Msg("acquire lease")
			} else {
				e.log.Debug().Err(err).Msg("acquire lease")
			}
		}
		announced = true
		if !sleep(ctx, jitter(e.cfg.RetryPeriod)) {
			return Lease{}, time.Time{}, false
		}
	}
}

func (e *Elector) tryAcquire(ctx context.Context) (Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
	defer cancel()
	return e.lock.TryAcquire(ctx, e.cfg.Identity)
}

// lead runs fn under a child context while lease is held, renewing it every
// RetryPeriod. It returns stop=true with Run's result when Run must return
// (ctx done, or fn returned by itself), and stop=false once the lease is lost
// and fn has returned. renewed is the time the lease was last known good.
func (e *Elector) lead(ctx context.Context, lease Lease, renewed time.Time, fn func(context.Context) error) (stop bool, err error) {
	e.becameLeader(lease)
	leadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(leadCtx) }()

	tick := time.NewTicker(e.cfg.RetryPeriod)
	defer tick.Stop()
	// The deadline timer only prompts a check: the clock (e.now) decides.
	deadline := time.NewTimer(e.cfg.RenewDeadline)
	defer deadline.Stop()
	var renewErr error
	for {
		select {
		case <-ctx.Done():
			cancel()
			return true, e.shutdown(ctx, lease, <-done)
		case err := <-done:
			if ctx.Err() != nil {
				return true, e.shutdown(ctx, lease, err)
			}
			e.release(ctx, lease)
			return true, err
		case <-deadline.C:
		case <-tick.C:
			start := e.now()
			left := renewed.Add(e.cfg.RenewDeadline).Sub(start)
			if left <= 0 {
				break // too late: the check below gives up
			}
			l, err := e.renew(ctx, lease, left)
			if err == nil {
				lease, renewed, renewErr = l, start, nil
				e.renewed(l)
				deadline.Reset(renewed.Add(e.cfg.RenewDeadline).Sub(e.now()))
				continue
			}
			if ctx.Err() != nil {
				continue // shutting down: the ctx.Done case releases
			}
			if errors.Is(err, ErrLeaseLost) {
				e.stop(cancel, done, err)
				return false, nil
			}
			if renewErr == nil || err.Error() != renewErr.Error() {
				e.log.Warn().Err(err).Msg("renew lease")
			}
			renewErr = err
		}
		left := renewed.Add(e.cfg.RenewDeadline).Sub(e.now())
		if left > 0 {
			deadline.Reset(left)
			continue
		}
		reason := fmt.Errorf("no renewal within renew deadline %s", e.cfg.RenewDeadline)
		if renewErr != nil {
			reason = fmt.Errorf("%w: %w", reason, renewErr)
		}
		e.stop(cancel, done, reason)
		return false, nil
	}
}

// renew renews l, giving up after timeout (when the renew deadline passes).
func (e *Elector) renew(ctx context.Context, l Lease, timeout time.Duration) (Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return e.lock.Renew(ctx, l)
}

// stop cancels the leader's work after the lease was lost, and waits for it.
func (e *Elector) stop(cancel context.CancelFunc, done <-chan error, reason error) {
	cancel()
	leadErr := <-done
	if errors.Is(leadErr, context.Canceled) {
		leadErr = nil
	}
	e.stoppedLeading()
	e.log.Info().Err(reason).AnErr("leadError", leadErr).Msg("lost lease")
}

// shutdown releases the lease once lead has returned leadErr because ctx is
// done, and returns Run's result.
func (e *Elector) shutdown(ctx context.Context, lease Lease, leadErr error) error {
	e.release(ctx, lease)
	if errors.Is(leadErr, context.Canceled) {
		return nil
	}
	return leadErr
}

// release marks the elector as standby and releases the lease. A failure is
// logged, not returned: the lease then lapses on its own.
func (e *Elector) release(ctx context.Context, l Lease) {
	e.stoppedLeading()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RenewDeadline)
	defer cancel()
	if err := e.lock.Release(ctx, l); err != nil {
		e.log.Warn().Err(err).Int64(logKeyFence, l.Fence).Msg("release lease")
		return
	}
	e.log.Info().Str(logKeyHolder, l.Holder).Int64(logKeyFence, l.Fence).Msg("released")
}

func (e *Elector) becameLeader(l Lease) {
	e.mu.Lock()
	e.st.Leader = true
	e.st.Holder, e.st.Fence, e.st.Expires = l.Holder, l.Fence, l.Expires
	e.st.Transitions++
	e.mu.Unlock()
	e.m.isLeader.Set(1)
	e.m.transitions.Inc()
	e.log.Info().Str(logKeyHolder, l.Holder).Int64(logKeyFence, l.Fence).Msg("became leader")
}

func (e *Elector) renewed(l Lease) {
	e.mu.Lock()
	e.st.Expires = l.Expires
	e.mu.Unlock()
	e.log.Trace().Time("expires", l.Expires).Msg("renewed lease")
}

func (e *Elector) stoppedLeading() {
	e.mu.Lock()
	e.st.Leader = false
	e.st.Transitions++
	e.mu.Unlock()
	e.m.isLeader.Set(0)
	e.m.transitions.Inc()
}

// observeHolder records the holder that refused an acquisition and reports
// whether it differs from the one seen before.
func (e *Elector) observeHolder(held *LeaseExistsError) (changed bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	changed = e.st.Holder != held.Holder
	e.st.Holder, e.st.Expires = held.Holder, held.Expires
	return changed
}

// jitter returns d plus up to 20% of d, so that candidates spread out.
func jitter(d time.Duration) time.Duration {
	return d + rand.N(d/5+1)
}

// sleep waits for d, or returns false as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
