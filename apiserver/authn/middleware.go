package authn

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// ContextKey is the echo context key (c.Get) under which Middleware stores
// the authenticated User.
const ContextKey = "minik8s.user"

type ctxKey struct{}

// WithUser returns a copy of ctx that carries u.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// UserFrom returns the user ctx carries, and false for an anonymous request.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}

// PublicPath reports whether path may be requested without credentials:
// exactly /healthz, /livez, /readyz and /version, which Kubernetes' default
// RBAC lets everyone read.
func PublicPath(path string) bool {
	switch path {
	case "/healthz", "/livez", "/readyz", "/version":
		return true
	}
	return false
}

// Middleware authenticates each request by its bearer token against tokens;
// public (nil: no path is public) says which paths may be requested without
// one. See the package documentation for the contract.
func Middleware(tokens *Tokens, public func(path string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			token, present := bearerToken(req)
			if !present {
				if public != nil && public(req.URL.Path) {
					return next(c)
				}
				return unauthorized(c)
			}
			u, ok := tokens.Authenticate(token)
			if !ok {
				return unauthorized(c)
			}
			c.SetRequest(req.WithContext(WithUser(req.Context(), u)))
			c.Set(ContextKey, u)
			return next(c)
		}
	}
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
// present is true whenever the header names the Bearer scheme, even with an
// empty or malformed token, so that such a request is rejected rather than
// treated as anonymous.
func bearerToken(r *http.Request) (token string, present bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if strings.ContainsAny(rest, " \t") {
		return "", true
	}
	return rest, true
}

func unauthorized(c echo.Context) error {
	return writeStatus(c, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
}
