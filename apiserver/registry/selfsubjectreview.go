package registry

import "github.com/minik8s/minik8s/api"

// selfSubjectReviews: authentication.k8s.io/v1 SelfSubjectReview, which
// `kubectl auth whoami` creates to learn who it is authenticated as. It is
// never stored: a create answers with the request's user.
var selfSubjectReviews = &Resource{
	Group: "authentication.k8s.io", Version: "v1", Kind: "SelfSubjectReview",
	Name: "selfsubjectreviews", Singular: "selfsubjectreview",
	Verbs:     []string{"create"},
	Ephemeral: true,
	Schema:    GoType[api.SelfSubjectReview](),
	Docs: map[string]string{
		"SelfSubjectReview":        "SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request. When using impersonation, users will receive the user info of the user being impersonated.",
		"SelfSubjectReview.status": "Status is filled in by the server with the user attributes.",
	},
}

func init() { register(selfSubjectReviews) }
