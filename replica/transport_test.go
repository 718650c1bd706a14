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

// A write the server has received is awaited even after its caller gives
// up, so the replica's work (and the lease's release after it) ends only
// once the server has answered; a read is not.
func TestTransportAwaitsSentWrites(t *testing.T) {
	arrived, answer := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-answer
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	defer close(answer)
	now := time.Now()
	r := New(0, "host_1_cm0", zerolog.Nop())
	r.now = func() time.Time { return now }
	r.Attach(func(context.Context) error { return nil }, &fakeElector{st: election.Status{Leader: true, Expires: now.Add(time.Hour)}})
	hc := &http.Client{Transport: r.Transport(http.DefaultTransport)}
	type result struct {
		code int
		err  error
	}
	send := func(method string) (cancel context.CancelFunc, done <-chan result) {
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan result, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, method, srv.URL, strings.NewReader("{}"))
			resp, err := hc.Do(req)
			if err != nil {
				ch <- result{err: err}
				return
			}
			resp.Body.Close()
			ch <- result{code: resp.StatusCode}
		}()
		<-arrived
		return cancel, ch
	}

	cancel, done := send(http.MethodGet)
	cancel()
	if res := <-done; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled GET = %+v, want context canceled", res)
	}
	answer <- struct{}{}

	cancel, done = send(http.MethodPost)
	cancel()
	select {
	case res := <-done:
		t.Fatalf("cancelled POST returned %+v before the server answered", res)
	case <-time.After(100 * time.Millisecond):
	}
	answer <- struct{}{}
	if res := <-done; res.err != nil || res.code != http.StatusCreated {
		t.Fatalf("cancelled POST = %+v, want the server's 201", res)
	}
}

func TestOutlive(t *testing.T) {
	type key struct{}
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx, cancel := outlive(parent, 50*time.Millisecond)
	defer cancel()
	if ctx.Value(key{}) != "v" {
		t.Fatal("outlive lost the parent's values")
	}
	cancelParent()
	start := time.Now()
	<-ctx.Done()
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("ended %s after its parent, want the 50ms grace", d)
	}

	ctx, cancel = outlive(context.Background(), time.Hour)
	cancel()
	if ctx.Err() == nil {
		t.Fatal("cancel did not end the context")
	}
}
