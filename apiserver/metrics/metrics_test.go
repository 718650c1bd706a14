package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// classify is a toy classifier: the verb comes from the method and query,
// the resource from the route.
func classify(c echo.Context) (string, string) {
	res := c.Param("res")
	if sub := c.Param("sub"); sub != "" {
		res += "/" + sub
	}
	switch {
	case c.QueryParam("watch") == "true":
		return VerbWatch, res
	case c.Request().Method == http.MethodPost:
		return VerbCreate, res
	case c.Request().Method == http.MethodDelete:
		return VerbDelete, res
	case c.Param("name") == "":
		return VerbList, res
	}
	return VerbGet, res
}

type fixture struct {
	e   *echo.Echo
	reg *prometheus.Registry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(m.Middleware(classify))
	e.GET("/metrics", Handler(reg))
	e.GET("/api/v1/:res", func(c echo.Context) error {
		if c.QueryParam("watch") == "true" {
			c.Response().WriteHeader(http.StatusOK)
			// While the watch runs, it is already counted and open.
			scrape := get(t, e, "/metrics").Body.String()
			wantSeries(t, scrape, `apiserver_request_total{code="200",resource="pods",verb="watch"} 1`)
			wantSeries(t, scrape, `apiserver_longrunning_requests{resource="pods",verb="watch"} 1`)
			return nil
		}
		return c.String(http.StatusOK, "[]")
	})
	e.GET("/api/v1/:res/:name", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	})
	e.GET("/api/v1/:res/:name/:sub", func(c echo.Context) error {
		return c.String(http.StatusOK, "log line\n")
	})
	e.POST("/api/v1/:res", func(c echo.Context) error {
		return c.NoContent(http.StatusCreated)
	})
	return &fixture{e: e, reg: reg}
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, target)
}

func do(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func wantSeries(t *testing.T, scrape, series string) {
	t.Helper()
	for line := range strings.SplitSeq(scrape, "\n") {
		if line == series {
			return
		}
	}
	t.Errorf("scrape lacks %q:\n%s", series, scrape)
}

func noSeries(t *testing.T, scrape, prefix string) {
	t.Helper()
	for line := range strings.SplitSeq(scrape, "\n") {
		if strings.HasPrefix(line, prefix) {
			t.Errorf("scrape has unexpected %q", line)
		}
	}
}

func TestMiddlewareCountsRequests(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		if rec := get(t, f.e, "/api/v1/pods"); rec.Code != 200 {
			t.Fatalf("list: %d", rec.Code)
		}
	}
	if rec := get(t, f.e, "/api/v1/pods/p1"); rec.Code != 404 {
		t.Fatalf("get: %d", rec.Code)
	}
	if rec := do(t, f.e, http.MethodPost, "/api/v1/pods"); rec.Code != 201 {
		t.Fatalf("create: %d", rec.Code)
	}
	if rec := get(t, f.e, "/api/v1/pods?watch=true"); rec.Code != 200 {
		t.Fatalf("watch: %d", rec.Code)
	}
	if rec := get(t, f.e, "/api/v1/pods/p1/log?follow=true"); rec.Code != 200 {
		t.Fatalf("log: %d", rec.Code)
	}
	if rec := get(t, f.e, "/api/v1/pods/p1/log"); rec.Code != 200 {
		t.Fatalf("log: %d", rec.Code)
	}

	rec := get(t, f.e, "/metrics")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	scrape := rec.Body.String()
	for _, s := range []string{
		`apiserver_request_total{code="200",resource="pods",verb="list"} 3`,
		`apiserver_request_total{code="404",resource="pods",verb="get"} 1`, // the error's code, not 200
		`apiserver_request_total{code="201",resource="pods",verb="create"} 1`,
		`apiserver_request_total{code="200",resource="pods",verb="watch"} 1`,
		`apiserver_request_total{code="200",resource="pods/log",verb="get"} 2`,
		`apiserver_request_duration_seconds_count{resource="pods",verb="list"} 3`,
		`apiserver_request_duration_seconds_count{resource="pods",verb="get"} 1`,
		`apiserver_request_duration_seconds_count{resource="pods/log",verb="get"} 1`, // only the unfollowed one
		`apiserver_request_duration_seconds_bucket{resource="pods",verb="create",le="10"} 1`,
		`apiserver_longrunning_requests{resource="pods",verb="watch"} 0`,
		`apiserver_longrunning_requests{resource="pods/log",verb="get"} 0`,
		// The scrape that produced this is itself being counted, but only when it ends.
		`apiserver_request_total{code="200",resource="",verb="list"} 1`,
	} {
		wantSeries(t, scrape, s)
	}
	noSeries(t, scrape, `apiserver_request_duration_seconds_count{resource="pods",verb="watch"}`)
}

