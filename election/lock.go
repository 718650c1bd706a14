package election

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lease is one holder's claim on a Lock, as returned by TryAcquire and Renew.
type Lease struct {
	// Holder is the identity that holds the lease.
	Holder string
	// Expires is when the lease lapses unless renewed, as seen by the lock's
	// clock; implementations compute it from a time taken before the request
	// was sent, so it errs early.
	Expires time.Time
	// Fence increases whenever the lock changes holder. A write guarded by
	// the fence (the resource rejects fences lower than the highest it has
	// seen) cannot be made by a deposed leader.
	Fence int64
}

// Lock is a leased mutual-exclusion lock in a shared service. Every method
// is safe for concurrent use; each is one round trip to the service.
type Lock interface {
	// TryAcquire takes the lock for id if it is free, expired, or already
	// held by id, and returns the new lease. If another holder has it, it
	// returns a *LeaseExistsError; any other error means the outcome is
	// unknown (the service could not be asked).
	TryAcquire(ctx context.Context, id string) (Lease, error)
	// Renew extends l for another lease duration and returns the extended
	// lease. It returns ErrLeaseLost if the lock is no longer held under l:
	// another holder has acquired it since (some implementations also report
	// an expired lease as lost). Any other error means the outcome is
	// unknown and the caller may retry.
	Renew(ctx context.Context, l Lease) (Lease, error)
	// Release gives the lock up at once, so that another may acquire it
	// without waiting for it to expire. Releasing a lease that is no longer
	// held is not an error and changes nothing.
	Release(ctx context.Context, l Lease) error
	// Describe names the lock for logs, e.g. "lease kube-scheduler"; it is
	// asked again for every log line, so it may change once.
	Describe() string
}

// ErrLeaseLost is returned by Renew when the lease is no longer the caller's:
// it expired, or another holder has acquired the lock since.
var ErrLeaseLost = errors.New("election: lease lost")

// LeaseExistsError is returned by TryAcquire when another holder has the
// lock and its lease has not expired.
type LeaseExistsError struct {
	// Holder is the identity holding the lock.
	Holder string
	// Expires is when that holder's lease lapses unless renewed (zero if the
	// lock could not tell).
	Expires time.Time
}

func (e *LeaseExistsError) Error() string {
	if e.Expires.IsZero() {
		return fmt.Sprintf("election: lease held by %q", e.Holder)
	}
	return fmt.Sprintf("election: lease held by %q until %s", e.Holder, e.Expires.Format(time.RFC3339Nano))
}
