package apiserver

import (
	"net/http"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// createVirtual serves a create of a kind that is never stored (see
// registry.Resource.Virtual).
func (s *Server) createVirtual(r *request) error {
	switch r.res.Kind {
	case "SelfSubjectReview":
		return s.selfSubjectReview(r)
	}
	return methodNotAllowed()
}

// selfSubjectReview answers a SelfSubjectReview with the request's user,
// as `kubectl auth whoami` asks.
func (s *Server) selfSubjectReview(r *request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var review api.SelfSubjectReview
	if err := unmarshalBody(r, b, &review); err != nil {
		return bodyError(err, "SelfSubjectReview cannot be handled")
	}
	u, _ := authn.UserFrom(r.c.Request().Context())
	review.TypeMeta = api.TypeMeta{Kind: "SelfSubjectReview", APIVersion: r.res.GroupVersion()}
	review.CreationTimestamp = api.Now()
	review.Status.UserInfo = api.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
	return writeJSON(r.c, http.StatusCreated, review)
}
