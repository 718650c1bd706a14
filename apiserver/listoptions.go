package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
	"github.com/minik8s/minik8s/store"
)

// Values of resourceVersionMatch.
const (
	matchNotOlderThan = "NotOlderThan"
	matchExact        = "Exact"
)

// tooLargeWait is how long a list or watch waits for a resourceVersion
// the server has not reached before answering "Too large resource
// version", as the Kubernetes watch cache does (its blockTimeout);
// tooLargeRetrySeconds is the Retry-After it suggests.
const (
	tooLargeWait         = 3 * time.Second
	tooLargeRetrySeconds = 1
)

// listOptions are the query parameters of a list or a watch, decoded and
// validated as the Kubernetes API server decodes and validates its
// ListOptions.
type listOptions struct {
	resourceVersion string        // as sent; "" and "0" both mean any revision
	rv              int64         // resourceVersion as a revision
	match           string        // resourceVersionMatch
	limit           int64         // page size of a list; <= 0: no limit
	cont            string        // continue token
	timeout         time.Duration // timeoutSeconds; 0: none
	bookmarks       bool          // allowWatchBookmarks
	initialEvents   *bool         // sendInitialEvents
	// omitManagedFields (the parameter of that name, which Kubernetes
	// does not have and ignores) leaves metadata.managedFields out of
	// the objects listed or watched. minik8s's own informers drop them on
	// arrival, as Kubernetes' components do with a transform; asking for
	// a pod without them cuts what every watch event carries by a third.
	omitManagedFields bool
}

// omitManagedFieldsParam is the query parameter of
// listOptions.omitManagedFields.
const omitManagedFieldsParam = "omitManagedFields"

// parseListOptions reads the request's list options. A value that does not
// decode is a 400 BadRequest; options that do not go together are a 422
// Invalid on ListOptions.meta.k8s.io, each worded as Kubernetes words it.
func parseListOptions(r *request, watch bool) (listOptions, error) {
	q := r.c.QueryParams()
	o := listOptions{resourceVersion: q.Get("resourceVersion"), match: q.Get("resourceVersionMatch"), cont: q.Get("continue")}
	var err error
	if o.rv, err = parseResourceVersion(o.resourceVersion); err != nil {
		return o, err
	}
	if v := q.Get("limit"); v != "" {
		if o.limit, err = strconv.ParseInt(v, 10, 64); err != nil {
			return o, badRequest("%v", err)
		}
	}
	if v := q.Get("timeoutSeconds"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return o, badRequest("%v", err)
		}
		// Negative ends the request at once, as in Kubernetes.
		o.timeout = time.Duration(secs) * time.Second
	}
	// Booleans decode as Kubernetes' query parameter conversion does.
	o.bookmarks = reqinfo.Bool(q["allowWatchBookmarks"])
	o.omitManagedFields = reqinfo.Bool(q[omitManagedFieldsParam])
	if v, ok := q["sendInitialEvents"]; ok {
		b := reqinfo.Bool(v)
		o.initialEvents = &b
	}
	if errs := o.validate(watch, o.cont); len(errs) > 0 {
		return o, invalidObject("meta.k8s.io", "ListOptions", "", errs)
	}
	return o, nil
}

// withTimeout bounds ctx by timeoutSeconds, if it was given.
func (o *listOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout == 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.timeout)
}

// parseResourceVersion reads a resourceVersion parameter; "" and "0" are
// revision 0. Kubernetes answers an unparsable one with this message (as a
// 500, a bug it is fixing to be the 400 given here).
func parseResourceVersion(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	rv, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, badRequest("%v", field.ErrorList{field.Invalid(field.NewPath("resourceVersion"), v, err.Error())}.ToAggregate())
	}
	return int64(rv), nil
}

