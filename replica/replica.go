package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"
)

// ErrLeaseExpired is the gate's refusal once the lease a replica leads
// under has expired by the replica's own clock.
var ErrLeaseExpired = errors.New("lease expired before it was renewed")

// Elector runs lead while it holds a lease (*election.Elector).
type Elector interface {
	Run(ctx context.Context, lead func(ctx context.Context) error) error
	Status() election.Status
}

// Replica is one replica of a role. Wrap its lock with Hold().Lock, and
// have the role act only through Gate (a scheduler's Deps.Gate) or through
// an API client whose transport is Transport.
type Replica struct {
	index    int
	identity string
	log      zerolog.Logger
	hold     *Hold
	now      func() time.Time

	mu      sync.Mutex
	lead    func(context.Context) error
	elector Elector // nil: lead without election
	always  []func(context.Context) error
	stop    context.CancelFunc
	stopped bool
}

// New returns replica index of identity; Attach completes it.
func New(index int, identity string, log zerolog.Logger) *Replica {
	return &Replica{index: index, identity: identity, log: log, hold: NewHold(), now: time.Now}
}

// Attach sets what the replica runs: lead while it holds the lease (a
// scheduler's Lead, a controller manager's Run), its elector (nil to lead
// without election) and functions to run for its whole life (a scheduler's
// informers, an event recorder). Call it once, before Run.
func (r *Replica) Attach(lead func(context.Context) error, el Elector, always ...func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lead, r.elector, r.always = lead, el, always
}

// Index is the replica's number in its process, from 0.
func (r *Replica) Index() int { return r.index }

// Identity is the replica's identity in leader election.
func (r *Replica) Identity() string { return r.identity }

// Hold is the replica's freeze switch.
func (r *Replica) Hold() *Hold { return r.hold }

// Gate waits while the replica is frozen, then refuses with
// ErrLeaseExpired unless the replica leads under a lease that has not
// expired on its clock; without an elector it always lets through. A
// role calls it before each action (scheduler.Deps.Gate).
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
	if r.lead == nil {
		r.mu.Unlock()
		return errors.New("replica: Run before Attach")
	}
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r.stop = cancel
	lead, el, always := r.lead, r.elector, r.always
	r.mu.Unlock()
	defer cancel()
	// A frozen replica that is stopped must not stall its shutdown.
	defer context.AfterFunc(ctx, r.hold.Close)()

	errc := make(chan error, 1+len(always))
	var wg sync.WaitGroup
	run := func(fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
				cancel()
			}
		})
	}
	for _, fn := range always {
		run(fn)
	}
	if el == nil {
		run(lead)
	} else {
		run(func(ctx context.Context) error { return el.Run(ctx, lead) })
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

var _ Elector = (*election.Elector)(nil)
