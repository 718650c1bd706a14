package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/minik8s/minik8s/kubeconfig"
)

// serverConfig is the config file every measured server gets: the
// per-user rate limit and the in-flight caps would otherwise cap the
// figures, since all the load comes from one admin token.
const serverConfig = `apiserver:
  limits:
    qps: 0
    maxInFlight: 0
    maxMutatingInFlight: 0
`

// startTimeout bounds how long a server may take to become ready.
const startTimeout = 30 * time.Second

// ServerOptions say which minik8s server to start.
type ServerOptions struct {
	// Role is the subcommand: "apiserver" (the default) or "all".
	Role string
	// Store is the --store flag: "" for SQLite in the data dir.
	Store string
	// Redis is the --redis flag: "" for in-process watch fan-out.
	Redis string
	// Args are more flags of the role.
	Args []string
}

// Server is a minik8s process started by the benchmark, listening on a
// loopback port of its choosing. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API server's base URL, Token the admin bearer token.
	URL   string
	Token string
	// DataDir holds its data, its kubeconfig and its log (server.log).
	DataDir string

	cmd  *exec.Cmd
	http *http.Client
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// StartServer starts a minik8s server in a fresh data dir and waits until
// its /readyz answers 200. The server is stopped when the scenario ends.
func (e *Env) StartServer(ctx context.Context, opt ServerOptions) (*Server, error) {
	if opt.Role == "" {
		opt.Role = "apiserver"
	}
	dir, err := e.newDir(opt.Role)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "bench-config.yaml")
	if err := os.WriteFile(cfgPath, []byte(serverConfig), 0o600); err != nil {
		return nil, fmt.Errorf("write server config: %w", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	args := []string{"--config", cfgPath, "--data-dir", dir, "--log-level", "warn",
		opt.Role, "--listen", "127.0.0.1:0"}
	if opt.Store != "" {
		args = append(args, "--store", opt.Store)
	}
	if opt.Redis != "" {
		args = append(args, "--redis", opt.Redis)
	}
	args = append(args, opt.Args...)
	cmd := exec.Command(e.Binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", opt.Role, err)
	}
	s := &Server{DataDir: dir, cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	e.onCleanup(func() error {
		t := time.Now()
		err := s.Stop()
		e.Logf("%s pid %d stopped in %s", opt.Role, s.PID(), time.Since(t).Round(time.Millisecond))
		return err
	})
	if err := s.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("start %s: %w%s", opt.Role, err, s.logTail())
	}
	e.Logf("%s pid %d ready at %s (%s)", opt.Role, s.PID(), s.URL, describeStore(opt))
	return s, nil
}

func describeStore(opt ServerOptions) string {
	st := "SQLite"
	if opt.Store != "" {
		st = "Postgres " + redactURL(opt.Store)
	}
	if opt.Redis != "" {
		st += ", Redis " + redactURL(opt.Redis)
	}
	return st
}

// waitReady waits for the kubeconfig the server writes once it listens,
// then for /readyz to answer 200.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	path := filepath.Join(s.DataDir, "kubeconfig")
	for s.URL == "" {
		if kc, err := kubeconfig.Load(path); err == nil {
			r, err := kc.Resolve()
			if err != nil {
				return fmt.Errorf("read kubeconfig: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(r.Cluster.CertificateAuthorityData) {
				return errors.New("kubeconfig has no CA certificate")
			}
			s.URL, s.Token = r.Cluster.Server, r.Token
			s.http = &http.Client{Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{RootCAs: pool},
				MaxIdleConnsPerHost: 256,
				DisableCompression:  true,
			}}
			break
		}
		if err := s.pause(ctx); err != nil {
			return err
		}
	}
	for {
		code, _, err := s.Do(ctx, http.MethodGet, "/readyz", nil)
		if err == nil && code == http.StatusOK {
			return nil
		}
		if err := s.pause(ctx); err != nil {
			return err
		}
	}
}

// pause waits a little, failing if the process exited or ctx is done.
func (s *Server) pause(ctx context.Context) error {
	select {
	case <-s.done:
		return fmt.Errorf("process exited: %v", s.err)
	case <-ctx.Done():
		return fmt.Errorf("not ready: %w", ctx.Err())
	case <-time.After(20 * time.Millisecond):
		return nil
	}
}

// logTail is the end of the server's log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.DataDir, "server.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 1000 {
		b = b[len(b)-1000:]
	}
	return "; server log ends: " + strings.TrimSpace(string(b))
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// PeakRSS is the server's peak resident set size so far (VmHWM), in bytes.
// It fails once the process has exited.
func (s *Server) PeakRSS() (int64, error) {
	kb, err := procStatusKB(fmt.Sprintf("/proc/%d/status", s.PID()), "VmHWM")
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	return kb << 10, nil
}

// Stop asks the server to shut down (SIGTERM) and waits for it, killing it
// after 10 s. It returns an error if the server did not exit cleanly; it
// may be called more than once.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return s.exitErr()
	default:
	}
	// A connection the transport dialled but never used counts as active
	// for 5 s in net/http's Shutdown: close ours so the stop is prompt.
	if s.http != nil {
		s.http.CloseIdleConnections()
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.exitErr()
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("server pid %d did not stop within 10s of SIGTERM; killed", s.PID())
	}
}

func (s *Server) exitErr() error {
	if s.err != nil {
		return fmt.Errorf("server pid %d: %w%s", s.PID(), s.err, s.logTail())
	}
	return nil
}

// Do sends one request with the admin token and returns the status code
// and body. Only a transport failure is an error; the caller judges the
// code.
func (s *Server) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	resp, err := s.send(ctx, method, path, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read response to %s %s: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// send starts a request; the caller closes the response body.
func (s *Server) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// expect sends a request and fails unless it answers with code.
func (s *Server) expect(ctx context.Context, code int, method, path string, body []byte) ([]byte, error) {
	got, b, err := s.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if got != code {
		return nil, fmt.Errorf("%s %s: got %d, want %d: %s", method, path, got, code, bytes.TrimSpace(b))
	}
	return b, nil
}
