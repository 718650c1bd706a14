package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/satoken"
	"github.com/minik8s/minik8s/store"
)

// Token lifetimes of a TokenRequest, as Kubernetes bounds them.
const (
	defaultTokenSeconds = 3600
	minTokenSeconds     = 600
	maxTokenSeconds     = 1 << 32
)

// The user extra keys Kubernetes sets for a service account token.
const (
	extraPodName      = "authentication.kubernetes.io/pod-name"
	extraPodUID       = "authentication.kubernetes.io/pod-uid"
	extraCredentialID = "authentication.kubernetes.io/credential-id"
)

// createToken serves POST serviceaccounts/{name}/token (TokenRequest): a
// token for the service account, bound to a pod or secret when the request
// names one, valid for spec.expirationSeconds.
func (s *Server) createToken(r *request) error {
	iss := s.deps.Issuer
	if iss == nil {
		return newStatus(http.StatusNotFound, api.StatusReasonNotFound, "the server could not find the requested resource")
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var tr api.TokenRequest
	if err := unmarshalBody(r, b, &tr); err != nil {
		return bodyError(err, "TokenRequest cannot be handled")
	}
	if errs := validateTokenRequest(&tr); len(errs) > 0 {
		return invalidObject("authentication.k8s.io", "TokenRequest", r.ri.Name, errs)
	}
	ctx := r.c.Request().Context()
	saRec, err := s.deps.Store.Get(ctx, r.key())
	if err != nil {
		return err
	}
	ns := r.ri.Namespace
	claim := &satoken.KubernetesClaim{Namespace: ns, ServiceAccount: satoken.Ref{Name: r.ri.Name, UID: saRec.UID}}
	if ref := tr.Spec.BoundObjectRef; ref != nil {
		if err := s.bindToken(ctx, r, ref, claim); err != nil {
			return err
		}
	}
	secs := int64(defaultTokenSeconds)
	if tr.Spec.ExpirationSeconds != nil {
		secs = *tr.Spec.ExpirationSeconds
	}
	auds := tr.Spec.Audiences
	if len(auds) == 0 {
		auds = iss.Audiences()
	}
	now := iss.Now()
	exp := now.Add(time.Duration(secs) * time.Second)
	token, err := iss.Issue(satoken.Claims{
		Claims: jwt.Claims{
			Subject: satoken.UserName(ns, r.ri.Name), Audience: jwt.Audience(auds),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
			ID: uuid.NewString(),
		},
		Kubernetes: claim,
	})
	if err != nil {
		return err
	}
	tr.TypeMeta = api.TypeMeta{Kind: "TokenRequest", APIVersion: "authentication.k8s.io/v1"}
	tr.Name, tr.Namespace = r.ri.Name, ns
	tr.CreationTimestamp = api.NewTime(now)
	tr.Spec.Audiences, tr.Spec.ExpirationSeconds = auds, &secs
	tr.Status = api.TokenRequestStatus{Token: token, ExpirationTimestamp: api.NewTime(exp)}
	return writeJSON(r.c, http.StatusCreated, tr)
}

func validateTokenRequest(tr *api.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if e := tr.Spec.ExpirationSeconds; e != nil {
		switch {
		case *e < minTokenSeconds:
			errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), *e, "may not specify a duration less than 10 minutes"))
		case *e > maxTokenSeconds:
			errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), *e, "may not specify a duration larger than 2^32 seconds"))
		}
	}
	return errs
}

// bindToken checks the object a token is to be bound to, as Kubernetes
// does, and names it in the claim.
func (s *Server) bindToken(ctx context.Context, r *request, ref *api.BoundObjectReference, claim *satoken.KubernetesClaim) error {
	var resource string
	switch ref.Kind {
	case "Pod":
		resource = "pods"
	case "Secret":
		resource = "secrets"
	default:
		return badRequest("cannot bind token to object of type %s", ref.Kind)
	}
	if ref.APIVersion != "" && ref.APIVersion != "v1" {
		return badRequest("cannot bind token to object of type %s", ref.APIVersion+", Kind="+ref.Kind)
	}
	res, _ := registry.Lookup("", "v1", resource)
	rec, err := s.deps.Store.Get(ctx, store.Key{Resource: resource, Namespace: r.ri.Namespace, Name: ref.Name})
	if errors.Is(err, store.ErrNotFound) {
		return notFound(res, ref.Name)
	}
	if err != nil {
		return err
	}
	if ref.Kind == "Pod" {
		o, err := decodeStored(rec.Value, rec.ResourceVersion)
		if err != nil {
			return err
		}
		if sa := nestedString(o, "spec", "serviceAccountName"); sa != r.ri.Name {
			return badRequest("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", r.ri.Name)
		}
	}
	if ref.UID != "" && ref.UID != rec.UID {
		return newStatus(http.StatusConflict, api.StatusReasonConflict, fmt.Sprintf(
			"Operation cannot be fulfilled on %s %q: the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated",
			ref.Kind, ref.Name, ref.UID))
	}
	bound := &satoken.Ref{Name: ref.Name, UID: rec.UID}
	if ref.Kind == "Pod" {
		claim.Pod = bound
	} else {
		claim.Secret = bound
	}
	return nil
}

// AuthenticateToken authenticates a service account token (see
// authn.TokenAuthenticator): valid as a JWT of the cluster's issuer, and
// its service account, and the pod or secret it is bound to, still exist
// with the uids it names.
func (s *Server) AuthenticateToken(ctx context.Context, token string) (authn.User, bool, error) {
	c, err := s.deps.Issuer.Verify(token)
	if errors.Is(err, satoken.ErrNotMine) {
		return authn.User{}, false, nil
	}
	if err != nil {
		return authn.User{}, false, err
	}
	k := c.Kubernetes
	check := func(resource, name, uid string) error {
		var rec *store.Record
		var err error
		if resource == "serviceaccounts" {
			// The cache, as Kubernetes reads an informer: a deleted
			// account may authenticate for the milliseconds until the
			// cache hears of it.
			rec, err = s.serviceAccounts.Get(ctx, k.Namespace, name)
		} else {
			rec, err = s.deps.Store.Get(ctx, store.Key{Resource: resource, Namespace: k.Namespace, Name: name})
		}
		if err != nil {
			return fmt.Errorf("%s %s/%s: %w", resource, k.Namespace, name, err)
		}
		if rec.UID != uid {
			return fmt.Errorf("%s %s/%s: uid %s is not the token's %s", resource, k.Namespace, name, rec.UID, uid)
		}
		return nil
	}
	if err := check("serviceaccounts", k.ServiceAccount.Name, k.ServiceAccount.UID); err != nil {
		return authn.User{}, false, err
	}
	u := authn.User{Name: c.Subject, UID: k.ServiceAccount.UID, Groups: satoken.Groups(k.Namespace)}
	if c.ID != "" {
		u.Extra = map[string][]string{extraCredentialID: {"JTI=" + c.ID}}
	}
	if p := k.Pod; p != nil {
		if err := check("pods", p.Name, p.UID); err != nil {
			return authn.User{}, false, err
		}
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[extraPodName], u.Extra[extraPodUID] = []string{p.Name}, []string{p.UID}
	}
	if sec := k.Secret; sec != nil {
		if err := check("secrets", sec.Name, sec.UID); err != nil {
			return authn.User{}, false, err
		}
	}
	return u, true, nil
}
