package controllerutil

import (
	"sync"
	"time"
)

// DefaultExpectationsTimeout is how long unobserved expectations hold an
// owner back, as Kubernetes' ExpectationsTimeout.
const DefaultExpectationsTimeout = 5 * time.Minute

// Expectations records, per owner key, how many creates the owner's
// controller still expects to observe and which dependents (by key) it
// expects to see deleted, as Kubernetes' UIDTrackingControllerExpectations.
// Tracking deletions by dependent key means a pod seen first as
// terminating and then as deleted counts once. The zero value is not
// usable; call NewExpectations.
type Expectations struct {
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]*expectation
}

type expectation struct {
	adds    int
	deletes map[string]struct{}
	set     time.Time
}

// NewExpectations returns expectations that expire timeout after they were
// set (0: DefaultExpectationsTimeout), reading time from now (nil:
// time.Now).
func NewExpectations(timeout time.Duration, now func() time.Time) *Expectations {
	if timeout <= 0 {
		timeout = DefaultExpectationsTimeout
	}
	if now == nil {
		now = time.Now
	}
	return &Expectations{timeout: timeout, now: now, entries: make(map[string]*expectation)}
}

// Satisfied reports whether the owner may act: it has no expectations,
// all of them have been observed, or they were set longer ago than the
// timeout.
func (e *Expectations) Satisfied(owner string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.entries[owner]
	if !ok {
		return true
	}
	return (x.adds <= 0 && len(x.deletes) == 0) || e.now().Sub(x.set) > e.timeout
}

// ExpectCreations replaces the owner's expectations with n creates.
func (e *Expectations) ExpectCreations(owner string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries[owner] = &expectation{adds: n, deletes: map[string]struct{}{}, set: e.now()}
}

// ExpectDeletions replaces the owner's expectations with the deletion of
// the dependents with the given keys.
func (e *Expectations) ExpectDeletions(owner string, dependents []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{deletes: make(map[string]struct{}, len(dependents)), set: e.now()}
	for _, d := range dependents {
		x.deletes[d] = struct{}{}
	}
	e.entries[owner] = x
}

// Expect replaces the owner's expectations with n creates and the
// deletion of the dependents with the given keys, for a controller that
// issues both in one sync.
func (e *Expectations) Expect(owner string, n int, deletions []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{adds: n, deletes: make(map[string]struct{}, len(deletions)), set: e.now()}
	for _, d := range deletions {
		x.deletes[d] = struct{}{}
	}
	e.entries[owner] = x
}

// CreationObserved lowers the owner's expected creates by one: the
// informer saw a new dependent, or a create failed and will never be seen.
func (e *Expectations) CreationObserved(owner string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.entries[owner]; ok && x.adds > 0 {
		x.adds--
	}
}

// DeletionObserved removes dependent from the owner's expected deletions,
// if it is there: the informer saw it deleted or terminating, or its
// delete failed.
func (e *Expectations) DeletionObserved(owner, dependent string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.entries[owner]; ok {
		delete(x.deletes, dependent)
	}
}

// Delete forgets the owner's expectations (the owner is gone).
func (e *Expectations) Delete(owner string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.entries, owner)
}

// Pending returns the owner's outstanding creates and deletes (0, 0 if it
// has none); for logs and tests.
func (e *Expectations) Pending(owner string) (adds, deletes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.entries[owner]; ok {
		return max(x.adds, 0), len(x.deletes)
	}
	return 0, 0
}
