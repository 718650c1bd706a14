package authn

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// ContextKey is the echo context key (c.Get) under which Middleware stores
// the authenticated User.
const ContextKey = "minik8s.user"

// AuthenticatedGroup is the group every authenticated user is in, as
// Kubernetes adds it whatever the credential.
const AuthenticatedGroup = "system:authenticated"

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

// The service account issuer's discovery paths, which Kubernetes serves to
// anyone who may read them (here: everyone), so that other systems can
// verify the tokens it issues.
const (
	OIDCDiscoveryPath = "/.well-known/openid-configuration"
	OIDCJWKSPath      = "/openid/v1/jwks"
)

// PublicPath reports whether path may be requested without credentials:
// exactly /healthz, /livez, /readyz and /version, which Kubernetes' default
// RBAC lets everyone read, and the service account issuer's discovery
// document and keys.
func PublicPath(path string) bool {
	switch path {
	case "/healthz", "/livez", "/readyz", "/version", OIDCDiscoveryPath, OIDCJWKSPath:
		return true
	}
	return false
}

// TokenAuthenticator authenticates bearer tokens of one kind; the service
// account tokens are one. ok is false (with a nil error) for a token that
// is not of its kind, so that the next authenticator is asked; an error
// means the token is of its kind and invalid.
type TokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (u User, ok bool, err error)
}

// Authenticator authenticates requests by client certificate or bearer
// token, as kube-apiserver's union of authenticators does: a request
// authenticates if any credential it presents does.
type Authenticator struct {
	// Tokens is the static token file (required).
	Tokens *Tokens
	// ClientCAs verifies client certificates (x509: CN the user, O the
	// groups); nil accepts none.
	ClientCAs *x509.CertPool
	// ServiceAccounts authenticates service account tokens; nil: none.
	ServiceAccounts TokenAuthenticator
}

// errUnauthorized is a credential that was presented and did not
// authenticate.
var errUnauthorized = errors.New("unauthorized")

// Authenticate returns the user of the request's credentials. anonymous is
// true for a request that presents none. A request whose credentials all
// fail is an error; one that any credential authenticates gets that user,
// with AuthenticatedGroup added.
func (a *Authenticator) Authenticate(r *http.Request) (u User, anonymous bool, err error) {
	token, hasToken := bearerToken(r)
	hasCert := r.TLS != nil && len(r.TLS.PeerCertificates) > 0
	if !hasToken && !hasCert {
		return User{}, true, nil
	}
	ok := false
	if hasCert && a.ClientCAs != nil {
		u, ok = CertUser(r.TLS.PeerCertificates, a.ClientCAs)
	}
	if !ok && hasToken {
		u, ok = a.authenticateToken(r.Context(), token)
	}
	if !ok {
		return User{}, false, errUnauthorized
	}
	if !slices.Contains(u.Groups, AuthenticatedGroup) {
		u.Groups = append(u.Groups, AuthenticatedGroup)
	}
	return u, false, nil
}

func (a *Authenticator) authenticateToken(ctx context.Context, token string) (User, bool) {
	if token == "" {
		return User{}, false
	}
	if a.ServiceAccounts != nil {
		u, ok, err := a.ServiceAccounts.AuthenticateToken(ctx, token)
		if err != nil {
			return User{}, false
		}
		if ok {
			return u, true
		}
	}
	return a.Tokens.Authenticate(token)
}

// Middleware authenticates each request by its bearer token against tokens;
// public (nil: no path is public) says which paths may be requested without
// one. See the package documentation for the contract.
func Middleware(tokens *Tokens, public func(path string) bool) echo.MiddlewareFunc {
	return (&Authenticator{Tokens: tokens}).Middleware(public)
}

// Middleware authenticates each request (see Authenticate); public (nil:
// no path is public) says which paths anonymous requests may reach. See
// the package documentation for the contract.
func (a *Authenticator) Middleware(public func(path string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			u, anonymous, err := a.Authenticate(req)
			if err != nil {
				return unauthorized(c)
			}
			if anonymous {
				if public != nil && public(req.URL.Path) {
					return next(c)
				}
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
