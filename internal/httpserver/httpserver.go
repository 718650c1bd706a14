// Package httpserver builds the project's http.Servers with timeouts that
// protect them from slow and idle clients without cutting long-running
// streams (watches, followed logs, exec), a cap on open connections, and
// net/http's own error log routed to zerolog.
//
// Contract:
//   - ReadHeaderTimeout bounds the time a client may take to send a
//     request's header; IdleTimeout closes a keep-alive connection that has
//     waited that long for its next request. Neither applies while a handler
//     runs, so a watch may stream for hours. There is no ReadTimeout (it
//     would cut long-running requests); bound request bodies per request
//     instead, with http.ResponseController.SetReadDeadline.
//   - At most MaxConnections connections are open at once. When a new one
//     arrives at the cap, the connection idle the longest (between requests,
//     or connected but silent) is closed to make room; if every connection is
//     busy, the new one is closed. So idle clients cannot exhaust the
//     process's file descriptors and lock out new ones.
//   - Server.Serve must be used (not ListenAndServe or ServeTLS: pass a TLS
//     listener), so that the cap applies.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/logging"
)

// Config holds the server's connection settings. A zero field selects its
// default.
type Config struct {
	// ReadHeaderTimeout bounds how long a client may take to send a request
	// header (and how long a new connection may stay silent). Default 10s.
	ReadHeaderTimeout time.Duration `json:"readHeaderTimeout" yaml:"readHeaderTimeout"`
	// IdleTimeout closes a keep-alive connection idle this long. Default 2m.
	IdleTimeout time.Duration `json:"idleTimeout" yaml:"idleTimeout"`
	// MaxConnections caps the open connections. Default: three quarters of
	// the process's open-file limit (RLIMIT_NOFILE), leaving the rest for
	// the database, Redis and files.
	MaxConnections int `json:"maxConnections" yaml:"maxConnections"`
}

// DefaultConfig returns the defaults (MaxConnections 0: derived from the
// open-file limit).
func DefaultConfig() Config {
	return Config{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.ReadHeaderTimeout < 0:
		return fmt.Errorf("http: readHeaderTimeout must be >= 0, got %v", c.ReadHeaderTimeout)
	case c.IdleTimeout < 0:
		return fmt.Errorf("http: idleTimeout must be >= 0, got %v", c.IdleTimeout)
	case c.MaxConnections < 0:
		return fmt.Errorf("http: maxConnections must be >= 0, got %d", c.MaxConnections)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = defaultMaxConnections()
	}
	return c
}

// defaultMaxConnections is three quarters of the soft open-file limit (Go
// raises the soft limit to the hard one at start), at least 64.
func defaultMaxConnections() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 || rl.Cur > 1<<20 {
		return 4096
	}
	return max(64, int(rl.Cur*3/4))
}

// Server is an http.Server whose Serve enforces MaxConnections.
type Server struct {
	*http.Server
	max int

	mu    sync.Mutex
	conns map[net.Conn]*connState
}

type connState struct {
	state http.ConnState
	since time.Time // when it entered state
}

// New returns a server for h with cfg's timeouts and net/http's error log
// going to log (see logging.ErrorLog). The caller may set further fields (BaseContext)
// before Serve.
func New(cfg Config, h http.Handler, log zerolog.Logger) *Server {
	cfg = cfg.withDefaults()
	s := &Server{max: cfg.MaxConnections, conns: make(map[net.Conn]*connState)}
	s.Server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          logging.ErrorLog(log),
		ConnState:         s.track,
	}
	return s
}

// Serve accepts connections on ln, up to the connection cap, and serves
// them; see http.Server.Serve.
func (s *Server) Serve(ln net.Listener) error {
	return s.Server.Serve(&capListener{Listener: ln, s: s})
}

// Conns returns the number of open connections (for tests and metrics).
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// track follows each connection's state; net/http calls it.
func (s *Server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = &connState{state: st, since: time.Now()}
	}
}

// admit makes room for c: at the cap it closes the connection idle the
// longest, or refuses c when every connection is busy.
func (s *Server) admit(c net.Conn) bool {
	s.mu.Lock()
	var victim net.Conn
	if len(s.conns) >= s.max {
		var oldest time.Time
		for oc, st := range s.conns {
			if st.state == http.StateActive {
				continue
			}
			if victim == nil || st.since.Before(oldest) {
				victim, oldest = oc, st.since
			}
		}
		if victim == nil {
			s.mu.Unlock()
			return false
		}
		delete(s.conns, victim)
	}
	s.conns[c] = &connState{state: http.StateNew, since: time.Now()}
	s.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	return true
}

type capListener struct {
	net.Listener
	s *Server
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.admit(c) {
			return c, nil
		}
		c.Close()
	}
}

// Run serves s on ln until ctx is done, then shuts it down, waiting up to
// grace for requests in flight and closing what is left then (a watch or
// a followed log never ends on its own). It returns nil on a clean stop,
// and Serve's error if serving failed before.
func (s *Server) Run(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		_ = s.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