// validate is Kubernetes' ValidateListOptions.
func (o *listOptions) validate(watch bool, cont string) field.ErrorList {
	var errs field.ErrorList
	path := field.NewPath("resourceVersionMatch")
	if watch {
		if o.initialEvents != nil && o.match != matchNotOlderThan {
			errs = append(errs, field.Forbidden(path, "sendInitialEvents requires setting resourceVersionMatch to "+matchNotOlderThan))
		}
		if o.match != "" {
			if o.initialEvents == nil {
				errs = append(errs, field.Forbidden(path, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
			}
			if o.match != matchNotOlderThan {
				errs = append(errs, field.NotSupported(path, o.match, []string{matchNotOlderThan}))
			}
			if cont != "" {
				errs = append(errs, field.Forbidden(path, "resourceVersionMatch is forbidden when continue is provided"))
			}
		}
		return errs
	}
	if o.match != "" {
		if o.resourceVersion == "" {
			errs = append(errs, field.Forbidden(path, "resourceVersionMatch is forbidden unless resourceVersion is provided"))
		}
		if cont != "" {
			errs = append(errs, field.Forbidden(path, "resourceVersionMatch is forbidden when continue is provided"))
		}
		if o.match != matchExact && o.match != matchNotOlderThan {
			errs = append(errs, field.NotSupported(path, o.match, []string{matchExact, matchNotOlderThan, ""}))
		}
		if o.match == matchExact && o.resourceVersion == "0" {
			errs = append(errs, field.Forbidden(path, `resourceVersionMatch "exact" is forbidden for resourceVersion "0"`))
		}
	}
	if o.initialEvents != nil {
		errs = append(errs, field.Forbidden(field.NewPath("sendInitialEvents"), "sendInitialEvents is forbidden for list"))
	}
	return errs
}

// tooLargeResourceVersion is Kubernetes' answer to a revision it has not
// reached after waiting: a 504 Timeout whose cause client-go's reflector
// recognises (apierrors.IsTooLargeResourceVersion), so that it relists.
func tooLargeResourceVersion(want, current int64) *statusError {
	se := newStatus(http.StatusGatewayTimeout, api.StatusReasonTimeout,
		fmt.Sprintf("Timeout: Too large resource version: %d, current: %d", want, current))
	se.s.Details = &api.StatusDetails{
		Causes:            []api.StatusCause{{Type: "ResourceVersionTooLarge", Message: "Too large resource version"}},
		RetryAfterSeconds: tooLargeRetrySeconds,
	}
	return se
}

// waitRevision waits, up to tooLargeWait, until the watch hub has
// delivered revision rev; it returns the "Too large resource version"
// Status if it has not.
func (s *Server) waitRevision(ctx context.Context, rev int64) error {
	if cur, ok := s.hub.WaitRevision(ctx, rev, tooLargeWait); !ok {
		if err := ctx.Err(); err != nil {
			return err
		}
		return tooLargeResourceVersion(rev, cur)
	}
	return nil
}

// maxListChunk bounds how many objects a list with a limit and selectors
// reads from the store at once while it looks for limit matches, as the
// Kubernetes etcd store doubles its reads up to 10,000.
const maxListChunk = 10000

// unlimitedListChunk is how many objects a list without a limit reads from
// the store at once: such a list is read, and written to its client, a
// chunk at a time at the first chunk's revision, so that its memory does
// not grow with the collection.
const unlimitedListChunk = 1000

// listPage lists p at a revision the options allow, up to limit objects
// that pass f, resuming after a continue token's key; it hands each object
// to emit in order and returns the list's metadata (resourceVersion,
// continue, remainingItemCount):
//
//   - continue: at the token's revision (the newest for -1); a
//     resourceVersion other than "" or "0" beside it is a 400.
//   - resourceVersion "" or "0": the newest. Kubernetes may serve "0"
//     from its cache and ignore limit; here limit is honoured.
//   - resourceVersion N with resourceVersionMatch Exact, or with a limit and
//     no match (the legacy rule): exactly N, while the change log reaches
//     back to it (410 Expired once compacted).
//   - otherwise N is a floor: the newest, once the store has reached N.
//
// A revision the store has not reached yet is waited for, then a 504 "Too
// large resource version". Every page of one list shows the same revision;
// a token whose revision was compacted is a 410 whose own token resumes at
// the newest, as Kubernetes answers. Without a limit the store is read in
// chunks of unlimitedListChunk at the first chunk's revision, so an error
// can come after emit has had objects.
func (s *Server) listPage(ctx context.Context, p store.Prefix, namespaced bool, o listOptions, f *filter, emit func(*store.Record) error) (api.ListMeta, error) {
	var (
		rev     int64 // exact revision; 0: the newest
		floor   int64 // the newest, but not older than this
		after   store.Key
		meta    api.ListMeta
		emitted int64
	)
	switch {
	case o.cont != "":
		var err error
		if after, rev, err = decodeContinue(p, namespaced, o.cont); err != nil {
			return meta, err
		}
		if o.resourceVersion != "" && o.resourceVersion != "0" {
			return meta, badRequest("specifying resource version is not allowed when using continue")
		}
		if rev < 0 {
			rev = 0
		}
	case o.rv == 0:
	case o.match == matchExact || o.match == "" && o.limit > 0:
		rev = o.rv
	default:
		floor = o.rv
	}

	limit := max(o.limit, 0)
	chunk := int(min(limit, maxListChunk))
	if limit == 0 {
		chunk = unlimitedListChunk
	}
	for waited := false; ; {
		pg, err := s.deps.Store.ListPage(ctx, p, store.PageOptions{Revision: rev, After: after, Limit: chunk, Uncounted: limit == 0})
		switch {
		case errors.Is(err, store.ErrFutureRevision) && !waited:
			waited = true
			if err := s.waitRevision(ctx, rev); err != nil {
				return meta, err
			}
			continue
		case errors.Is(err, store.ErrFutureRevision):
			cur, _ := s.deps.Store.Revision(ctx)
			return meta, tooLargeResourceVersion(rev, cur)
		case errors.Is(err, store.ErrCompacted) && o.cont != "":
			return meta, continueExpired(p, after)
		case errors.Is(err, store.ErrCompacted):
			return meta, newStatus(http.StatusGone, api.StatusReasonExpired, listTooOld)
		case err != nil:
			return meta, err
		}
		if pg.Revision < floor {
			if waited {
				return meta, tooLargeResourceVersion(floor, pg.Revision)
			}
			waited = true
			if err := s.waitRevision(ctx, floor); err != nil {
				return meta, err
			}
			continue
		}
		// The first read fixes the revision of the rest.
		rev = pg.Revision
		meta.ResourceVersion = strconv.FormatInt(rev, 10)
		for i, rec := range pg.Records {
			if f.needsObject() {
				// Selectors read the object as served, as a watch's do.
				obj, err := decodeServed(f.res, rec.Value, rec.ResourceVersion)
				if err != nil {
					return meta, err
				}
				if !f.matches(obj) {
					continue
				}
			}
			if err := emit(rec); err != nil {
				return meta, err
			}
			if emitted++; limit == 0 || emitted < limit {
				continue
			}
			if rest := int64(len(pg.Records) - 1 - i); rest > 0 || pg.More {
				meta.Continue = encodeContinue(p, rec.Key, rev)
				if !f.needsObject() {
					// Counted only without selectors, as in Kubernetes.
					n := rest + pg.Remaining
					meta.RemainingItemCount = &n
				}
			}
			return meta, nil
		}
		if !pg.More {
			return meta, nil
		}
		after = pg.Records[len(pg.Records)-1].Key
		if limit > 0 {
			chunk = min(chunk*2, maxListChunk)
		}
	}
}
