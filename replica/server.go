package replica

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Server is a role's HTTP port (the scheduler's, the controller manager's).
type Server struct {
	ln       net.Listener
	replicas []*Replica
	log      zerolog.Logger
	e        *echo.Echo
}

// NewServer serves the replicas and the metrics of gatherer on ln.
func NewServer(ln net.Listener, replicas []*Replica, gatherer prometheus.Gatherer, log zerolog.Logger) *Server {
	s := &Server{ln: ln, replicas: replicas, log: log, e: echo.New()}
	s.e.HideBanner, s.e.HidePort = true, true
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
	return s
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
	s.e.Listener = s.ln
	errc := make(chan error, 1)
	go func() { errc <- s.e.Start("") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.e.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
