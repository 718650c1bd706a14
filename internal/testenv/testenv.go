// Package testenv starts real minik8s components for integration tests:
// an API server on SQLite in a temporary directory or on a fresh Postgres
// database, with Redis when asked. Services come from MINIK8S_TEST_POSTGRES
// and MINIK8S_TEST_REDIS (see testsvc); a test that needs one fails when its
// variable is unset or the service does not answer.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubeconfig"
)

// Postgres returns the URL of a new, empty database on the test Postgres,
// dropped when the test ends. It fails the test if MINIK8S_TEST_POSTGRES is
// unset.
func Postgres(t testing.TB) string {
	t.Helper()
	base := testsvc.Require(t, testsvc.Postgres)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect to MINIK8S_TEST_POSTGRES: %v", err)
	}
	sqlDB, _ := admin.DB()
	defer sqlDB.Close()
	name := "t_" + randomHex(6)
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			return
		}
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Redis returns the test Redis URL, failing the test if
// MINIK8S_TEST_REDIS is unset.
func Redis(t testing.TB) string {
	t.Helper()
	return testsvc.Require(t, testsvc.Redis)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Options select the backends of a test API server.
type Options struct {
	Store   string // "" for SQLite in the temp dir
	Redis   string // "" for in-process fan-out
	DataDir string // "" for a new temp dir
	// Configure, if set, adjusts the configuration before start.
	Configure func(*app.Config)
	// Log, if set, receives the server's log as JSON lines (debug level).
	Log io.Writer
}

// APIServer is a running test API server.
type APIServer struct {
	URL        string
	Token      string
	Kubeconfig string
	DataDir    string
	// HTTP is a client that trusts the server's CA (and sends no token).
	HTTP *http.Client
	// Editor is the KUBE_EDITOR of the kubectl it runs (kubectl edit); a
	// field of the server rather than the environment, so that tests using
	// it can run in parallel.
	Editor string
	stop   func()
}

// KeptLog returns a logger at level whose lines are kept and shown, under
// title, only if t fails: a component's reasons for a timeout in CI,
// without noise in every passing run.
func KeptLog(t testing.TB, level zerolog.Level, title string) zerolog.Logger {
	kept := new(syncbuf.Buffer)
	t.Cleanup(func() {
		if out := kept.String(); t.Failed() && out != "" {
			t.Logf("%s:\n%s", title, out)
		}
	})
	return zerolog.New(kept).Level(level).With().Timestamp().Logger()
}

// StartAPIServer starts an API server on 127.0.0.1:0 and stops it when the
// test ends.
func StartAPIServer(t testing.TB, opt Options) *APIServer {
	t.Helper()
	cfg := app.Default()
	cfg.DataDir = opt.DataDir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Store, cfg.Redis = opt.Store, opt.Redis
	cfg.APIServer.Listen = "127.0.0.1:0"
	cfg.APIServer.ShutdownTimeout = 500 * time.Millisecond
	if opt.Configure != nil {
		opt.Configure(&cfg)
	}
	var log zerolog.Logger
	switch {
	case opt.Log != nil:
		log = zerolog.New(opt.Log).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	case os.Getenv("MINIK8S_TEST_LOG") != "":
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	default:
		// Warnings and errors are kept and shown if the test fails, so a
		// 500 in CI comes with the server's reason for it.
		log = KeptLog(t, zerolog.WarnLevel, "the API server's warnings and errors")
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.NewAPIServer(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("start API server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	kc, err := kubeconfig.Load(a.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := kc.Current()
	if err != nil {
		t.Fatal(err)
	}
	res, err := kc.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(res.Cluster.CertificateAuthorityData)
	s := &APIServer{URL: a.URL, Token: token, Kubeconfig: a.Kubeconfig, DataDir: cfg.DataDir,
		HTTP: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("API server stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("API server did not stop within 10s")
		}
	}
	t.Cleanup(s.stop)
	// Wait until it serves.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.HTTP.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("API server not ready after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// Stop stops the server now (it is also stopped when the test ends).
func (s *APIServer) Stop() { s.stop() }

// Response is an HTTP response with its body read.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with the admin token; body may be a string, []byte,
// or any value to encode as JSON.
func (s *APIServer) Do(t testing.TB, method, path string, body any, header ...string) *Response {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	// A name's first value replaces the default (Authorization); a name
	// given again adds a value (Impersonate-Group twice).
	seen := map[string]bool{}
	for i := 0; i+1 < len(header); i += 2 {
		if k := http.CanonicalHeaderKey(header[i]); seen[k] {
			req.Header.Add(k, header[i+1])
		} else {
			seen[k] = true
			req.Header.Set(k, header[i+1])
		}
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Code: resp.StatusCode, Header: resp.Header, Body: b}
}

// Kubectl runs the real /usr/bin/kubectl against the server and returns
// its combined output and error.
func (s *APIServer) Kubectl(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	return s.KubectlContext(context.Background(), t, stdin, args...)
}

// KubectlContext is Kubectl with a context that can stop it.
func (s *APIServer) KubectlContext(ctx context.Context, t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	var out syncbuf.Buffer
	cmd := s.kubectlCmd(ctx, t, &out, args)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// KubectlTo runs kubectl until it exits or ctx is done, writing its
// combined output to w as it comes, so that a test can read a running
// `kubectl get -w`.
func (s *APIServer) KubectlTo(ctx context.Context, t testing.TB, w io.Writer, args ...string) error {
	t.Helper()
	return s.kubectlCmd(ctx, t, w, args).Run()
}

func (s *APIServer) kubectlCmd(ctx context.Context, t testing.TB, w io.Writer, args []string) *exec.Cmd {
	t.Helper()
	path := "/usr/bin/kubectl"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("kubectl is not at %s: %v", path, err)
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", s.Kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+s.DataDir, "KUBECACHEDIR="+s.DataDir+"/kubecache")
	if s.Editor != "" {
		cmd.Env = append(cmd.Env, "KUBE_EDITOR="+s.Editor)
	}
	cmd.Stdout, cmd.Stderr = w, w
	return cmd
}

// Binary returns the minik8s binary end-to-end suites run: MINIK8S_BIN
// (a relative path is taken relative to the repository, as make means it),
// or else one built now (CGO_ENABLED=0) into dir. It is for TestMain, which
// has no testing.TB; the suite exports MINIK8S_BIN so that helpers it calls
// run the same binary.
func Binary(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := os.Getenv("MINIK8S_BIN")
	switch {
	case bin == "":
		bin = filepath.Join(dir, "minik8s")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build minik8s: %w\n%s", err, out)
		}
	case !filepath.IsAbs(bin):
		bin = filepath.Join(root, bin)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("minik8s binary: %w", err)
	}
	return bin, os.Setenv("MINIK8S_BIN", bin)
}

// moduleRoot is the directory of the go.mod above the working directory
// (a test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// process that must listen on a port known in advance (one restarted on
// the same address).
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n different loopback TCP ports that were free a moment
// ago. Each is held until all are chosen: ports picked one at a time may
// be the same, as the kernel may hand out a port again once it is closed.
//
// The ports come from below the kernel's ephemeral range, where possible:
// a port the kernel hands out for a listen on port 0 or for an outgoing
// connection may be taken by another test between the moment it is chosen
// here and the moment its process listens on it (this failed TestHA once,
// the controller manager's port taken by some connection). Below that
// range only another caller of FreePorts could take it, and the choice is
// random over thousands of ports.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	lo, hi := quietPorts()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		addr := "127.0.0.1:0"
		if hi > lo && tries < 100*n {
			addr = fmt.Sprintf("127.0.0.1:%d", lo+mathrand.IntN(hi-lo))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if addr != "127.0.0.1:0" {
				continue // taken: try another
			}
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// quietPorts is the range [lo, hi) FreePorts picks from: the 12,000 ports
// below the kernel's ephemeral range (Linux's ip_local_port_range), above
// the ports Kubernetes components listen on by default. It is empty where
// the range cannot be read.
func quietPorts() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	var first, last int
	if _, err := fmt.Sscan(string(b), &first, &last); err != nil {
		return 0, 0
	}
	hi = first
	lo = max(hi-12000, 11000)
	return lo, hi
}
