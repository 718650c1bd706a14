package limits

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
)

type fixture struct {
	t     *testing.T
	l     *Limiter
	e     *echo.Echo
	reg   *prometheus.Registry
	clock time.Time

	mu      sync.Mutex
	block   chan struct{} // GET /block waits on it
	arrived chan struct{} // GET /block signals here once inside
	bodies  []string      // bodies the echo handler saw
}

// newFixture serves the limiter behind a stand-in for authn that takes the
// user from the X-User header.
func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, reg: prometheus.NewRegistry(), clock: time.Unix(1_000_000, 0),
		block: make(chan struct{}), arrived: make(chan struct{}, 16)}
	l, err := New(cfg, f.reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.clock
	}
	f.l = l
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if name := c.Request().Header.Get("X-User"); name != "" {
				r := c.Request()
				c.SetRequest(r.WithContext(authn.WithUser(r.Context(), authn.User{Name: name})))
			}
			return next(c)
		}
	})
	e.Use(l.Middleware())
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	e.GET("/api/v1/pods", ok)
	e.GET("/api/v1/watch/pods", ok)
	e.GET("/api/v1/namespaces/default/pods/p/log", func(c echo.Context) error {
		if c.QueryParam("follow") == "true" {
			return ok(c)
		}
		return f.wait(c)
	})
	e.GET("/block", f.wait)
	e.POST("/echo", func(c echo.Context) error {
		if _, ok := c.Request().Body.(*Body); !ok && c.Request().ContentLength != 0 && l.cfg.MaxBodyBytes > 0 {
			t.Errorf("handler's body is a %T, not the limiter's *Body", c.Request().Body)
		}
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		if l.cfg.MaxBodyBytes > 0 && c.Request().ContentLength != int64(len(b)) {
			t.Errorf("handler saw ContentLength %d for a %d-byte body", c.Request().ContentLength, len(b))
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		return c.NoContent(http.StatusCreated)
	})
	f.e = e
	return f
}

func (f *fixture) wait(c echo.Context) error {
	f.arrived <- struct{}{}
	<-f.block
	return c.String(http.StatusOK, "done")
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

func (f *fixture) do(method, target, user string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	if user != "" {
		req.Header.Set("X-User", user)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) get(target, user string) *httptest.ResponseRecorder {
	return f.do(http.MethodGet, target, user, nil)
}

// wantStatus checks a rejection: HTTP code, Status body and Retry-After.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, code int, reason string, retryAfter int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("code = %d, want %d (body %s)", rec.Code, code, rec.Body)
	}
	var st struct {
		Kind, APIVersion, Status, Message, Reason string
		Code                                      int
		Details                                   *struct{ RetryAfterSeconds int }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if st.Kind != "Status" || st.APIVersion != "v1" || st.Status != "Failure" || st.Reason != reason || st.Code != code || st.Message == "" {
		t.Errorf("Status = %+v, want a Failure with reason %s and code %d", st, reason, code)
	}
	gotRetry := 0
	if st.Details != nil {
		gotRetry = st.Details.RetryAfterSeconds
	}
	if gotRetry != retryAfter {
		t.Errorf("details.retryAfterSeconds = %d, want %d", gotRetry, retryAfter)
	}
	wantHeader := ""
	if retryAfter > 0 {
		wantHeader = strconv.Itoa(retryAfter)
	}
	if h := rec.Header().Get("Retry-After"); h != wantHeader {
		t.Errorf("Retry-After = %q, want %q", h, wantHeader)
	}
}

// rejected returns apiserver_rejected_requests_total{reason}.
func (f *fixture) rejected(reason string) float64 {
	f.t.Helper()
	return f.metric("apiserver_rejected_requests_total", "reason", reason)
}

func (f *fixture) metric(name, label, value string) float64 {
	f.t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					if m.Counter != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	f.t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}

func noRate() Config { return Config{MaxBodyBytes: 10} }

func TestRateLimitAfterBurst(t *testing.T) {
	f := newFixture(t, Config{QPS: 0.5, Burst: 3})
	for i := range 3 {
		if rec := f.get("/api/v1/pods", "alice"); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, rec.Code)
		}
	}
	wantStatus(t, f.get("/api/v1/pods", "alice"), http.StatusTooManyRequests, "TooManyRequests", 2) // 0.5 qps: a token in 2 s

	// Another user has a bucket of their own, and so does each anonymous client.
	if rec := f.get("/api/v1/pods", "bob"); rec.Code != http.StatusOK {
		t.Fatalf("bob throttled by alice's use: %d", rec.Code)
	}
	if rec := f.get("/api/v1/pods", ""); rec.Code != http.StatusOK {
		t.Fatalf("anonymous throttled by alice's use: %d", rec.Code)
	}

	// A rejection takes no token: after 1 s half a token is there, so still 1 s to go.
	f.advance(time.Second)
	wantStatus(t, f.get("/api/v1/pods", "alice"), http.StatusTooManyRequests, "TooManyRequests", 1)
	f.advance(time.Second)
	if rec := f.get("/api/v1/pods", "alice"); rec.Code != http.StatusOK {
		t.Fatalf("alice after Retry-After: %d", rec.Code)
	}
	// Watches take a token to start, too.
	wantStatus(t, f.get("/api/v1/pods?watch=true", "alice"), http.StatusTooManyRequests, "TooManyRequests", 2)

	if got := f.rejected(ReasonRateLimit); got != 3 {
		t.Errorf("rate-limit rejections = %v, want 3", got)
	}
}

