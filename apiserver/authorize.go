package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
	"github.com/minik8s/minik8s/store"
)

// Authorization modes (Config.AuthorizationMode).
const (
	// AuthorizationNodeRBAC is Kubernetes' usual --authorization-mode=Node,RBAC.
	AuthorizationNodeRBAC = "Node,RBAC"
	// AuthorizationAlwaysAllow lets every authenticated request through (for
	// comparing figures with and without authorization).
	AuthorizationAlwaysAllow = "AlwaysAllow"
)

// authorizer is the API server's authorization: system:masters, then the
// Node authorizer, then RBAC, each fed by the watch hub.
type authorizer struct {
	rbac   *authz.RBAC
	node   *authz.Node
	chain  authz.Chain
	allow  bool          // AlwaysAllow
	synced chan struct{} // closed once the RBAC objects and pods are loaded
}

func newAuthorizer(mode string) (*authorizer, error) {
	z := &authorizer{rbac: authz.NewRBAC(), node: authz.NewNode(), synced: make(chan struct{})}
	switch mode {
	case "", AuthorizationNodeRBAC:
	case AuthorizationAlwaysAllow:
		z.allow = true
	default:
		return nil, fmt.Errorf("apiserver: authorizationMode %q: want %q or %q", mode, AuthorizationNodeRBAC, AuthorizationAlwaysAllow)
	}
	z.chain = authz.NodeRBAC(z.node, z.rbac)
	return z, nil
}

// hasSynced tells whether authorization no longer waits for the first load.
func (z *authorizer) hasSynced() bool {
	select {
	case <-z.synced:
		return true
	default:
		return z.allow
	}
}

// authorize decides a, waiting for the first sync of the RBAC objects (or
// ctx's end).
func (z *authorizer) authorize(ctx context.Context, a *authz.Attributes) (authz.Decision, string) {
	if z.allow {
		return authz.Allow, ""
	}
	if a.User.InGroup(authn.MastersGroup) {
		return authz.Allow, ""
	}
	select {
	case <-z.synced:
	case <-ctx.Done():
		return authz.NoOpinion, "the API server has not loaded its RBAC objects yet"
	}
	return z.chain.Authorize(ctx, a)
}

// Store names of what the authorizer watches.
var authzResources = map[string]string{
	"roles." + api.RBACGroup:               authz.KindRole,
	"clusterroles." + api.RBACGroup:        authz.KindClusterRole,
	"rolebindings." + api.RBACGroup:        authz.KindRoleBinding,
	"clusterrolebindings." + api.RBACGroup: authz.KindClusterRoleBinding,
	"pods":                                 "Pod",
}

