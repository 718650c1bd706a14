package apiserver

import (
	"context"
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
	limit           int64         // accepted; lists are not paged (a server may ignore limit)
	timeout         time.Duration // timeoutSeconds; 0: none
	bookmarks       bool          // allowWatchBookmarks
	initialEvents   *bool         // sendInitialEvents
}

// parseListOptions reads the request's list options. A value that does not
// decode is a 400 BadRequest; options that do not go together are a 422
// Invalid on ListOptions.meta.k8s.io, each worded as Kubernetes words it.
func parseListOptions(r *request, watch bool) (listOptions, error) {
	q := r.c.QueryParams()
	o := listOptions{resourceVersion: q.Get("resourceVersion"), match: q.Get("resourceVersionMatch")}
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
	if v, ok := q["sendInitialEvents"]; ok {
		b := reqinfo.Bool(v)
		o.initialEvents = &b
	}
	if errs := o.validate(watch, q.Get("continue")); len(errs) > 0 {
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

// listAt lists p at a revision the options allow: the latest for
// resourceVersion "" or "0"; with another resourceVersion, the latest if it
// is not older (waiting for it if needed), and with resourceVersionMatch
// Exact that revision only. The store keeps only the latest state, so an
// Exact revision older than it is 410 Expired, as Kubernetes answers for a
// revision its store has compacted.
func (s *Server) listAt(ctx context.Context, p store.Prefix, o listOptions) ([]*store.Record, int64, error) {
	for waited := false; ; waited = true {
		recs, rev, err := s.deps.Store.List(ctx, p, store.ListOptions{})
		switch {
		case err != nil:
			return nil, 0, err
		case rev == o.rv || o.rv == 0 || rev > o.rv && o.match != matchExact:
			return recs, rev, nil
		case rev > o.rv:
			return nil, 0, newStatus(http.StatusGone, api.StatusReasonExpired, "The resourceVersion for the provided list is too old.")
		case waited:
			return nil, 0, tooLargeResourceVersion(o.rv, rev)
		}
		if err := s.waitRevision(ctx, o.rv); err != nil {
			return nil, 0, err
		}
	}
}