func TestIdleBucketsAreEvicted(t *testing.T) {
	f := newFixture(t, Config{QPS: 1, Burst: 1})
	for _, u := range []string{"a", "b", "c"} {
		f.get("/api/v1/pods", u)
	}
	f.advance(sweepEvery / 2)
	f.get("/api/v1/pods", "c")
	f.advance(sweepEvery / 2)
	f.get("/api/v1/pods", "d") // sweeps: a and b idle a full minute, c only half
	f.l.mu.Lock()
	n := len(f.l.buckets)
	_, hasC := f.l.buckets["user:c"]
	f.l.mu.Unlock()
	if n != 2 || !hasC {
		t.Fatalf("after sweep: %d buckets (c kept: %v), want c and d", n, hasC)
	}
}

func TestMaxInFlight(t *testing.T) {
	f := newFixture(t, Config{MaxInFlight: 2, MaxMutatingInFlight: 1, MaxBodyBytes: 1 << 10})
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for _, target := range []string{"/block", "/api/v1/namespaces/default/pods/p/log"} {
		wg.Go(func() { codes <- f.get(target, "alice").Code })
	}
	<-f.arrived
	<-f.arrived

	if got := f.metric("apiserver_current_inflight_requests", "request_kind", "readOnly"); got != 2 {
		t.Errorf("readOnly in flight = %v, want 2", got)
	}
	wantStatus(t, f.get("/api/v1/pods", "bob"), http.StatusTooManyRequests, "TooManyRequests", 1)

	// Long-running requests are not held to the cap, and mutating requests have a cap of their own.
	for _, target := range []string{
		"/api/v1/pods?watch=true", "/api/v1/pods?watch=1", "/api/v1/watch/pods",
		"/api/v1/namespaces/default/pods/p/log?follow=true",
	} {
		if rec := f.get(target, "bob"); rec.Code != http.StatusOK {
			t.Errorf("GET %s at the read-only cap: %d, want 200", target, rec.Code)
		}
	}
	if rec := f.do(http.MethodPost, "/echo", "bob", strings.NewReader("{}")); rec.Code != http.StatusCreated {
		t.Errorf("POST at the read-only cap: %d, want 201", rec.Code)
	}

	close(f.block)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("blocked request ended with %d", c)
		}
	}
	if rec := f.get("/api/v1/pods", "bob"); rec.Code != http.StatusOK {
		t.Errorf("GET after the slots freed: %d", rec.Code)
	}
	if got := f.rejected(ReasonMaxInFlight); got != 1 {
		t.Errorf("max-in-flight rejections = %v, want 1", got)
	}
	if got := f.metric("apiserver_current_inflight_requests", "request_kind", "readOnly"); got != 0 {
		t.Errorf("readOnly in flight after = %v, want 0", got)
	}
}

