package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// recorded is one request the test server saw.
type recorded struct {
	Method, Path, Query, Body, ContentType, Auth, UserAgent string
}

// apiServer is an httptest server that records requests and answers with
// handle.
type apiServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newAPIServer(t *testing.T, handle http.HandlerFunc) *apiServer {
	t.Helper()
	s := &apiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(b),
			ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"),
			UserAgent: r.Header.Get("User-Agent"),
		})
		s.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// newTestClient returns an unthrottled client of s whose retry waits are
// recorded instead of slept.
func newTestClient(t *testing.T, s *apiServer) (*Client, *[]time.Duration) {
	t.Helper()
	c, err := New(Config{Server: s.URL, Token: "tok", QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, body)
}