func TestWatchFailingBeforeStreaming(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(m.Middleware(func(echo.Context) (string, string) { return VerbWatch, "pods" }))
	e.GET("/w", func(echo.Context) error { return echo.NewHTTPError(http.StatusGone, "too old") })
	if rec := get(t, e, "/w"); rec.Code != http.StatusGone {
		t.Fatalf("code = %d, want 410", rec.Code)
	}
	scraper := echo.New() // not instrumented, so the scrape counts nothing
	scraper.GET("/metrics", Handler(reg))
	scrape := get(t, scraper, "/metrics").Body.String()
	wantSeries(t, scrape, `apiserver_request_total{code="410",resource="pods",verb="watch"} 1`)
	wantSeries(t, scrape, `apiserver_longrunning_requests{resource="pods",verb="watch"} 0`)
}

func TestGaugeFuncs(t *testing.T) {
	reg := prometheus.NewRegistry()
	var rev, watchers atomic.Int64
	if err := RegisterStoreRevision(reg, func() float64 { return float64(rev.Load()) }); err != nil {
		t.Fatal(err)
	}
	if err := RegisterWatchers(reg, func() float64 { return float64(watchers.Load()) }); err != nil {
		t.Fatal(err)
	}
	rev.Store(42)
	watchers.Store(7)

	e := echo.New()
	e.GET("/metrics", Handler(reg))
	scrape := get(t, e, "/metrics").Body.String()
	wantSeries(t, scrape, "minik8s_store_revision 42")
	wantSeries(t, scrape, "apiserver_registered_watchers 7")

	rev.Store(43)
	wantSeries(t, get(t, e, "/metrics").Body.String(), "minik8s_store_revision 43")

	if err := RegisterStoreRevision(reg, func() float64 { return 0 }); err == nil {
		t.Error("registering minik8s_store_revision twice succeeded")
	}
}

func TestStoreBatches(t *testing.T) {
	reg := prometheus.NewRegistry()
	var pipelined atomic.Int64
	err := RegisterStoreBatches(reg, map[string]func() float64{
		"pipelined": func() float64 { return float64(pipelined.Load()) },
		"in_order":  func() float64 { return 3 },
	})
	if err != nil {
		t.Fatal(err)
	}
	pipelined.Store(5)
	e := echo.New()
	e.GET("/metrics", Handler(reg))
	scrape := get(t, e, "/metrics").Body.String()
	wantSeries(t, scrape, `minik8s_store_batches_total{path="pipelined"} 5`)
	wantSeries(t, scrape, `minik8s_store_batches_total{path="in_order"} 3`)
	if err := RegisterStoreBatches(reg, map[string]func() float64{"in_order": func() float64 { return 0 }}); err == nil {
		t.Error("registering a path twice succeeded")
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Fatal("second New on the same registry succeeded")
	}
}

func TestHandlerOpenMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := RegisterStoreRevision(reg, func() float64 { return 1 }); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.GET("/metrics", Handler(reg))
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/openmetrics-text") || !strings.HasSuffix(string(body), "# EOF\n") {
		t.Fatalf("OpenMetrics scrape: %q\n%s", rec.Header().Get("Content-Type"), body)
	}
}