func TestMaxMutatingInFlight(t *testing.T) {
	f := newFixture(t, Config{MaxMutatingInFlight: 1})
	f.e.DELETE("/block", f.wait)
	done := make(chan int)
	go func() { done <- f.do(http.MethodDelete, "/block", "a", nil).Code }()
	<-f.arrived
	wantStatus(t, f.do(http.MethodPost, "/echo", "b", strings.NewReader("x")), http.StatusTooManyRequests, "TooManyRequests", 1)
	if rec := f.get("/api/v1/pods", "b"); rec.Code != http.StatusOK {
		t.Errorf("GET at the mutating cap: %d, want 200", rec.Code)
	}
	close(f.block)
	if c := <-done; c != http.StatusOK {
		t.Errorf("blocked DELETE: %d", c)
	}
}

// chunked hides a reader's length, so the request has ContentLength -1,
// as a chunked upload does.
type chunked struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name     string
		body     io.Reader
		wantCode int
	}{
		{"content-length at the limit", strings.NewReader("0123456789"), http.StatusCreated},
		{"content-length over the limit", strings.NewReader("0123456789a"), http.StatusRequestEntityTooLarge},
		{"chunked at the limit", chunked{strings.NewReader("0123456789")}, http.StatusCreated},
		{"chunked over the limit", chunked{strings.NewReader("0123456789a")}, http.StatusRequestEntityTooLarge},
		{"empty", nil, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, noRate())
			rec := f.do(http.MethodPost, "/echo", "alice", tt.body)
			if tt.wantCode == http.StatusRequestEntityTooLarge {
				wantStatus(t, rec, tt.wantCode, "RequestEntityTooLarge", 0)
				if len(f.bodies) != 0 {
					t.Errorf("handler ran for an oversized body")
				}
				if got := f.rejected(ReasonBodyTooLarge); got != 1 {
					t.Errorf("request-too-large rejections = %v, want 1", got)
				}
				return
			}
			if rec.Code != tt.wantCode {
				t.Fatalf("code = %d, want %d (%s)", rec.Code, tt.wantCode, rec.Body)
			}
			if len(f.bodies) != 1 || (tt.body != nil && f.bodies[0] != "0123456789") {
				t.Errorf("handler saw bodies %q", f.bodies)
			}
		})
	}
}

// TestBodyReadAll: ReadAll is io.ReadAll without the copy, from wherever
// reading stopped.
func TestBodyReadAll(t *testing.T) {
	all := []byte("0123456789")
	b := &Body{Reader: bytes.NewReader(all), all: all}
	head := make([]byte, 4)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	rest := b.ReadAll()
	if string(rest) != "456789" || &rest[0] != &all[4] {
		t.Fatalf("ReadAll after 4 bytes = %q (copied: %v)", rest, &rest[0] != &all[4])
	}
	if n, err := b.Read(head); n != 0 || err != io.EOF {
		t.Fatalf("Read after ReadAll = %d, %v; want 0, EOF", n, err)
	}
	if rest := b.ReadAll(); len(rest) != 0 {
		t.Fatalf("second ReadAll = %q", rest)
	}
}

func TestUnlimited(t *testing.T) {
	f := newFixture(t, Config{})
	for range 50 {
		if rec := f.get("/api/v1/pods", "alice"); rec.Code != http.StatusOK {
			t.Fatalf("zero config throttled: %d", rec.Code)
		}
	}
	big := strings.Repeat("x", 4<<20)
	if rec := f.do(http.MethodPost, "/echo", "alice", chunked{strings.NewReader(big)}); rec.Code != http.StatusCreated {
		t.Fatalf("zero config limited a body: %d", rec.Code)
	}
}

