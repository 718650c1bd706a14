package replica

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"
)

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(0, "host_1_cm0", zerolog.Nop())
	r.now = func() time.Time { return now }
	el := &fakeElector{st: election.Status{Leader: true, Expires: now.Add(time.Second)}}
	r.Attach(func(context.Context) error { return nil }, el)
	hc := &http.Client{Transport: r.Transport(http.DefaultTransport)}
	send := func(ctx context.Context, method string) error {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	bg := context.Background()

	for _, tc := range []struct {
		name    string
		method  string
		expired bool
		wantErr error
	}{
		{"read with a live lease", http.MethodGet, false, nil},
		{"write with a live lease", http.MethodPost, false, nil},
		{"read after expiry", http.MethodGet, true, nil},
		{"write after expiry", http.MethodPost, true, ErrLeaseExpired},
		{"delete after expiry", http.MethodDelete, true, ErrLeaseExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			el.mu.Lock()
			el.st.Expires = now.Add(time.Second)
			if tc.expired {
				el.st.Expires = now
			}
			el.mu.Unlock()
			if err := send(bg, tc.method); !errors.Is(err, tc.wantErr) {
				t.Fatalf("%s = %v, want %v", tc.method, err, tc.wantErr)
			}
		})
	}

	// Frozen, even a read waits past its deadline, then fails with it.
	el.mu.Lock()
	el.st.Expires = now.Add(time.Second)
	el.mu.Unlock()
	r.Hold().Freeze()
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- send(ctx, http.MethodGet) }()
	select {
	case err := <-done:
		t.Fatalf("GET returned %v while frozen", err)
	case <-time.After(100 * time.Millisecond):
	}
	r.Hold().Unfreeze()
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET after unfreeze = %v, want deadline exceeded", err)
	}
	if err := send(bg, http.MethodGet); err != nil {
		t.Fatalf("GET once thawed = %v", err)
	}
}
