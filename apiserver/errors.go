package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// statusError is an error that is already a Kubernetes Status.
type statusError struct{ s api.Status }

func (e *statusError) Error() string { return e.s.Message }

func newStatus(code int32, reason api.StatusReason, msg string) *statusError {
	return &statusError{api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Code: code, Reason: reason, Message: msg,
	}}
}

func badRequest(format string, a ...any) *statusError {
	return newStatus(http.StatusBadRequest, api.StatusReasonBadRequest, fmt.Sprintf(format, a...))
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

func methodNotAllowed(what string) *statusError {
	return newStatus(http.StatusMethodNotAllowed, api.StatusReasonMethodNotAllowed,
		fmt.Sprintf("the server does not allow this method on the requested resource: %s", what))
}

// invalid is the 422 Status for field errors, worded as Kubernetes does.
func invalid(res *registry.Resource, name string, errs field.ErrorList) *statusError {
	return invalidKind(res.Group, res.Kind, res.Kind, name, errs)
}

// invalidKind is invalid for any kind; the message names it as qualified
// ("ListOptions.meta.k8s.io").
func invalidKind(group, kind, qualified, name string, errs field.ErrorList) *statusError {
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
	s := newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid,
		fmt.Sprintf("%s %q is invalid: %s", qualified, name, msg))
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
	switch {
	case errors.As(err, &se):
		return se
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
		return newStatus(http.StatusInternalServerError, api.StatusReasonInternalError,
			"Internal error occurred: "+err.Error())
	}
}
