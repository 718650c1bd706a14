package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/closer"
	"github.com/minik8s/minik8s/internal/wait"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/version"
)

// Config says where the API server is and how to talk to it.
type Config struct {
	Server    string        // base URL, e.g. http://127.0.0.1:6443
	Token     string        // bearer token; "" sends none
	QPS       float32       // client-side rate limit; 0: 50, negative: unlimited
	Burst     int           // token bucket size; 0: 100
	Timeout   time.Duration // per attempt of a non-watch request; 0: 30 s
	UserAgent string        // "": UserAgent("minik8s")
	// MaxRetries bounds the retries of one request after a 429 or a refused
	// connection; 0: 10, negative: none.
	MaxRetries int
	// HTTPClient sends the requests; nil: a client with its own transport.
	// Its Timeout must be 0, or it would cut watches short.
	HTTPClient *http.Client
}

// Client talks to one API server. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	token      string
	userAgent  string
	timeout    time.Duration
	maxRetries int
	http       *http.Client
	limiter    *rate.Limiter

	// sleep waits between retries; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New validates cfg, fills in its defaults and returns a client. It makes no
// request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("parse server url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http or https URL with a host", cfg.Server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 100
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = UserAgent("minik8s")
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 10
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: newTransport()}
	}
	lim := rate.NewLimiter(rate.Limit(cfg.QPS), cfg.Burst)
	if cfg.QPS < 0 {
		lim = rate.NewLimiter(rate.Inf, 0)
	}
	return &Client{
		base:       u,
		token:      cfg.Token,
		userAgent:  cfg.UserAgent,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		http:       cfg.HTTPClient,
		limiter:    lim,
		sleep:      wait.Sleep,
	}, nil
}

// FromKubeconfig builds a client for the current context of the kubeconfig
// at path, trusting its certificate-authority-data (or skipping
// verification if it says so). qps and burst are as in Config.
func FromKubeconfig(path string, qps float32, burst int) (*Client, error) {
	return FromKubeconfigWrapped(path, qps, burst, nil)
}

// FromKubeconfigWrapped is FromKubeconfig with the HTTP transport wrapped
// by wrap (nil: not wrapped), for callers that gate or observe every
// request, as a frozen replica does.
func FromKubeconfigWrapped(path string, qps float32, burst int, wrap func(http.RoundTripper) http.RoundTripper) (*Client, error) {
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return nil, err
	}
	r, err := kc.Resolve()
	if err != nil {
		return nil, err
	}
	tr := newTransport()
	if len(r.Cluster.CertificateAuthorityData) > 0 || r.Cluster.InsecureSkipTLSVerify {
		tc := &tls.Config{InsecureSkipVerify: r.Cluster.InsecureSkipTLSVerify}
		if len(r.Cluster.CertificateAuthorityData) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(r.Cluster.CertificateAuthorityData) {
				return nil, fmt.Errorf("load certificate-authority-data of context %q: no PEM certificate", r.Context)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	if len(r.ClientCert) > 0 {
		pair, err := tls.X509KeyPair(r.ClientCert, r.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("load client certificate of context %q: %w", r.Context, err)
		}
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
	}
	var rt http.RoundTripper = tr
	if sock := r.Cluster.Socket(); sock != "" && kubeconfig.IsSocket(sock) {
		rt = newUnixTransport(sock)
	}
	if wrap != nil {
		rt = wrap(rt)
	}
	return New(Config{
		Server:     r.Cluster.Server,
		Token:      r.Token,
		QPS:        qps,
		Burst:      burst,
		HTTPClient: &http.Client{Transport: rt},
	})
}

// request is one API call, kept whole so that it can be sent again.
type request struct {
	method      string
	path        string // absolute API path, unescaped
	query       url.Values
	body        []byte
	contentType string
	watch       bool // no timeout: the response streams until it ends
	// typed: the answer decodes into a type of package api, which
	// api.UnmarshalTrusted decodes as api.Unmarshal does, faster.
	typed bool
}

// send performs r, waiting for the rate limiter before each attempt and
// retrying 429s and refused GETs. It returns a 2xx response whose body the
// caller must close, or an error: *StatusError for a non-2xx answer.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("wait for rate limiter: %w", err)
		}
		resp, err := c.attempt(ctx, r)
		if err != nil {
			if r.method == http.MethodGet && errors.Is(err, syscall.ECONNREFUSED) && attempt < c.maxRetries {
				// The server may be starting or restarting: try again soon.
				if err := c.sleep(ctx, connBackoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		serr := newStatusError(resp, body)
		if resp.StatusCode == http.StatusTooManyRequests && attempt < c.maxRetries {
			if err := c.sleep(ctx, retryAfterWait(serr)); err != nil {
				return nil, err
			}
			continue
		}
		return nil, serr
	}
}

// attempt sends r once. A non-watch attempt is bounded by c.timeout from
// when it has a connection (see attemptTimeout) until the caller closes the
// body.
func (c *Client) attempt(ctx context.Context, r *request) (*http.Response, error) {
	cancel := context.CancelFunc(func() {})
	if !r.watch {
		ctx, cancel = attemptTimeout(ctx, c.timeout)
	}
	u := *c.base
	u.Path += r.path
	u.RawPath = ""
	u.RawQuery = r.query.Encode()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if context.Cause(ctx) == errAttemptTimeout {
			err = fmt.Errorf("no response within %s: %w", c.timeout, context.DeadlineExceeded)
		}
		cancel()
		return nil, err
	}
	resp.Body = closer.CancelOnClose(resp.Body, cancel)
	return resp, nil
}

