package admission

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// Operation is what a write does.
type Operation string

// The operations admission sees.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
)

// Attributes describe one write to admit.
type Attributes struct {
	Operation Operation
	// Resource is the resource's store name ("pods", "deployments.apps");
	// Kind its kind.
	Resource, Kind string
	// Subresource is "" for the object itself, "status" for /status.
	Subresource string
	Namespace   string
	// Name is the object's name, or its generateName on a create that
	// asks for one.
	Name string
	// Object is the object to store, which mutating plugins may change;
	// Old the stored one on update (nil on create).
	Object, Old map[string]any
	// DryRun writes nothing: plugins must not either.
	DryRun bool
	User   authn.User
}

// Plugin is an admission plugin: a Mutator, a Validator, or both.
type Plugin interface {
	Name() string
}

// Mutator may change the object of a write, or refuse the write.
type Mutator interface {
	Plugin
	Admit(ctx context.Context, a *Attributes) error
}

// Validator may refuse a write; it changes nothing of the object.
type Validator interface {
	Plugin
	Validate(ctx context.Context, a *Attributes) error
}

// Chain is the ordered admission chain: every Mutator in order (Admit),
// then, after the kind's own validation, every Validator in order
// (Validate), as kube-apiserver runs mutating then validating admission.
// The first error ends the chain.
type Chain []Plugin

// Admit runs the mutating plugins.
func (c Chain) Admit(ctx context.Context, a *Attributes) error {
	for _, p := range c {
		if m, ok := p.(Mutator); ok {
			if err := m.Admit(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate runs the validating plugins.
func (c Chain) Validate(ctx context.Context, a *Attributes) error {
	for _, p := range c {
		if v, ok := p.(Validator); ok {
			if err := v.Validate(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// StatusError is an admission decision the client gets as a Status.
type StatusError struct {
	Status api.Status
}

func (e *StatusError) Error() string { return e.Status.Message }

// newError is a Status error with code, reason and message.
func newError(code int32, reason api.StatusReason, msg string, details *api.StatusDetails) *StatusError {
	return &StatusError{Status: api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Code: code, Reason: reason, Message: msg, Details: details,
	}}
}

// Forbidden is Kubernetes' admission refusal: 403 `pods "p" is forbidden:
// why`.
func Forbidden(a *Attributes, why error) *StatusError {
	group, res := "", a.Resource
	if r, g, ok := strings.Cut(a.Resource, "."); ok {
		res, group = r, g
	}
	return newError(http.StatusForbidden, api.StatusReasonForbidden,
		fmt.Sprintf("%s %q is forbidden: %v", a.Resource, a.Name, why),
		&api.StatusDetails{Name: a.Name, Group: group, Kind: res})
}
