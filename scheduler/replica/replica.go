package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/scheduler"
)

// ErrLeaseExpired is the gate's refusal once the lease a replica leads
// under has expired by the replica's own clock.
var ErrLeaseExpired = errors.New("lease expired before it was renewed")

// Role is a scheduler as a replica sees it (*scheduler.Scheduler).
type Role interface {
	Run(ctx context.Context) error
	Lead(ctx context.Context) error
}

// Elector runs lead while it holds a lease (*election.Elector).
type Elector interface {
	Run(ctx context.Context, lead func(ctx context.Context) error) error
	Status() election.Status
}

// Replica is one scheduler replica. Build its scheduler with Gate as
// scheduler.Deps.Gate and its lock wrapped by Hold().Lock.
type Replica struct {
	index    int
	identity string
	log      zerolog.Logger
	hold     *Hold
	now      func() time.Time

	mu      sync.Mutex
	role    Role
	elector Elector // nil: lead without election
	extra   []func(context.Context) error
	stop    context.CancelFunc
	stopped bool
}

// New returns replica index of identity; Attach completes it.
func New(index int, identity string, log zerolog.Logger) *Replica {
	return &Replica{index: index, identity: identity, log: log, hold: NewHold(), now: time.Now}
}

// Attach sets the replica's scheduler, its elector (nil to lead without
// election) and other functions to run for its whole life (its event
// recorder). Call it once, before Run.
func (r *Replica) Attach(role Role, el Elector, extra ...func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.role, r.elector, r.extra = role, el, extra
}

// Index is the replica's number in its process, from 0.
func (r *Replica) Index() int { return r.index }

// Identity is the replica's identity in leader election.
func (r *Replica) Identity() string { return r.identity }

// Hold is the replica's freeze switch.
func (r *Replica) Hold() *Hold { return r.hold }

// Gate is the scheduler's gate (scheduler.Deps.Gate): it waits while the
// replica is frozen, then refuses if the lease has expired meanwhile.
func (r *Replica) Gate(ctx context.Context) error {
	if err := r.hold.Wait(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	el := r.elector
	r.mu.Unlock()
	if el == nil {
		return nil
	}
	if st := el.Status(); !st.Leader || !r.now().Before(st.Expires) {
		return fmt.Errorf("%w (fence %d, expired %s)", ErrLeaseExpired, st.Fence, st.Expires.Format(time.RFC3339Nano))
	}
	return nil
}

// Run runs the replica until ctx is done or Stop is called; it returns nil
// then, or the first error of its parts.
func (r *Replica) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.role == nil {
		r.mu.Unlock()
		return errors.New("replica: Run before Attach")
	}
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r.stop = cancel
	role, el, extra := r.role, r.elector, r.extra
	r.mu.Unlock()
	defer cancel()
	// A frozen replica that is stopped must not stall its shutdown.
	defer context.AfterFunc(ctx, r.hold.Close)()

	errc := make(chan error, 2+len(extra))
	var wg sync.WaitGroup
	run := func(fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
				cancel()
			}
		})
	}
	run(role.Run)
	for _, fn := range extra {
		run(fn)
	}
	if el == nil {
		run(role.Lead)
	} else {
		run(func(ctx context.Context) error { return el.Run(ctx, role.Lead) })
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// Stop ends the replica (Run returns) for good.
func (r *Replica) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.stop != nil {
		r.stop()
	}
	r.hold.Close()
}

// Status is a replica's state, as GET /replicas shows it.
type Status struct {
	Index       int       `json:"index"`
	Identity    string    `json:"identity"`
	Leading     bool      `json:"leading"`
	Holder      string    `json:"holder,omitempty"`
	Fence       int64     `json:"fence"`
	Expires     time.Time `json:"expires,omitzero"`
	Transitions int64     `json:"transitions"`
	Frozen      bool      `json:"frozen"`
	Stopped     bool      `json:"stopped"`
	Elected     bool      `json:"elected"` // runs under leader election
}

// Status returns the replica's state.
func (r *Replica) Status() Status {
	r.mu.Lock()
	el, stopped := r.elector, r.stopped
	r.mu.Unlock()
	st := Status{Index: r.index, Identity: r.identity, Frozen: r.hold.Frozen(), Stopped: stopped}
	if el == nil {
		st.Leading = !stopped
		return st
	}
	es := el.Status()
	st.Elected = true
	// A stopped replica acts on nothing, even while it releases its lease.
	st.Leading, st.Holder, st.Fence, st.Expires, st.Transitions = es.Leader && !stopped, es.Holder, es.Fence, es.Expires, es.Transitions
	return st
}

var _ Role = (*scheduler.Scheduler)(nil)
var _ Elector = (*election.Elector)(nil)