var errAttemptTimeout = errors.New("attempt timed out")

// attemptTimeout returns a context that is cancelled, with cause
// errAttemptTimeout, d after the request made with it starts dialling or
// is handed a connection, whichever comes first. The wait for a connection
// does not count: a transport that caps its connections, as unixTransport
// does, queues requests on the client, and a deep queue (thousands of pod
// deletions from a process's node agents in a rolling update) would
// otherwise time out requests that were never sent, which are sent again
// and lengthen the queue. The server's own slowness still counts, from the
// first byte written to the body's close.
func attemptTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	var (
		once  sync.Once
		timer *time.Timer
	)
	start := func() {
		once.Do(func() { timer = time.AfterFunc(d, func() { cancel(errAttemptTimeout) }) })
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		ConnectStart: func(string, string) { start() },
		GotConn:      func(httptrace.GotConnInfo) { start() },
	})
	return ctx, func() {
		once.Do(func() {}) // no timer from now on
		if timer != nil {
			timer.Stop()
		}
		cancel(context.Canceled)
	}
}

// retryAfterWait is the server's Retry-After (1 s if it gave none) plus up
// to 20% jitter, so that throttled clients do not come back in step.
func retryAfterWait(err error) time.Duration {
	d, ok := RetryAfter(err)
	if !ok {
		d = time.Second
	}
	return d + time.Duration(rand.Float64()*0.2*float64(d))
}

// connBackoff is the wait before retry n of a refused GET: 50 ms doubling,
// capped at 1 s, with up to 20% jitter.
func connBackoff(n int) time.Duration {
	d := min(50*time.Millisecond<<min(n, 5), time.Second)
	return d + time.Duration(rand.Float64()*0.2*float64(d))
}

// do sends r and decodes a JSON response into out (if out is not nil).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if r.typed {
		err = decodeTyped(resp.Body, out)
	} else {
		err = api.NewDecoder(resp.Body).Decode(out)
	}
	if err != nil {
		return fmt.Errorf("decode %s %s response: %w", r.method, r.path, err)
	}
	return nil
}

// bodies are the buffers decodeTyped reads answers into, kept up to
// maxPooledBody.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 1 << 20

// decodeTyped reads an answer whole and decodes it with
// api.UnmarshalTrusted: the objects an API server answers with are what
// it stored or is about to store, as in a watch (a pod: 23 µs against 65).
func decodeTyped(body io.Reader, out any) error {
	buf := bodies.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBody { // a big list's buffer is let go
			bodies.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		return err
	}
	return api.UnmarshalTrusted(buf.Bytes(), out)
}