func TestLongRunning(t *testing.T) {
	tests := []struct {
		target string
		want   bool
	}{
		{"/api/v1/pods?watch=true", true},
		{"/api/v1/namespaces/ns/pods?watch=1&resourceVersion=5", true},
		{"/api/v1/pods?watch=false", false},
		{"/api/v1/watch/pods", true},
		{"/api/v1/watch/namespaces/ns/pods/p", true},
		{"/apis/apps/v1/watch/deployments", true},
		{"/api/v1/namespaces/ns/pods/watch", false}, // a pod named watch
		{"/apis/apps/v1/namespaces/watch/deployments", false},
		{"/api/v1/namespaces/ns/pods/p/log?follow=true", true},
		{"/api/v1/namespaces/ns/pods/p/log", false},
		{"/api/v1/namespaces/ns/pods/p/log?follow=false", false},
		{"/api/v1/namespaces/ns/pods/p/exec?command=sh&stdin=true", true},
		{"/api/v1/namespaces/ns/pods/p/attach?stdin=true", true},
		{"/api/v1/namespaces/ns/pods/p/portforward?ports=80", true},
		{"/api/v1/namespaces/ns/pods/exec", false}, // a pod named exec
		{"/api/v1/pods", false},
		{"/", false},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			if got := LongRunning(httptest.NewRequest(http.MethodGet, tt.target, nil)); got != tt.want {
				t.Errorf("LongRunning = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"default", DefaultConfig(), false},
		{"all off", Config{}, false},
		{"negative qps", Config{QPS: -1, Burst: 1}, true},
		{"qps without burst", Config{QPS: 10}, true},
		{"negative burst", Config{Burst: -1}, true},
		{"negative in flight", Config{MaxInFlight: -1}, true},
		{"negative mutating in flight", Config{MaxMutatingInFlight: -1}, true},
		{"negative body", Config{MaxBodyBytes: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate = %v, wantErr %v", err, tt.wantErr)
			}
			if _, nerr := New(tt.cfg, nil, zerolog.Nop()); (nerr != nil) != tt.wantErr {
				t.Fatalf("New = %v, wantErr %v", nerr, tt.wantErr)
			}
		})
	}
	if d := DefaultConfig(); d.MaxBodyBytes != 3<<20 || d.QPS <= 0 || d.Burst < 1 || d.MaxInFlight <= 0 {
		t.Errorf("DefaultConfig = %+v", d)
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(DefaultConfig(), reg, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if _, err := New(DefaultConfig(), reg, zerolog.Nop()); err == nil {
		t.Fatal("second New on one registry succeeded")
	}
}

// TestPerUserSeries: requests let through, 429s and seats held are counted
// by user, and the user label is bounded: past MaxUserLabels users,
// everyone is "other".
func TestPerUserSeries(t *testing.T) {
	f := newFixture(t, Config{QPS: 0.5, Burst: 1, MaxInFlight: 1})
	const (
		dispatched = "minik8s_user_dispatched_requests_total"
		rejected   = "minik8s_user_rejected_requests_total"
		executing  = "minik8s_user_executing_requests"
	)
	f.get("/api/v1/pods", "alice")
	wantStatus(t, f.get("/api/v1/pods", "alice"), http.StatusTooManyRequests, "TooManyRequests", 2)
	if d, r := f.metric(dispatched, "user", "alice"), f.metric(rejected, "user", "alice"); d != 1 || r != 1 {
		t.Errorf("alice: %v let through, %v rejected; want 1 and 1", d, r)
	}

	done := make(chan struct{})
	go func() { defer close(done); f.get("/block", "bob") }()
	<-f.arrived
	if got := f.metric(executing, "user", "bob"); got != 1 {
		t.Errorf("bob's seats while blocked: %v, want 1", got)
	}
	wantStatus(t, f.get("/api/v1/pods", "carol"), http.StatusTooManyRequests, "TooManyRequests", 1)
	close(f.block)
	<-done
	if got := f.metric(executing, "user", "bob"); got != 0 {
		t.Errorf("bob's seats after: %v, want 0", got)
	}
	if got := f.metric(rejected, "user", "carol"); got != 1 {
		t.Errorf("carol's 429s at the in-flight cap: %v, want 1", got)
	}
	f.get("/api/v1/pods", "")
	if got := f.metric(dispatched, "user", AnonymousUser); got != 1 {
		t.Errorf("anonymous: %v let through, want 1", got)
	}

	// 4 users so far; MaxUserLabels+5 more: the last 9 are "other".
	for i := range MaxUserLabels + 5 {
		f.get("/api/v1/pods", fmt.Sprintf("user-%d", i))
	}
	if got := f.metric(dispatched, "user", OtherUser); got != 9 {
		t.Errorf("other: %v let through, want 9", got)
	}
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == dispatched && len(mf.GetMetric()) != MaxUserLabels+1 {
			t.Errorf("%d user series, want %d and other", len(mf.GetMetric()), MaxUserLabels)
		}
	}
}
