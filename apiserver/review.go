package apiserver

import (
	"net/http"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

// review answers a create of an authorization.k8s.io review or a
// SelfSubjectReview (Ephemeral kinds): it asks the authorizer and returns the object with its
// status filled in, storing nothing.
func (s *Server) review(r *request, o object) error {
	value, err := encodeStored(o)
	if err != nil {
		return err
	}
	typed, err := toTyped(r, value)
	if err != nil {
		return err
	}
	if errs := r.res.Validate(typed, nil); len(errs) > 0 {
		return invalid(r.res, nestedString(o, "metadata", "name"), errs)
	}
	ctx := r.c.Request().Context()
	ask := func(u authn.User, ra *api.ResourceAttributes, na *api.NonResourceAttributes) api.SubjectAccessReviewStatus {
		a := authz.Attributes{User: u}
		if ra != nil {
			a.ResourceRequest = true
			a.Verb, a.APIGroup, a.APIVersion = ra.Verb, ra.Group, ra.Version
			a.Namespace, a.Resource, a.Subresource, a.Name = ra.Namespace, ra.Resource, ra.Subresource, ra.Name
		} else if na != nil {
			a.Verb, a.Path = na.Verb, na.Path
		}
		d, why := s.authz.authorize(ctx, &a)
		return api.SubjectAccessReviewStatus{Allowed: d == authz.Allow, Denied: d == authz.Deny, Reason: why}
	}
	subject := func(spec *api.SubjectAccessReviewSpec) authn.User {
		return authn.User{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	}
	var out any
	switch t := typed.(type) {
	case *api.SubjectAccessReview:
		t.Status = ask(subject(&t.Spec), t.Spec.ResourceAttributes, t.Spec.NonResourceAttributes)
		out = t
	case *api.LocalSubjectAccessReview:
		t.Status = ask(subject(&t.Spec), t.Spec.ResourceAttributes, nil)
		out = t
	case *api.SelfSubjectAccessReview:
		t.Status = ask(requestUser(ctx), t.Spec.ResourceAttributes, t.Spec.NonResourceAttributes)
		out = t
	case *api.SelfSubjectReview:
		// kubectl auth whoami: the request's user (the impersonated one
		// when impersonating).
		u := requestUser(ctx)
		t.CreationTimestamp = api.Now()
		t.Status.UserInfo = api.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
		out = t
	case *api.SelfSubjectRulesReview:
		t.Status = s.rulesReview(requestUser(ctx), t.Spec.Namespace)
		out = t
	default:
		return methodNotAllowed()
	}
	return writeJSON(r.c, http.StatusCreated, out)
}

// rulesReview lists what u may do in ns, as SelfSubjectRulesReview
// answers: system:masters may do everything; a node's rules depend on
// its pods, so they are listed as the system:node role has them and
// marked incomplete; RBAC's are the rules bound to u in ns and
// cluster-wide.
func (s *Server) rulesReview(u authn.User, ns string) api.SubjectRulesReviewStatus {
	st := api.SubjectRulesReviewStatus{ResourceRules: []api.ResourceRule{}, NonResourceRules: []api.NonResourceRule{}}
	var rules []api.PolicyRule
	if s.authz.allow || u.InGroup(authn.MastersGroup) {
		rules = []api.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		}
	}
	if _, ok := authz.NodeName(u); ok {
		rules = append(rules, authz.NodeRules()...)
		st.Incomplete = true
	}
	rbacRules, errs := s.authz.rbac.RulesFor(u, ns)
	rules = append(rules, rbacRules...)
	if len(errs) > 0 {
		st.EvaluationError = errs[0].Error()
		for _, e := range errs[1:] {
			st.EvaluationError += ", " + e.Error()
		}
	}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			st.NonResourceRules = append(st.NonResourceRules, api.NonResourceRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
		} else {
			st.ResourceRules = append(st.ResourceRules, api.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
		}
	}
	return st
}
