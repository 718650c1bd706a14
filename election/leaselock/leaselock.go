package leaselock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/election"
)

// LeaseClient reads and writes the Lease objects of one namespace. Update
// must fail with an error IsConflict recognises if the object's
// resourceVersion is not the stored one.
type LeaseClient interface {
	Get(ctx context.Context, name string) (*api.Lease, error)
	Create(ctx context.Context, lease *api.Lease) (*api.Lease, error)
	Update(ctx context.Context, lease *api.Lease) (*api.Lease, error)
}

// Options complete a Lock.
type Options struct {
	// IsNotFound recognises a LeaseClient error for a missing Lease (404).
	// Required.
	IsNotFound func(error) bool
	// IsConflict recognises a LeaseClient error for a lost race: 409
	// Conflict on Update and AlreadyExists on Create. Required.
	IsConflict func(error) bool
	// Now is the lock's clock; nil means time.Now.
	Now func() time.Time
}

// Lock is an election.Lock on the Lease named name. It is safe for
// concurrent use.
type Lock struct {
	client   LeaseClient
	name     string
	duration time.Duration
	opts     Options
}

var _ election.Lock = (*Lock)(nil)

// New returns a lock on the Lease name whose leases last duration
// (election.Config's LeaseDuration), written rounded up to whole seconds.
// It panics if opts.IsNotFound or opts.IsConflict is nil.
func New(client LeaseClient, name string, duration time.Duration, opts Options) *Lock {
	if opts.IsNotFound == nil || opts.IsConflict == nil {
		panic("leaselock: New needs IsNotFound and IsConflict")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Lock{client: client, name: name, duration: duration, opts: opts}
}

// TryAcquire implements election.Lock. Acquiring a lease the caller already
// holds keeps its Fence. When another candidate wins a race to write the
// Lease, the *election.LeaseExistsError names no holder (the next read will).
func (l *Lock) TryAcquire(ctx context.Context, id string) (election.Lease, error) {
	if id == "" {
		return election.Lease{}, errors.New("acquire lease lock: empty identity")
	}
	now := l.now()
	cur, err := l.client.Get(ctx, l.name)
	if l.opts.IsNotFound(err) {
		lease := &api.Lease{
			TypeMeta:   api.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
			ObjectMeta: api.ObjectMeta{Name: l.name},
			Spec:       l.spec(id, now, now, 0),
		}
		if _, err := l.client.Create(ctx, lease); err != nil {
			if l.opts.IsConflict(err) {
				return election.Lease{}, &election.LeaseExistsError{} // another candidate created it first
			}
			return election.Lease{}, fmt.Errorf("create lease %s: %w", l.name, err)
		}
		return l.lease(id, now, 0), nil
	}
	if err != nil {
		return election.Lease{}, fmt.Errorf("get lease %s: %w", l.name, err)
	}

	holder, transitions := deref(cur.Spec.HolderIdentity), deref(cur.Spec.LeaseTransitions)
	if expires, ok := expiry(cur.Spec); holder != "" && holder != id && ok && !now.After(expires) {
		return election.Lease{}, &election.LeaseExistsError{Holder: holder, Expires: expires}
	}
	acquired := now
	if holder == id && cur.Spec.AcquireTime != nil {
		acquired = cur.Spec.AcquireTime.Time
	} else if holder != id {
		transitions++
	}
	next := api.DeepCopy(cur)
	next.Spec = l.spec(id, acquired, now, transitions)
	if _, err := l.client.Update(ctx, next); err != nil {
		if l.opts.IsConflict(err) {
			return election.Lease{}, &election.LeaseExistsError{} // another candidate wrote first
		}
		return election.Lease{}, fmt.Errorf("update lease %s: %w", l.name, err)
	}
	return l.lease(id, now, int64(transitions)), nil
}

// Renew implements election.Lock.
func (l *Lock) Renew(ctx context.Context, lease election.Lease) (election.Lease, error) {
	now := l.now()
	cur, err := l.client.Get(ctx, l.name)
	if l.opts.IsNotFound(err) {
		return election.Lease{}, election.ErrLeaseLost
	}
	if err != nil {
		return election.Lease{}, fmt.Errorf("get lease %s: %w", l.name, err)
	}
	if !heldAs(cur.Spec, lease) {
		return election.Lease{}, election.ErrLeaseLost
	}
	next := api.DeepCopy(cur)
	next.Spec.RenewTime = &api.MicroTime{Time: now}
	next.Spec.LeaseDurationSeconds = ptr(l.seconds())
	if _, err := l.client.Update(ctx, next); err != nil {
		// A conflict here is not proof of loss: the next read will tell.
		return election.Lease{}, fmt.Errorf("renew lease %s: %w", l.name, err)
	}
	return l.lease(lease.Holder, now, lease.Fence), nil
}

// Release implements election.Lock. It keeps leaseTransitions, so the next
// holder's Fence is still greater.
func (l *Lock) Release(ctx context.Context, lease election.Lease) error {
	now := l.now()
	cur, err := l.client.Get(ctx, l.name)
	if l.opts.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get lease %s: %w", l.name, err)
	}
	if !heldAs(cur.Spec, lease) {
		return nil
	}
	next := api.DeepCopy(cur)
	next.Spec.HolderIdentity = ptr("")
	next.Spec.LeaseDurationSeconds = ptr[int32](1)
	next.Spec.AcquireTime = &api.MicroTime{Time: now}
	next.Spec.RenewTime = &api.MicroTime{Time: now}
	if _, err := l.client.Update(ctx, next); err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}

// Describe implements election.Lock.
func (l *Lock) Describe() string { return "lease " + l.name }

// now is the lock's clock at the precision a MicroTime keeps, so that the
// Expires it reports never exceeds what other candidates read back.
func (l *Lock) now() time.Time { return l.opts.Now().UTC().Truncate(time.Microsecond) }

func (l *Lock) seconds() int32 {
	return int32((l.duration + time.Second - 1) / time.Second)
}

func (l *Lock) spec(holder string, acquired, renewed time.Time, transitions int32) api.LeaseSpec {
	return api.LeaseSpec{
		HolderIdentity:       ptr(holder),
		LeaseDurationSeconds: ptr(l.seconds()),
		AcquireTime:          &api.MicroTime{Time: acquired},
		RenewTime:            &api.MicroTime{Time: renewed},
		LeaseTransitions:     ptr(transitions),
	}
}

func (l *Lock) lease(holder string, renewed time.Time, fence int64) election.Lease {
	return election.Lease{Holder: holder, Expires: renewed.Add(l.duration), Fence: fence}
}

// expiry is when s lapses; ok is false if s lacks a renew time or duration
// (then anyone may take it).
func expiry(s api.LeaseSpec) (expires time.Time, ok bool) {
	if s.RenewTime == nil || s.LeaseDurationSeconds == nil {
		return time.Time{}, false
	}
	return s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds) * time.Second), true
}

// heldAs reports whether s is still lease: same holder, no transition since.
func heldAs(s api.LeaseSpec, lease election.Lease) bool {
	return deref(s.HolderIdentity) == lease.Holder && int64(deref(s.LeaseTransitions)) == lease.Fence
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
