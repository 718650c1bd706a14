package replica

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/internal/httpserver"
)

// Server is a role's HTTPS port (the scheduler's, the controller
// manager's).
type Server struct {
	ln       net.Listener
	replicas []*Replica
	log      zerolog.Logger
	e        *echo.Echo
}

// Access says who may reach a Server, which serves HTTPS only.
type Access struct {
	// TLS serves the port (a certificate from the cluster CA).
	TLS *tls.Config
	// Tokens authenticate callers by bearer token (the cluster's token
	// file). Only members of AdminGroup may use anything but /healthz.
	Tokens *authn.Tokens
}

// AdminGroup is the group whose members may read and control replicas:
// Kubernetes' superusers, the admin of the kubeconfig.
const AdminGroup = "system:masters"

// NewServer serves the replicas and the metrics of gatherer on ln, over
// TLS, to admins: /healthz to anyone, everything else to a bearer token
// of AdminGroup (401 without a valid token, 403 for other users).
func NewServer(ln net.Listener, replicas []*Replica, gatherer prometheus.Gatherer, acc Access, log zerolog.Logger) (*Server, error) {
	if acc.TLS == nil || acc.Tokens == nil {
		return nil, errors.New("replica server: a TLS config and tokens are required")
	}
	s := &Server{ln: tls.NewListener(ln, acc.TLS), replicas: replicas, log: log, e: echo.New()}
	s.e.HideBanner, s.e.HidePort = true, true
	public := func(path string) bool { return path == "/healthz" }
	s.e.Use(authn.Middleware(acc.Tokens, public), OnlyAdmins(public))
	s.e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	s.e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})))
	s.e.GET("/replicas", func(c echo.Context) error {
		out := make([]Status, len(s.replicas))
		for i, r := range s.replicas {
			out[i] = r.Status()
		}
		return c.JSON(http.StatusOK, out)
	})
	s.e.POST("/replicas/:i/:action", s.act)
	return s, nil
}

// OnlyAdmins answers 403 to an authenticated user outside AdminGroup,
// except on public paths. After authn.Middleware, it is how every control
// port (a role's, a kubelet's node agent controls) lets admins only in.
func OnlyAdmins(public func(string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, ok := authn.UserFrom(c.Request().Context())
			if public(c.Request().URL.Path) || (ok && u.InGroup(AdminGroup)) {
				return next(c)
			}
			verb := strings.ToLower(c.Request().Method)
			return c.JSON(http.StatusForbidden, api.Status{
				TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure",
				Reason: api.StatusReasonForbidden, Code: http.StatusForbidden,
				Message: fmt.Sprintf("forbidden: User %q cannot %s path %q", u.Name, verb, c.Request().URL.Path),
			})
		}
	}
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

func (s *Server) act(c echo.Context) error {
	i, err := strconv.Atoi(c.Param("i"))
	if err != nil || i < 0 || i >= len(s.replicas) {
		return echo.NewHTTPError(http.StatusNotFound, "no replica "+c.Param("i"))
	}
	r := s.replicas[i]
	switch action := c.Param("action"); action {
	case "freeze":
		r.Hold().Freeze()
	case "unfreeze":
		r.Hold().Unfreeze()
	case "stop":
		r.Stop()
	default:
		return echo.NewHTTPError(http.StatusNotFound, "unknown action "+action+": want freeze, unfreeze or stop")
	}
	s.log.Info().Str("identity", r.Identity()).Str("action", c.Param("action")).Msg("replica control")
	return c.JSON(http.StatusOK, r.Status())
}

// Run serves until ctx is done, then shuts down; it returns nil then.
func (s *Server) Run(ctx context.Context) error {
	return httpserver.New(httpserver.DefaultConfig(), s.e, s.log).Run(ctx, s.ln, 5*time.Second)
}
