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
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minik8s/minik8s/kubeconfig"
)

// processConfig is the config file every process started by the
// benchmark gets. The per-user rate limit and the in-flight caps would
// otherwise cap the figures, since all the load comes from one admin
// token. The scheduler's, controller manager's and kubelets' own ports
// are off or picked freely, so that runs do not collide with anything
// else on the machine; unless defaultSim, simulated containers start at
// once (the default adds 100-300 ms per pod to mimic a real runtime, which
// would only measure that delay). Unless defaultClientLimits, the
// controller manager's API client may send 5000 requests/s instead of its
// default 200 (burst 400), which alone would hold a 1000-pod ReplicaSet to
// about 3 s.
func processConfig(defaultClientLimits, defaultSim bool) string {
	cm := `controllerManager:
  port: 0
`
	if !defaultClientLimits {
		cm += `  kubeAPIQPS: 5000
  kubeAPIBurst: 5000
`
	}
	kubelet := `kubelet:
  port: 0
`
	if !defaultSim {
		kubelet += `  sim:
    startDelay: 0s
    startJitter: 0s
`
	}
	return `apiserver:
  limits:
    qps: 0
    maxInFlight: 0
    maxMutatingInFlight: 0
scheduler:
  port: 0
` + cm + kubelet
}

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
	// DefaultClientLimits keeps the controller manager's default API
	// client rate limit, DefaultSim the simulated runtime's default start
	// delay and jitter (see processConfig).
	DefaultClientLimits bool
	DefaultSim          bool
	// Config, if set, is the whole config file instead of processConfig,
	// e.g. to keep the API rate limits and in-flight caps on.
	Config string
	// Listen is the --listen address: "" for a free port on 127.0.0.1.
	// A server restarted on its DataDir keeps its URL only with a fixed one.
	Listen string
	// DataDir, if set, is the data dir of a server started before, whose
	// CA, tokens and (on SQLite) database the new process takes over: a
	// restart. "" for a fresh one.
	DataDir string
}

// Process is a minik8s process started by the benchmark, with its own
// data dir holding its config and its log (process.log). Its methods are
// safe for concurrent use.
type Process struct {
	// Role is its subcommand; DataDir its data dir.
	Role    string
	DataDir string

	dir    string // its config and its log
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done is closed
	killed atomic.Bool   // Kill sent SIGKILL: a non-zero exit is expected
	// beforeStop runs before SIGTERM (a server closes its idle connections).
	beforeStop func()
}

// StartProcess starts `minik8s ... role args...` in a fresh data dir with
// the benchmark's config file (processConfig(false, false)) and log level warn.
// The process is stopped when the scenario ends. It does not wait for
// anything: the caller knows what "ready" means for the role.
func (e *Env) StartProcess(role string, args ...string) (*Process, error) {
	return e.startProcess(processConfig(false, false), "", "", role, args...)
}

// StartProcessOn is StartProcess with s's data dir as --data-dir: the
// process shares the server's CA, tokens and admin kubeconfig, as the
// processes of one cluster do (a node agent needs the CA to serve its
// logs), while its config and log stay in a dir of its own.
func (e *Env) StartProcessOn(s *Server, role string, args ...string) (*Process, error) {
	return e.startProcess(processConfig(false, false), "", s.DataDir, role, args...)
}

