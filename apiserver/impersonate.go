package apiserver

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

// Impersonation headers, as kubectl --as, --as-group and --as-uid send
// them.
const (
	headerImpersonateUser  = "Impersonate-User"
	headerImpersonateGroup = "Impersonate-Group"
	headerImpersonateUID   = "Impersonate-Uid"
	// headerImpersonateExtra prefixes one header per extra key
	// (Impersonate-Extra-<key>, the key percent-encoded).
	headerImpersonateExtra = "Impersonate-Extra-"
)

// impersonation lets a user allowed to impersonate act as another user
// (and groups), as Kubernetes' WithImpersonation does: each impersonated
// user, group and uid is authorised with the verb impersonate (users,
// groups, serviceaccounts for a ServiceAccount's user name; uids in
// authentication.k8s.io), a denial is a 403 naming what was refused, and
// the rest of the request runs as the impersonated user, who is in
// system:authenticated (and a ServiceAccount's groups, when no group was
// asked for).
func (s *Server) impersonation() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			h := req.Header
			name := h.Get(headerImpersonateUser)
			groups := h.Values(headerImpersonateGroup)
			uid := h.Get(headerImpersonateUID)
			extra, err := impersonatedExtra(h)
			if err != nil {
				return writeStatus(c, err)
			}
			if name == "" && len(groups) == 0 && uid == "" && len(extra) == 0 {
				return next(c)
			}
			if name == "" {
				return writeStatus(c, badRequest("requested %v without impersonating a user", impersonatedWithoutUser(groups, uid, extra)))
			}
			actor := requestUser(req.Context())
			// denied is the 403 of the first impersonation the actor may
			// not make, or nil.
			var denied *statusError
			check := func(a authz.Attributes) {
				if denied != nil {
					return
				}
				a.User, a.Verb, a.ResourceRequest, a.Path = actor, "impersonate", true, req.URL.Path
				if d, why := s.authz.authorize(req.Context(), &a); d != authz.Allow {
					denied = forbiddenRequest(&a, why)
				}
			}
			as := authn.User{Name: name, UID: uid}
			if ns, sa, ok := authz.IsServiceAccount(name); ok {
				check(authz.Attributes{Resource: "serviceaccounts", Namespace: ns, Name: sa})
				if len(groups) == 0 {
					as.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns}
				}
			} else {
				check(authz.Attributes{Resource: "users", Name: name})
			}
			for _, g := range groups {
				check(authz.Attributes{Resource: "groups", Name: g})
				as.Groups = append(as.Groups, g)
			}
			if uid != "" {
				check(authz.Attributes{APIGroup: "authentication.k8s.io", Resource: "uids", Name: uid})
			}
			for _, k := range slices.Sorted(maps.Keys(extra)) {
				for _, v := range extra[k] {
					check(authz.Attributes{APIGroup: "authentication.k8s.io", Resource: "userextras", Subresource: k, Name: v})
				}
			}
			if len(extra) > 0 {
				as.Extra = extra
			}
			if denied != nil {
				return writeStatus(c, denied)
			}
			switch {
			case name == authz.UserAnonymous:
				if !slices.Contains(as.Groups, authz.GroupUnauthenticated) {
					as.Groups = append(as.Groups, authz.GroupUnauthenticated)
				}
			case !slices.Contains(as.Groups, authz.GroupAuthenticated):
				as.Groups = append(as.Groups, authz.GroupAuthenticated)
			}
			for k := range h {
				if k == headerImpersonateUser || k == headerImpersonateGroup || k == headerImpersonateUID || strings.HasPrefix(k, headerImpersonateExtra) {
					h.Del(k)
				}
			}
			c.SetRequest(req.WithContext(authn.WithUser(req.Context(), as)))
			c.Set(authn.ContextKey, as)
			return next(c)
		}
	}
}

// impersonatedExtra reads the Impersonate-Extra-<key> headers: the key is
// lower-cased and percent-decoded (kubectl --as-user-extra encodes it), as
// Kubernetes' WithImpersonation reads them.
func impersonatedExtra(h http.Header) (map[string][]string, *statusError) {
	var extra map[string][]string
	for k, vs := range h {
		if !strings.HasPrefix(k, headerImpersonateExtra) || len(k) == len(headerImpersonateExtra) {
			continue
		}
		key, err := url.PathUnescape(strings.ToLower(k[len(headerImpersonateExtra):]))
		if err != nil {
			return nil, badRequest("malformed impersonation header %s: %v", k, err)
		}
		if extra == nil {
			extra = map[string][]string{}
		}
		extra[key] = append(extra[key], vs...)
	}
	return extra, nil
}

// impersonatedWithoutUser names what a request asked to impersonate
// without a user, for its 400.
func impersonatedWithoutUser(groups []string, uid string, extra map[string][]string) string {
	var parts []string
	if len(groups) > 0 {
		parts = append(parts, fmt.Sprintf("groups %q", groups))
	}
	if uid != "" {
		parts = append(parts, fmt.Sprintf("uid %q", uid))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("extra %v", extra))
	}
	return strings.Join(parts, " and ")
}
