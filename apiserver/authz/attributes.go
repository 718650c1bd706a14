package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// Attributes describe one request to authorize, as Kubernetes'
// authorizer.Attributes.
type Attributes struct {
	User authn.User
	// Verb is a Kubernetes verb (get, list, watch, create, ..., or
	// escalate, bind, impersonate) for a resource request, the lower-case
	// HTTP method otherwise.
	Verb string
	// ResourceRequest is false for a non-resource request (/healthz, /api),
	// which only Path describes.
	ResourceRequest bool
	Path            string
	APIGroup        string
	APIVersion      string
	Namespace       string
	Resource        string
	Subresource     string
	Name            string
}

// FromInfo returns the attributes of the request ri describes, made by u.
func FromInfo(u authn.User, ri reqinfo.Info) Attributes {
	a := Attributes{User: u, Verb: ri.Verb, Path: ri.Path}
	if ri.IsResourceRequest {
		a.ResourceRequest = true
		a.APIGroup, a.APIVersion = ri.Group, ri.Version
		a.Namespace, a.Resource, a.Subresource, a.Name = ri.Namespace, ri.Resource, ri.Subresource, ri.Name
	}
	return a
}

// Decision is an authorizer's answer.
type Decision int

// The decisions, as Kubernetes' authorizer has them: an authorizer that
// has no opinion lets the next one decide; none allowing is a denial.
const (
	NoOpinion Decision = iota
	Allow
	Deny
)

// Authorizer decides one request. reason explains a denial or a missing
// opinion (it ends Kubernetes' 403 message after a colon); it may be empty.
type Authorizer interface {
	Authorize(ctx context.Context, a *Attributes) (d Decision, reason string)
}

// Chain asks each authorizer in turn; the first Allow or Deny decides.
// Reasons of the others are joined, as Kubernetes' union authorizer joins
// them.
type Chain []Authorizer

// Authorize implements Authorizer.
func (ch Chain) Authorize(ctx context.Context, a *Attributes) (Decision, string) {
	var reasons []string
	for _, z := range ch {
		d, why := z.Authorize(ctx, a)
		if d != NoOpinion {
			return d, why
		}
		if why != "" {
			reasons = append(reasons, why)
		}
	}
	return NoOpinion, strings.Join(reasons, "\n")
}

// Masters allows every request of a member of system:masters, as
// Kubernetes' privileged group authorizer does.
type Masters struct{}

// Authorize implements Authorizer.
func (Masters) Authorize(_ context.Context, a *Attributes) (Decision, string) {
	if a.User.InGroup(authn.MastersGroup) {
		return Allow, ""
	}
	return NoOpinion, ""
}

// NodeRBAC is the chain of authorizationMode Node,RBAC as the API server
// runs it: system:masters, then the Node authorizer, then RBAC.
func NodeRBAC(node *Node, rbac *RBAC) Chain { return Chain{Masters{}, node, rbac} }

// ForbiddenMessage is Kubernetes' message for a denied request, without
// the "<resource> is forbidden: " its Status prefixes (see
// QualifiedResource): `User "alice" cannot list resource "pods" in API
// group "" in the namespace "default"`, then ": reason" when there is one.
func ForbiddenMessage(a *Attributes, reason string) string {
	var msg string
	switch {
	case !a.ResourceRequest:
		msg = fmt.Sprintf("User %q cannot %s path %q", a.User.Name, a.Verb, a.Path)
	default:
		res := a.Resource
		if a.Subresource != "" {
			res += "/" + a.Subresource
		}
		if a.Namespace != "" {
			msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", a.User.Name, a.Verb, res, a.APIGroup, a.Namespace)
		} else {
			msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", a.User.Name, a.Verb, res, a.APIGroup)
		}
	}
	if reason != "" {
		msg += ": " + reason
	}
	return msg
}

// ForbiddenStatusMessage is the whole message of Kubernetes' 403 Status
// for a denied request: `pods is forbidden: User ...`, `pods "web" is
// forbidden: ...` for a named object, `forbidden: User ... cannot get
// path "/metrics"` for a non-resource request.
func ForbiddenStatusMessage(a *Attributes, reason string) string {
	msg := ForbiddenMessage(a, reason)
	gr := QualifiedResource(a.APIGroup, a.Resource)
	switch {
	case gr == "":
		return "forbidden: " + msg
	case a.Name == "":
		return gr + " is forbidden: " + msg
	default:
		return fmt.Sprintf("%s %q is forbidden: %s", gr, a.Name, msg)
	}
}

// QualifiedResource is "pods" for a core resource, "deployments.apps"
// otherwise, as Kubernetes' GroupResource.String.
func QualifiedResource(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}
