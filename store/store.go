package store

import (
	"context"
	"errors"
)

// Sentinel errors. Drivers' errors are translated to these at the store
// boundary; callers test them with errors.Is.
var (
	// ErrNotFound: no object has the key.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: Create found an object with the same key.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the object's resource version is not the expected one.
	ErrConflict = errors.New("store: resource version conflict")
	// ErrCompacted: the change log no longer holds the revisions asked for.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrFutureRevision: a list asked for a revision the store has not
	// reached.
	ErrFutureRevision = errors.New("store: revision not reached")
)

// Key names one object. Resource is the plural resource name, qualified by
// its API group when it has one ("pods", "deployments.apps").
type Key struct {
	Resource  string
	Namespace string // "" for cluster-scoped objects
	Name      string
}

// Prefix selects the objects of one resource, in one namespace or (with
// Namespace "") in all of them.
type Prefix struct {
	Resource  string
	Namespace string
}

// Record is one stored object: its key, uid, the revision of its last write
// and its JSON. Value's own metadata.resourceVersion is not maintained by the
// store; ResourceVersion is authoritative.
type Record struct {
	Key
	UID             string
	ResourceVersion int64
	Value           []byte
}

// EventType says what a change did.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Change is one entry of the change log. For Deleted, Record holds the
// object as it was, with ResourceVersion set to the deletion's revision.
type Change struct {
	Revision int64
	Type     EventType
	Record
}

// ListOptions narrows a List. The zero value lists everything.
type ListOptions struct{}

// PageOptions selects one page of a list. The zero value is every object
// at the newest revision, as List.
type PageOptions struct {
	// Revision reads the objects as they were at that revision (0: the
	// newest): ErrCompacted if the change log no longer reaches back to it,
	// ErrFutureRevision if the store has not reached it.
	Revision int64
	// After starts the page after this key (its Namespace and Name) in the
	// list's order; the zero Key starts at the first object.
	After Key
	// Limit bounds the page (0: no bound).
	Limit int
	// Uncounted leaves Page.Remaining 0: counting it reads every object
	// after the page, which a caller that walks them all does not need.
	Uncounted bool
}

// Page is one page of a list.
type Page struct {
	Records  []*Record // sorted by namespace and name, as List
	Revision int64     // the revision the page shows
	// More says objects follow the page's last record; Remaining counts
	// them (set only with a Limit).
	More      bool
	Remaining int64
}

// Store is what the API server needs of the object store. Every write takes
// the next revision of the one revision counter; revisions are gapless and
// become visible in order. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the object or ErrNotFound.
	Get(ctx context.Context, k Key) (*Record, error)
	// List returns the objects under p, sorted by namespace and name, and the
	// store revision they were all read at (one consistent snapshot).
	List(ctx context.Context, p Prefix, opt ListOptions) ([]*Record, int64, error)
	// ListPage returns a page of the objects under p as they were at one
	// revision: pages read at the same Revision, each After the last key of
	// the one before, make one consistent list.
	ListPage(ctx context.Context, p Prefix, opt PageOptions) (*Page, error)
	// Create writes a new object; ErrAlreadyExists if the key is taken. The
	// returned record carries the new revision.
	Create(ctx context.Context, r *Record) (*Record, error)
	// Update replaces the object if its revision is still expectRV:
	// ErrNotFound if it is gone, ErrConflict if it changed.
	Update(ctx context.Context, r *Record, expectRV int64) (*Record, error)
	// Delete removes the object if its revision is still expectRV (0: any):
	// ErrNotFound, ErrConflict. It returns the last state with
	// ResourceVersion set to the deletion's revision.
	Delete(ctx context.Context, k Key, expectRV int64) (*Record, error)
}

// ChangeLog is what the watch hub and the compactor need of the store.
type ChangeLog interface {
	// Changes returns up to limit changes with revision > afterRev, in
	// revision order; ErrCompacted if afterRev is below what the log holds.
	Changes(ctx context.Context, afterRev int64, limit int) ([]Change, error)
	// Revision returns the newest committed revision.
	Revision(ctx context.Context) (int64, error)
	// Compact drops the changes with revision <= keepAfter; asking for
	// changes after a revision below keepAfter then gives ErrCompacted.
	Compact(ctx context.Context, keepAfter int64) error
}
