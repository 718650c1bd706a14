package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
	"github.com/minik8s/minik8s/store"
)

// statusError is an error that is already a Kubernetes Status.
type statusError struct {
	s     api.Status
	cause error // an internal error withheld from the client, for the log
}

func (e *statusError) Error() string { return e.s.Message }

func newStatus(code int32, reason api.StatusReason, msg string) *statusError {
	return &statusError{s: api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Code: code, Reason: reason, Message: msg,
	}}
}

func badRequest(format string, a ...any) *statusError {
	return newStatus(http.StatusBadRequest, api.StatusReasonBadRequest, fmt.Sprintf(format, a...))
}

// tooLarge is Kubernetes' 413 for a request whose content is too large.
func tooLarge(why string) *statusError {
	return newStatus(http.StatusRequestEntityTooLarge, api.StatusReasonRequestEntityTooLarge, "Request entity too large: "+why)
}

func notFound(res *registry.Resource, name string) *statusError {
	s := newStatus(http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("%s %q not found", qualified(res), name))
	s.s.Details = &api.StatusDetails{Name: name, Group: res.Group, Kind: res.Name}
	return s
}

func conflict(res *registry.Resource, name, why string) *statusError {
	s := newStatus(http.StatusConflict, api.StatusReasonConflict,
		fmt.Sprintf("Operation cannot be fulfilled on %s %q: %s", qualified(res), name, why))
	s.s.Details = &api.StatusDetails{Name: name, Group: res.Group, Kind: res.Name}
	return s
}

func forbidden(res *registry.Resource, name, why string) *statusError {
	s := newStatus(http.StatusForbidden, api.StatusReasonForbidden,
		fmt.Sprintf("%s %q is forbidden: %s", qualified(res), name, why))
	s.s.Details = &api.StatusDetails{Name: name, Group: res.Group, Kind: res.Name}
	return s
}

// methodNotAllowed is Kubernetes' 405 for a method a path does not serve
// (PUT or PATCH on a collection, POST on an object).
func methodNotAllowed() *statusError {
	s := newStatus(http.StatusMethodNotAllowed, api.StatusReasonMethodNotAllowed,
		"the server does not allow this method on the requested resource")
	s.s.Details = &api.StatusDetails{}
	return s
}

// invalid is the 422 Status for field errors, worded as Kubernetes does.
func invalid(res *registry.Resource, name string, errs field.ErrorList) *statusError {
	return invalidObject(res.Group, res.Kind, name, errs)
}

// invalidObject is the 422 Status for field errors in an object of the
// kind group/kind ("" "" for the request itself, e.g. a patch).
func invalidObject(group, kind, name string, errs field.ErrorList) *statusError {
	causes := make([]api.StatusCause, len(errs))
	msgs := make([]string, len(errs))
	for i, e := range errs {
		causes[i] = api.StatusCause{Type: string(e.Type), Message: e.ErrorBody(), Field: e.Field}
		msgs[i] = e.Error()
	}
	msg := strings.Join(msgs, ", ")
	if len(msgs) > 1 {
		msg = "[" + msg + "]"
	}
	qualifiedKind := kind
	if group != "" {
		qualifiedKind += "." + group
	}
	s := newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid,
		fmt.Sprintf("%s %q is invalid: %s", qualifiedKind, name, msg))
	s.s.Details = &api.StatusDetails{Name: name, Group: group, Kind: kind, Causes: causes}
	return s
}

// qualified is the resource as Kubernetes names it in messages: "pods",
// "deployments.apps".
func qualified(res *registry.Resource) string { return res.StoreName() }

// toStatus maps any error to the Status the client gets: store sentinels
// by errors.Is, Status errors as they are, the rest as 500.
func toStatus(err error, res *registry.Resource, name string) *statusError {
	var se *statusError
	var ae *admission.StatusError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &ae):
		return &statusError{s: ae.Status}
	case res != nil && errors.Is(err, store.ErrNotFound):
		return notFound(res, name)
	case res != nil && errors.Is(err, store.ErrAlreadyExists):
		s := newStatus(http.StatusConflict, api.StatusReasonAlreadyExists,
			fmt.Sprintf("%s %q already exists", qualified(res), name))
		s.s.Details = &api.StatusDetails{Name: name, Group: res.Group, Kind: res.Name}
		return s
	case res != nil && errors.Is(err, store.ErrConflict):
		return conflict(res, name, "the object has been modified; please apply your changes to the latest version and try again")
	case errors.Is(err, store.ErrCompacted):
		return newStatus(http.StatusGone, api.StatusReasonExpired, "too old resource version: "+err.Error())
	default:
		// The error may name the database, its user and address: it goes
		// to the log (writeError), the client gets a generic message.
		s := newStatus(http.StatusInternalServerError, api.StatusReasonInternalError, internalErrorMessage)
		s.cause = err
		return s
	}
}

// internalErrorMessage is what a client learns of an unexpected error.
const internalErrorMessage = "Internal error occurred: the server could not complete the request; its log has the details"

// writeError writes the Status for err (see toStatus). The cause of a 500,
// which the client does not see, goes to the request's log first (at
// Debug when the client went away: not the server's fault).
func (s *Server) writeError(c echo.Context, err error, res *registry.Resource, name string) error {
	se := toStatus(err, res, name)
	if se.cause != nil {
		req := c.Request()
		ri := reqinfo.Of(req)
		l := s.requestLog(c)
		ev := l.Error()
		if req.Context().Err() != nil {
			ev = l.Debug()
		}
		ev.Err(se.cause).Str("verb", ri.Verb).Str("resource", ri.Resource).Msg("internal error serving a request")
	}
	return writeStatus(c, se)
}

// requestLog is the logger of a request: the one in its context if a
// middleware put one there, else the server's, with the request's method,
// path and user.
func (s *Server) requestLog(c echo.Context) *zerolog.Logger {
	req := c.Request()
	if l := zerolog.Ctx(req.Context()); l.GetLevel() != zerolog.Disabled && l != zerolog.DefaultContextLogger {
		return l
	}
	ctx := s.log.With().Str("method", req.Method).Str("path", req.URL.Path)
	if u, ok := authn.UserFrom(req.Context()); ok {
		ctx = ctx.Str("user", u.Name)
	}
	l := ctx.Logger()
	return &l
}