// Do sends one request to an absolute API path, which may carry a query
// (such as "/version" or "/api/v1/pods?limit=1"), with in, if not nil, as
// its JSON body, and decodes the JSON answer into out, if not nil. It has the
// rate limiting, retries and errors of every call.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	u, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("parse path: %w", err)
	}
	r := &request{method: method, path: u.Path, query: u.Query()}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		r.body = b
	}
	return c.do(ctx, r, out)
}

func jsonUnmarshal(b []byte, v any) error { return api.Unmarshal(b, v) }

// newTransport is net/http's default transport keeping enough idle
// connections per host for a controller's requests in flight: with Go's
// default of 2, a scheduler binding 32 pods at once reconnects (and
// handshakes TLS) for almost every request.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return tr
}

// unixTransport reaches the API server over plain HTTP/1.1 on a Unix
// socket (kubeconfig.SocketExtension), as the components of `minik8s all`
// do: beside HTTP/2 over TLS on loopback TCP it costs about a fifth less
// CPU per pod (no TLS records, no HTTP/2 framing, flow control or stream
// goroutines for every watch event). Requests keep the kubeconfig's server
// in their URL (Client.Server is where pods' traffic is forwarded to);
// only their scheme becomes http.
//
// HTTP/1.1 has one request on a connection at a time. A watch holds one
// for as long as it runs, which is cheap here (a process's node agents
// share their watches: `all` with 1,000 nodes has about thirty); other
// requests share at most maxUnaryConns, and wait for one beyond that, as
// HTTP/2 streams wait for the server's concurrency limit: without the cap,
// a burst of a thousand pods opened 170 connections, each with its
// goroutines and buffers at both ends, and the all process's peak RSS went
// from about 142 to 160 MiB; with it, about 65 connections and 137-151 MiB.
type unixTransport struct{ unary, watch *http.Transport }

// maxUnaryConns is more requests in flight than the API server has cores
// to work on them, so that a request that waits on the store or a lock
// does not hold up the others.
const maxUnaryConns = 16

func newUnixTransport(path string) unixTransport {
	tr := newTransport()
	tr.Proxy = nil
	tr.ForceAttemptHTTP2 = false
	tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	unary := tr.Clone()
	unary.MaxConnsPerHost, unary.MaxIdleConnsPerHost = maxUnaryConns, maxUnaryConns
	return unixTransport{unary: unary, watch: tr}
}

func (t unixTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	plain := *r
	u := *r.URL
	u.Scheme = "http"
	plain.URL = &u
	if isWatch(u.RawQuery) {
		return t.watch.RoundTrip(&plain)
	}
	return t.unary.RoundTrip(&plain)
}

// isWatch reports whether a request's query asks for a watch (watch=true
// or watch=1, as Kubernetes reads it).
func isWatch(rawQuery string) bool {
	for q := range strings.SplitSeq(rawQuery, "&") {
		if q == "watch=true" || q == "watch=1" {
			return true
		}
	}
	return false
}

// WithToken returns a client that is c but authenticates with token: it
// shares c's connections and rate limit, so that one process acting for
// many identities (a kubelet running many nodes, each its own
// system:node:<name>) keeps one connection pool and one request budget.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// WithUserAgent returns a client that is c but sends userAgent (see
// UserAgent); like WithToken, it shares c's connections and rate limit.
func (c *Client) WithUserAgent(userAgent string) *Client {
	cp := *c
	cp.userAgent = userAgent
	return &cp
}

// UserAgent returns the User-Agent of a component, in the form Kubernetes'
// components send: "kubelet/v1.32.0+minik8s (linux/amd64) kubernetes/minik8s"
// for "kubelet". The API server names the field manager of a write that
// gives no fieldManager after what precedes the first "/" ("kubelet"), and
// the audit log records it whole. Append "/"+more for a part of a
// component, as Kubernetes' leader election client does
// (".../leader-election").
func UserAgent(component string) string {
	return component + "/" + version.KubernetesVersion + "+minik8s (" + runtime.GOOS + "/" + runtime.GOARCH + ") kubernetes/minik8s"
}

// Server returns the API server's base URL the client sends requests to.
func (c *Client) Server() url.URL { return *c.base }