// startProcess starts role with config and its log in dir ("" for a fresh
// dir; the log is appended to) and --data-dir dataDir ("" for dir).
func (e *Env) startProcess(config, dir, dataDir, role string, args ...string) (*Process, error) {
	if dir == "" {
		var err error
		if dir, err = e.newDir(role); err != nil {
			return nil, err
		}
	}
	if dataDir == "" {
		dataDir = dir
	}
	cfgPath := filepath.Join(dir, "bench-config.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "process.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(e.Binary, append([]string{"--config", cfgPath, "--data-dir", dataDir, "--log-level", "warn", role}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	p := &Process{Role: role, DataDir: dataDir, dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	e.onCleanup(func() error {
		t := time.Now()
		err := p.Stop()
		e.Logf("%s pid %d stopped in %s", role, p.PID(), time.Since(t).Round(time.Millisecond))
		return err
	})
	return p, nil
}

// Server is a minik8s process serving the API (apiserver or all),
// listening on a loopback port of its choosing. Its methods are safe for
// concurrent use.
type Server struct {
	*Process
	// URL is the API server's base URL, Token the admin bearer token.
	URL   string
	Token string
	// Kubeconfig is the admin kubeconfig it wrote.
	Kubeconfig string

	http *http.Client
}

// StartServer starts a minik8s server in a fresh data dir and waits until
// its /readyz answers 200. The server is stopped when the scenario ends.
func (e *Env) StartServer(ctx context.Context, opt ServerOptions) (*Server, error) {
	if opt.Role == "" {
		opt.Role = "apiserver"
	}
	listen := opt.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	args := []string{"--listen", listen}
	if opt.Store != "" {
		args = append(args, "--store", opt.Store)
	}
	if opt.Redis != "" {
		args = append(args, "--redis", opt.Redis)
	}
	config := opt.Config
	if config == "" {
		config = processConfig(opt.DefaultClientLimits, opt.DefaultSim)
	}
	if opt.DataDir != "" {
		// The kubeconfig of the last run would look ready at once.
		if err := os.Remove(filepath.Join(opt.DataDir, "kubeconfig")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("restart %s: %w", opt.Role, err)
		}
	}
	p, err := e.startProcess(config, opt.DataDir, "", opt.Role, append(args, opt.Args...)...)
	if err != nil {
		return nil, err
	}
	s := &Server{Process: p, Kubeconfig: filepath.Join(p.DataDir, "kubeconfig")}
	// A connection the transport dialled but never used counts as active
	// for 5 s in net/http's Shutdown: close ours so the stop is prompt.
	p.beforeStop = func() {
		if s.http != nil {
			s.http.CloseIdleConnections()
		}
	}
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
	for s.URL == "" {
		if kc, err := kubeconfig.Load(s.Kubeconfig); err == nil {
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
func (p *Process) pause(ctx context.Context) error { return p.pauseFor(ctx, 20*time.Millisecond) }

// pauseFor is pause for d.
func (p *Process) pauseFor(ctx context.Context, d time.Duration) error {
	select {
	case <-p.done:
		return fmt.Errorf("process exited: %v", p.err)
	case <-ctx.Done():
		return fmt.Errorf("not ready: %w", ctx.Err())
	case <-time.After(d):
		return nil
	}
}

// logTail is the end of the process's log, for error messages.
func (p *Process) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "process.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 1000 {
		b = b[len(b)-1000:]
	}
	return "; log ends: " + strings.TrimSpace(string(b))
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// PeakRSS is the process's peak resident set size so far (VmHWM), in
// bytes. It fails once the process has exited.
func (p *Process) PeakRSS() (int64, error) {
	kb, err := procStatusKB(fmt.Sprintf("/proc/%d/status", p.PID()), "VmHWM")
	if err != nil {
		return 0, fmt.Errorf("read peak RSS of %s: %w", p.Role, err)
	}
	return kb << 10, nil
}

// RSS is the process's resident set size now (VmRSS), in bytes. It fails
// once the process has exited.
func (p *Process) RSS() (int64, error) {
	kb, err := procStatusKB(fmt.Sprintf("/proc/%d/status", p.PID()), "VmRSS")
	if err != nil {
		return 0, fmt.Errorf("read RSS of %s: %w", p.Role, err)
	}
	return kb << 10, nil
}

// Signal sends sig to the process (SIGSTOP and SIGCONT freeze and thaw it).
func (p *Process) Signal(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s pid %d: %w", p.Role, p.PID(), err)
	}
	return nil
}

// Kill sends SIGKILL and waits until the process has exited; its exit
// status is then no error for Stop.
func (p *Process) Kill() error {
	p.killed.Store(true)
	if err := p.Signal(syscall.SIGKILL); err != nil {
		select {
		case <-p.done:
			return nil
		default:
			return err
		}
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(20 * time.Second):
		return fmt.Errorf("%s pid %d still runs 20s after SIGKILL", p.Role, p.PID())
	}
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited returns an error if the process has exited, nil while it runs.
func (p *Process) Exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s pid %d exited: %v%s", p.Role, p.PID(), p.err, p.logTail())
	default:
		return nil
	}
}

// Stop asks the process to shut down (SIGTERM) and waits for it, killing
// it after 20 s. It returns an error if it did not exit cleanly; it may be
// called more than once.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	if p.beforeStop != nil {
		p.beforeStop()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a frozen (SIGSTOPped) process must run to stop
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s pid %d did not stop within 20s of SIGTERM; killed", p.Role, p.PID())
	}
}

func (p *Process) exitErr() error {
	if p.err != nil && !p.killed.Load() {
		return fmt.Errorf("%s pid %d: %w%s", p.Role, p.PID(), p.err, p.logTail())
	}
	return nil
}

// Do sends one request with the admin token and returns the status code
// and body. Only a transport failure is an error; the caller judges the
// code.
func (s *Server) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	return s.DoAs(ctx, method, path, "application/json", body)
}

// DoAs is Do with a body of media type ctype (a patch type).
func (s *Server) DoAs(ctx context.Context, method, path, ctype string, body []byte) (int, []byte, error) {
	resp, err := s.sendAs(ctx, method, path, ctype, body)
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
	return s.sendAs(ctx, method, path, "application/json", body)
}

func (s *Server) sendAs(ctx context.Context, method, path, ctype string, body []byte) (*http.Response, error) {
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
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// Expect sends a request and fails unless it answers with code; the
// error of another answer is a *CodeError.
func (s *Server) Expect(ctx context.Context, code int, method, path string, body []byte) ([]byte, error) {
	got, b, err := s.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if got != code {
		return nil, &CodeError{Method: method, Path: path, Got: got, Want: code, Body: bytes.TrimSpace(b)}
	}
	return b, nil
}

// CodeError is an answer with another code than the one expected.
type CodeError struct {
	Method, Path string
	Got, Want    int
	Body         []byte
}

func (e *CodeError) Error() string {
	return fmt.Sprintf("%s %s: got %d, want %d: %s", e.Method, e.Path, e.Got, e.Want, e.Body)
}

// mergePatch sends a JSON merge patch to path and fails unless it answers
// 200.
func (s *Server) mergePatch(ctx context.Context, path string, patch []byte) ([]byte, error) {
	code, b, err := s.DoAs(ctx, http.MethodPatch, path, "application/merge-patch+json", patch)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("PATCH %s: got %d, want 200: %s", path, code, bytes.TrimSpace(b))
	}
	return b, nil
}

// CPUTime is the user plus system CPU time the process has used so far,
// from /proc/PID/stat (in clock ticks of 10 ms).
func (p *Process) CPUTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID()))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %s: %w", p.Role, err)
	}
	// The command name (field 2) may hold spaces: count from after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of %s: short /proc stat", p.Role)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read CPU time of %s: %w", p.Role, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// cpuMeter measures the CPU time a process uses from now on; its per
// method divides it by a count of operations. CPU time is much less
// sensitive than wall-clock time to other load on the machine.
type cpuMeter struct {
	p     *Process
	start time.Duration
	err   error
}

func (p *Process) cpuMeter() cpuMeter {
	t, err := p.CPUTime()
	return cpuMeter{p: p, start: t, err: err}
}

// per is the CPU time used since the meter started, per one of n
// operations, formatted for the table ("?" if it could not be read).
func (m cpuMeter) per(n int) string {
	if m.err != nil {
		return "?"
	}
	t, err := m.p.CPUTime()
	if err != nil {
		return "?"
	}
	return perOp(t-m.start, n)
}

// perOp formats total CPU time divided over n operations, in µs.
func perOp(total time.Duration, n int) string {
	if n <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs (%.2f s / %d)", float64(total.Microseconds())/float64(n), total.Seconds(), n)
}
