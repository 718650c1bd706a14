package chaos

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/kubeconfig"
)

// attackConfig keeps minik8s's defaults: the API rate limits and in-flight
// caps are on, as a user runs it.
const attackConfig = "apiserver: {}\n"

// attackServer starts an API server on SQLite with the default limits and
// makes the namespace chaos.
func attackServer(t *testing.T, env *bench.Env) *bench.Server {
	t.Helper()
	ctx := context.Background()
	srv, err := env.StartServer(ctx, bench.ServerOptions{Config: attackConfig})
	must(t, err)
	must(t, bench.CreateNamespace(ctx, srv, "chaos"))
	return srv
}

// rawClient opens raw TLS connections to a server, as an attacker would.
type rawClient struct {
	addr  string // host:port
	host  string
	token string
	tls   *tls.Config
}

func newRawClient(t *testing.T, s *bench.Server) *rawClient {
	t.Helper()
	kc, err := kubeconfig.Load(s.Kubeconfig)
	must(t, err)
	res, err := kc.Resolve()
	must(t, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(res.Cluster.CertificateAuthorityData)
	u, err := url.Parse(s.URL)
	must(t, err)
	return &rawClient{addr: u.Host, host: u.Host, token: s.Token, tls: &tls.Config{RootCAs: pool, ServerName: u.Hostname()}}
}

// dial opens a TLS connection (handshake done) within timeout; rcvbuf, if
// positive, shrinks the socket's receive buffer first.
func (rc *rawClient) dial(timeout time.Duration, rcvbuf int) (*tls.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
			return errors.Join(err, serr)
		}
	}
	raw, err := d.Dial("tcp", rc.addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, rc.tls)
	_ = c.SetDeadline(time.Now().Add(timeout))
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// request sends one request with the admin token and the content type
// ctype, waiting at most timeout for the whole answer.
func (rc *rawClient) request(ctx context.Context, timeout time.Duration, method, path, ctype string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "https://"+rc.addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+rc.token)
	req.Header.Set("Content-Type", ctype)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: rc.tls}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// head is a request's head with the admin token.
