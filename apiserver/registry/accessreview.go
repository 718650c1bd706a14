package registry

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// The authorization.k8s.io/v1 reviews: questions to the authorizer. A
// create is answered (the API server fills in status) and never stored
// (Ephemeral), as in Kubernetes; create is their only verb.
var (
	subjectAccessReviews = &Resource{
		Group: api.AuthorizationGroup, Version: "v1", Kind: "SubjectAccessReview", Name: "subjectaccessreviews", Singular: "subjectaccessreview",
		Verbs: []string{"create"}, Ephemeral: true,
		Schema:     GoType[api.SubjectAccessReview](),
		GroupTypes: []string{"ResourceAttributes", "NonResourceAttributes", "ResourceRule", "NonResourceRule"},
		Strategy: Strategy{Validate: Typed(func(r, _ *api.SubjectAccessReview) field.ErrorList {
			return validateSubjectAccessReviewSpec(&r.Spec, true)
		})},
		Docs: map[string]string{"SubjectAccessReview": "SubjectAccessReview checks whether or not a user or group can perform an action."},
	}
	localSubjectAccessReviews = &Resource{
		Group: api.AuthorizationGroup, Version: "v1", Kind: "LocalSubjectAccessReview", Name: "localsubjectaccessreviews", Singular: "localsubjectaccessreview",
		Namespaced: true, Verbs: []string{"create"}, Ephemeral: true,
		Schema: GoType[api.LocalSubjectAccessReview](),
		Strategy: Strategy{Validate: Typed(func(r, _ *api.LocalSubjectAccessReview) field.ErrorList {
			errs := validateSubjectAccessReviewSpec(&r.Spec, true)
			if a := r.Spec.ResourceAttributes; a != nil && a.Namespace != r.Namespace {
				errs = append(errs, field.Invalid(field.NewPath("spec", "resourceAttributes", "namespace"), a.Namespace, "must match metadata.namespace"))
			}
			if r.Spec.NonResourceAttributes != nil {
				errs = append(errs, field.Invalid(field.NewPath("spec", "nonResourceAttributes"), r.Spec.NonResourceAttributes, "disallowed on this kind of request"))
			}
			return errs
		})},
		Docs: map[string]string{"LocalSubjectAccessReview": "LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace."},
	}
	selfSubjectAccessReviews = &Resource{
		Group: api.AuthorizationGroup, Version: "v1", Kind: "SelfSubjectAccessReview", Name: "selfsubjectaccessreviews", Singular: "selfsubjectaccessreview",
		Verbs: []string{"create"}, Ephemeral: true,
		Schema: GoType[api.SelfSubjectAccessReview](),
		Strategy: Strategy{Validate: Typed(func(r, _ *api.SelfSubjectAccessReview) field.ErrorList {
			return validateSubjectAccessReviewSpec(&api.SubjectAccessReviewSpec{
				ResourceAttributes: r.Spec.ResourceAttributes, NonResourceAttributes: r.Spec.NonResourceAttributes}, false)
		})},
		Docs: map[string]string{"SelfSubjectAccessReview": "SelfSubjectAccessReview checks whether or the current user can perform an action."},
	}
	selfSubjectRulesReviews = &Resource{
		Group: api.AuthorizationGroup, Version: "v1", Kind: "SelfSubjectRulesReview", Name: "selfsubjectrulesreviews", Singular: "selfsubjectrulesreview",
		Verbs: []string{"create"}, Ephemeral: true,
		Schema: GoType[api.SelfSubjectRulesReview](),
		Strategy: Strategy{Validate: Typed(func(r, _ *api.SelfSubjectRulesReview) field.ErrorList {
			var errs field.ErrorList
			if ns := r.Spec.Namespace; ns != "" {
				for _, msg := range validation.IsDNS1123Label(ns) {
					errs = append(errs, field.Invalid(field.NewPath("spec", "namespace"), ns, msg))
				}
			}
			return errs
		})},
		Docs: map[string]string{"SelfSubjectRulesReview": "SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace."},
	}
)

func init() {
	register(subjectAccessReviews)
	register(localSubjectAccessReviews)
	register(selfSubjectAccessReviews)
	register(selfSubjectRulesReviews)
}

// validateSubjectAccessReviewSpec checks a review's question as
// Kubernetes' ValidateSubjectAccessReviewSpec does.
func validateSubjectAccessReviewSpec(s *api.SubjectAccessReviewSpec, who bool) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	switch {
	case s.ResourceAttributes != nil && s.NonResourceAttributes != nil:
		errs = append(errs, field.Invalid(p.Child("nonResourceAttributes"), s.NonResourceAttributes, "cannot be specified in combination with resourceAttributes"))
	case s.ResourceAttributes == nil && s.NonResourceAttributes == nil:
		errs = append(errs, field.Invalid(p.Child("resourceAttributes"), s.ResourceAttributes, "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
	}
	if who && s.User == "" && len(s.Groups) == 0 {
		errs = append(errs, field.Invalid(p.Child("user"), s.User, "at least one of user or group must be specified"))
	}
	return errs
}