// run keeps the authorizer in step with the store until ctx ends: list,
// then watch from the oldest list's revision (replaying a change twice is
// harmless: the last state wins), and start over when the watch ends.
// changed is called after the first load and after each ClusterRole
// change.
func (z *authorizer) run(ctx context.Context, st store.Store, h *hub.Hub, changed func()) {
	loaded := false
	for ctx.Err() == nil {
		err := z.sync(ctx, st, h, func() {
			if !loaded {
				loaded = true
				close(z.synced)
			}
			changed()
		}, changed)
		if err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (z *authorizer) sync(ctx context.Context, st store.Store, h *hub.Hub, loaded, onClusterRole func()) error {
	var objs []any
	var pods [][]byte
	from := int64(-1)
	for res, kind := range authzResources {
		recs, rev, err := st.List(ctx, store.Prefix{Resource: res}, store.ListOptions{})
		if err != nil {
			return err
		}
		if from < 0 || rev < from {
			from = rev
		}
		for _, r := range recs {
			if kind == "Pod" {
				pods = append(pods, r.Value)
			} else if o := decodeRBAC(kind, r.Value); o != nil {
				objs = append(objs, o)
			}
		}
	}
	w, err := h.Watch(ctx, from, func(c *store.Change) bool { _, ok := authzResources[c.Resource]; return ok })
	if err != nil {
		return err
	}
	defer w.Stop()
	z.rbac.Replace(objs)
	z.node.ReplacePods(pods)
	loaded()
	for c := range w.Events() {
		kind := authzResources[c.Resource]
		switch {
		case kind == "Pod" && c.Type == store.Deleted:
			z.node.DeletePod(c.Namespace, c.Name)
		case kind == "Pod":
			z.node.ApplyPodChange(c.Namespace, c.Name, c.UID, c.Value)
		case c.Type == store.Deleted:
			z.rbac.Delete(kind, c.Namespace, c.Name)
		default:
			if o := decodeRBAC(kind, c.Value); o != nil {
				z.rbac.Apply(o)
			}
		}
		if kind == authz.KindClusterRole {
			onClusterRole()
		}
	}
	return w.Err()
}

// decodeRBAC decodes a stored RBAC object of kind; nil if it does not
// decode (validation makes that impossible for what the API wrote).
func decodeRBAC(kind string, value []byte) any {
	var o any
	switch kind {
	case authz.KindRole:
		o = &api.Role{}
	case authz.KindClusterRole:
		o = &api.ClusterRole{}
	case authz.KindRoleBinding:
		o = &api.RoleBinding{}
	case authz.KindClusterRoleBinding:
		o = &api.ClusterRoleBinding{}
	default:
		return nil
	}
	if api.Unmarshal(value, o) != nil {
		return nil
	}
	return o
}

// requestUser is the user a request is made by: the authenticated one, or
// system:anonymous in system:unauthenticated for a request without
// credentials (only public paths get that far). Every authenticated user
// is in system:authenticated, as Kubernetes' authenticators make it.
func requestUser(ctx context.Context) authn.User {
	u, ok := authn.UserFrom(ctx)
	if !ok {
		return authn.User{Name: authz.UserAnonymous, Groups: []string{authz.GroupUnauthenticated}}
	}
	if !slices.Contains(u.Groups, authz.GroupAuthenticated) && !slices.Contains(u.Groups, authz.GroupUnauthenticated) {
		u.Groups = append(slices.Clip(u.Groups), authz.GroupAuthenticated)
	}
	return u
}

// authorization answers 403 to a request its user may not make, before
// anything is read: the verb, resource and namespace come from the
// RequestInfo, so a list, a watch, a field selector or a stream's
// subresource (pods/exec, pods/log) is authorised as what it is.
func (s *Server) authorization() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			a := authz.FromInfo(requestUser(req.Context()), reqinfo.Of(req))
			d, why := s.authz.authorize(req.Context(), &a)
			if d != authz.Allow {
				return writeStatus(c, forbiddenRequest(&a, why))
			}
			if msg := s.nodeRestrictionByName(req.Context(), &a); msg != "" {
				return writeStatus(c, forbiddenAdmission(a.APIGroup, a.Resource, a.Name, msg))
			}
			return next(c)
		}
	}
}

// forbiddenRequest is Kubernetes' 403 for a request its user may not make.
func forbiddenRequest(a *authz.Attributes, reason string) *statusError {
	s := newStatus(http.StatusForbidden, api.StatusReasonForbidden, authz.ForbiddenStatusMessage(a, reason))
	s.s.Details = &api.StatusDetails{Name: a.Name, Group: a.APIGroup, Kind: a.Resource}
	return s
}

// forbiddenAdmission is the 403 of an admission check (escalation,
// NodeRestriction): `<resource> "<name>" is forbidden: <msg>`.
func forbiddenAdmission(group, resource, name, msg string) *statusError {
	gr := authz.QualifiedResource(group, resource)
	text := gr + " is forbidden: " + msg
	if name != "" {
		text = fmt.Sprintf("%s %q is forbidden: %s", gr, name, msg)
	}
	s := newStatus(http.StatusForbidden, api.StatusReasonForbidden, text)
	s.s.Details = &api.StatusDetails{Name: name, Group: group, Kind: resource}
	return s
}

// lookupPodNode reads the node of pod ns/name from the store, for the
// Node authorizer's pods bound a moment ago.
func (s *Server) lookupPodNode(ctx context.Context, ns, name string) (string, bool) {
	rec, err := s.deps.Store.Get(ctx, store.Key{Resource: "pods", Namespace: ns, Name: name})
	if err != nil {
		return "", false
	}
	var p struct {
		Spec struct {
			NodeName string `json:"nodeName"`
		} `json:"spec"`
	}
	if api.UnmarshalTrusted(rec.Value, &p) != nil {
		return "", false
	}
	return p.Spec.NodeName, true
}