func (rc *rawClient) head(method, path string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n", method, path, rc.host, rc.token)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// openAll opens n connections with 32 dialers, each set up by open; it
// gives up after 64 failures (the server is saturated: the point is
// made). It returns those that succeeded, how many failed, and the first
// error.
func openAll(n int, open func() (*tls.Conn, error)) ([]*tls.Conn, int, error) {
	var (
		mu     sync.Mutex
		conns  []*tls.Conn
		failed int
		first  error
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				mu.Lock()
				saturated := failed >= 64
				mu.Unlock()
				if saturated {
					return
				}
				c, err := open()
				mu.Lock()
				if err != nil {
					failed++
					if first == nil {
						first = err
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return conns, failed, first
}

func closeAll(conns []*tls.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// Slow bodies: many clients send a create's head with Content-Length:
// 100000 and then 9 bytes, and hold. Creates by another client must still
// succeed within client-go's patience: 10 retries of a 429, each after its
// Retry-After.
func TestSlowBodies(t *testing.T) {
	r := newRow(t, "attack: slow bodies")
	slow := pick(250, 500)
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	srv := attackServer(t, env)
	rc := newRawClient(t, srv)
	head := rc.head(http.MethodPost, "/api/v1/namespaces/"+ns+"/events", "Content-Type: application/json", "Content-Length: 100000")
	start := time.Now()
	var cut atomic.Int64 // slow connections the server answered or closed
	var lastCut atomic.Int64
	conns, failed, ferr := openAll(slow, func() (*tls.Conn, error) {
		c, err := rc.dial(10*time.Second, 0)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(c, head+`{"kind":"`); err != nil {
			c.Close()
			return nil, err
		}
		go func() { // notes when the server gives up on it
			_, _ = io.Copy(io.Discard, c)
			cut.Add(1)
			lastCut.Store(int64(time.Since(start)))
		}()
		return c, nil
	})
	defer closeAll(conns)
	if failed > 0 {
		t.Logf("%d slow connections failed to open: %v", failed, ferr)
	}

	// The other client's creates, through minik8s's client, which has
	// client-go's patience: 10 retries of a 429, each after its Retry-After.
	const creates = 10
	var (
		ok      int
		worst   time.Duration
		lastErr error
	)
	events := newClient(t, srv).Events(ns)
	for i := range creates {
		t0 := time.Now()
		var e api.Event
		must(t, json.Unmarshal(eventJSON(ns, "create-"+strconv.Itoa(i), "past the slow clients"), &e))
		_, err := events.Create(ctx, &e)
		worst = max(worst, time.Since(t0))
		if err != nil {
			lastErr = err
			break // the rest would fail alike, each after 10 retries
		}
		ok++
	}
	// How long the slow connections last, for the row.
	deadline := time.Now().Add(pick(5*time.Second, 40*time.Second))
	for cut.Load() < int64(len(conns)) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	held := fmt.Sprintf("%d of %d slow connections still open after %.0fs", int64(len(conns))-cut.Load(), len(conns), time.Since(start).Seconds())
	if cut.Load() == int64(len(conns)) {
		held = fmt.Sprintf("all %d slow connections cut within %.1fs", len(conns), time.Duration(lastCut.Load()).Seconds())
	}
	r.load = fmt.Sprintf("%d slow bodies (Content-Length 100000, 9 bytes sent), %d creates", len(conns), creates)
	r.lost = fmt.Sprintf("%d of %d creates failed", creates-ok, creates)
	if lastErr != nil {
		r.lost = fmt.Sprintf("create %d of %d failed, after 10×429", ok+1, creates)
	}
	r.recovery = held
	r.latency = fmt.Sprintf("slowest create %s", ms(worst))
	if rss, err := srv.PeakRSS(); err == nil {
		r.rss = mib(rss)
	}
	r.check(len(conns) >= slow*9/10, "only %d of %d slow connections opened: %v", len(conns), slow, ferr)
	r.check(ok == creates, "create %d of %d failed past the slow clients, after 10 retries of a 429: %v", ok+1, creates, lastErr)
}

// Idle keep-alive connections: more than a thousand clients each send one
// request and keep their connection open, idle, on a server whose file
// limit is 1024 (as many hosts set it). kubectl must still get answers.
func TestIdleConnections(t *testing.T) {
	r := newRow(t, "attack: idle connections")
	idle := pick(1100, 1500)
	ctx := context.Background()
	// The server starts with the limit, as under a shell's ulimit -n 1024:
	// prlimit(1) sets it and execs minik8s, which keeps its pid.
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed: %v", err)
	}
	wrapper := filepath.Join(t.TempDir(), "minik8s-nofile-1024")
	must(t, os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+prlimit+" --nofile=1024:1024 "+binPath+" \"$@\"\n"), 0o755))
	env := newEnvWith(t, wrapper)
	srv := attackServer(t, env)
	rc := newRawClient(t, srv)
	req := rc.head(http.MethodGet, "/version")
	conns, failed, ferr := openAll(idle, func() (*tls.Conn, error) {
		c, err := rc.dial(5*time.Second, 0)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			c.Close()
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		_ = c.SetDeadline(time.Time{})
		return c, nil // idle, kept alive
	})
	defer closeAll(conns)
	fds := openFiles(srv.PID())

	// kubectl, as a user would run it, with a bound so a hang fails.
	kubectl := func(args ...string) (time.Duration, error) {
		t0 := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, "/usr/bin/kubectl", append([]string{"--kubeconfig", srv.Kubeconfig, "--request-timeout", "30s"}, args...)...)
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+home, "KUBECACHEDIR="+filepath.Join(home, "cache"), "KUBECONFIG=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return time.Since(t0), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return time.Since(t0), nil
	}
	var (
		d1, d2     time.Duration
		err1, err2 error
		both       sync.WaitGroup
	)
	both.Add(2)
	go func() { defer both.Done(); d1, err1 = kubectl("get", "--raw", "/readyz") }()
	go func() { defer both.Done(); d2, err2 = kubectl("get", "events", "-n", "chaos") }()
	both.Wait()
	r.load = fmt.Sprintf("%d of %d idle keep-alive connections held, server files %d of 1024", len(conns), idle, fds)
	r.recovery = fmt.Sprintf("kubectl answered: readyz %v, get %v", err1 == nil, err2 == nil)
	r.latency = fmt.Sprintf("kubectl get --raw /readyz %s, get events %s", ms(d1), ms(d2))
	if failed > 0 {
		t.Logf("%d of %d idle connections could not be opened: %v", failed, idle, ferr)
	}
	r.check(err1 == nil, "%v", err1)
	r.check(err2 == nil, "%v", err2)
}

// openFiles counts a process's open file descriptors, -1 if unknown.
func openFiles(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// Limits of the stalled-watcher case: the server's peak RSS while the
// large objects are written, and how long after the first write (when the
// watcher's window fills: it stalls) its connection may stay open on the
// server.
const (
	stalledRSSLimit = 300 << 20
	stalledFreedBy  = 20 * time.Second
)

// A stalled watcher: a client opens a watch and never reads while large
// objects (1 MiB Events) are written. The server's memory stays bounded,
// and it frees the connection within seconds.
func TestStalledWatcher(t *testing.T) {
	r := newRow(t, "attack: stalled watcher")
	objects := pick(30, 200)
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	srv := attackServer(t, env)
	rc := newRawClient(t, srv)
	w, err := rc.dial(10*time.Second, 4096)
	must(t, err)
	defer w.Close()
	_, err = io.WriteString(w, rc.head(http.MethodGet, "/api/v1/namespaces/"+ns+"/events?watch=true"))
	must(t, err)
	serverPort := w.RemoteAddr().(*net.TCPAddr).Port
	clientPort := w.LocalAddr().(*net.TCPAddr).Port
	if st := tcpState(serverPort, clientPort); st != tcpEstablished {
		t.Fatalf("the watch connection is %q on the server, want established", st)
	}

	// RSS and the connection's state on the server, sampled until the
	// case ends.
	var (
		peak   atomic.Int64
		freed  atomic.Int64 // since start, once the connection is not established
		closed = make(chan struct{})
		start  = time.Now()
	)
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		for sctx.Err() == nil {
			if rss, err := srv.RSS(); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			if freed.Load() == 0 && tcpState(serverPort, clientPort) != tcpEstablished {
				freed.Store(int64(time.Since(start)))
				close(closed)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	message := strings.Repeat("x", 1<<20)
	var (
		next   atomic.Int64
		failed atomic.Int64
		ferr   atomic.Value
		wg     sync.WaitGroup
	)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(objects); i = next.Add(1) {
				_, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/events", eventJSON(ns, "big-"+strconv.FormatInt(i, 10), message))
				if err != nil {
					failed.Add(1)
					ferr.Store(err.Error())
				}
			}
		}()
	}
	wg.Wait()
	written := time.Since(start)
	// Wait for the connection to be freed, a little past the limit.
	select {
	case <-closed:
	case <-time.After(time.Until(start.Add(max(stalledFreedBy, written) + 5*time.Second))):
	}
	hwm, _ := srv.PeakRSS()
	peakRSS := max(peak.Load(), hwm)
	took := time.Duration(freed.Load())

	r.load = fmt.Sprintf("a watcher that never reads, %d Events of 1 MiB written in %.1fs", objects-int(failed.Load()), written.Seconds())
	if took == 0 {
		r.recovery = fmt.Sprintf("watch connection still open %.0fs after the first write", time.Since(start).Seconds())
	} else {
		r.recovery = fmt.Sprintf("watch connection closed %.1fs after the first write", took.Seconds())
	}
	r.rss = mib(peakRSS)
	r.check(failed.Load() == 0, "%d of %d writes failed: %v", failed.Load(), objects, ferr.Load())
	r.check(peakRSS <= stalledRSSLimit, "peak RSS %s with a stalled watcher (limit %s)", mib(peakRSS), mib(stalledRSSLimit))
	r.check(took > 0 && took <= stalledFreedBy, "the stalled watch connection was not closed within %s of the first write (%s)", stalledFreedBy, r.recovery)
}

const tcpEstablished = "ESTABLISHED"

// tcpState is the state of the server's end of a loopback TCP connection
// (local port server, remote port client) in /proc/net/tcp, or "gone".
func tcpState(server, client int) string {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return "unknown: " + err.Error()
	}
	states := map[string]string{"01": tcpEstablished, "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
		"06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}
	port := func(addr string) int {
		_, p, _ := strings.Cut(addr, ":")
		n, _ := strconv.ParseInt(p, 16, 32)
		return int(n)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if port(f[1]) == server && port(f[2]) == client {
			return states[f[3]]
		}
	}
	return "gone"
}

// Limits of the patch bomb: the answer must come within patchBombTime, and
// the stored object must stay small. The case waits patchBombWait at most.
const (
	patchBombTime   = 2 * time.Second
	patchBombStored = 64 << 10
	patchBombWait   = 10 * time.Second
)

// The patch bomb: one JSON patch of about 1.8 KB adds a 1 KiB array, then
// copies it onto itself 16 times (2^16 KiB if applied). It is answered
// with an error, quickly, and nothing huge is stored.
func TestPatchBomb(t *testing.T) {
	r := newRow(t, "attack: patch bomb")
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	srv := attackServer(t, env)
	_, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/pods", bench.PodJSON(ns, "bomb"))
	must(t, err)
	patch := patchBomb()
	before, _ := srv.PeakRSS()
	rc := newRawClient(t, srv)
	start := time.Now()
	code, answer, perr := rc.request(ctx, patchBombWait, http.MethodPatch, "/api/v1/namespaces/"+ns+"/pods/bomb", string(client.JSONPatchType), patch)
	took := time.Since(start)
	if perr != nil && !errors.Is(perr, context.DeadlineExceeded) {
		t.Fatalf("patch: %v", perr)
	}
	after, _ := srv.PeakRSS()
	_, stored, err := srv.Do(ctx, http.MethodGet, "/api/v1/namespaces/"+ns+"/pods/bomb", nil)
	must(t, err)

	r.load = fmt.Sprintf("a %d-byte JSON patch: add 1 KiB, copy it onto itself 16×", len(patch))
	if perr != nil {
		r.recovery = fmt.Sprintf("no answer within %s; pod stored: %d bytes", patchBombWait, len(stored))
	} else {
		var st struct{ Reason string }
		_ = json.Unmarshal(answer, &st)
		r.recovery = fmt.Sprintf("answered %d %s in %s; pod stored: %d bytes", code, st.Reason, ms(took), len(stored))
	}
	r.rss = fmt.Sprintf("%s → %s", mib(before), mib(after))
	r.latency = ms(took)
	r.check(perr == nil && code >= 400, "the patch bomb was not refused: %d %v", code, perr)
	r.check(took <= patchBombTime, "the patch bomb took %s to answer (limit %s)", ms(took), patchBombTime)
	r.check(len(stored) <= patchBombStored, "the pod is stored with %d bytes", len(stored))
}

// patchBomb is the patch: add /bogus, an array of 1 KiB, then append a
// copy of /bogus to itself 16 times.
func patchBomb() []byte {
	var elems []string
	for i := 0; len(strings.Join(elems, ",")) < 1024; i++ {
		elems = append(elems, strconv.Itoa(1000000+i))
	}
	ops := []map[string]any{{"op": "add", "path": "/bogus", "value": json.RawMessage("[" + strings.Join(elems, ",") + "]")}}
	for range 16 {
		ops = append(ops, map[string]any{"op": "copy", "from": "/bogus", "path": "/bogus/-"})
	}
	b, _ := json.Marshal(ops)
	return b
}
