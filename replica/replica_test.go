package replica

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/pki"
)

// countingLock is an election.Lock that counts calls and always succeeds.
type countingLock struct {
	mu    sync.Mutex
	calls int
}

func (l *countingLock) call() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
}

func (l *countingLock) TryAcquire(context.Context, string) (election.Lease, error) {
	l.call()
	return election.Lease{}, nil
}

func (l *countingLock) Renew(context.Context, election.Lease) (election.Lease, error) {
	l.call()
	return election.Lease{}, nil
}

func (l *countingLock) Release(context.Context, election.Lease) error { l.call(); return nil }
func (l *countingLock) Describe() string                              { return "counting" }

func TestHoldStallsLockCallsPastTheirDeadline(t *testing.T) {
	h := NewHold()
	inner := &countingLock{}
	l := h.Lock(inner)
	h.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := l.Renew(ctx, election.Lease{}); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Renew returned %v while frozen", err)
	case <-time.After(100 * time.Millisecond):
	}
	h.Unfreeze()
	// Like a process that resumes after its deadline: the call fails
	// without reaching the lock.
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Renew after unfreeze = %v, want deadline exceeded", err)
	}
	if _, err := l.Renew(context.Background(), election.Lease{}); err != nil || inner.calls != 1 {
		t.Fatalf("thawed Renew = %v with %d calls, want it to reach the lock once", err, inner.calls)
	}
}

func TestHoldWaitAndClose(t *testing.T) {
	h := NewHold()
	if err := h.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.Freeze()
	if !h.Frozen() {
		t.Fatal("not frozen")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := h.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait while frozen = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Lock(&countingLock{}).Release(context.Background(), election.Lease{}) }()
	h.Close()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Close did not release a stalled call")
	}
}

// fakeElector leads at once with a lease that expires at a set time.
type fakeElector struct {
	mu sync.Mutex
	st election.Status
}

func (e *fakeElector) Run(ctx context.Context, lead func(context.Context) error) error {
	e.mu.Lock()
	e.st.Leader = true
	e.mu.Unlock()
	err := lead(ctx)
	e.mu.Lock()
	e.st.Leader = false
	e.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (e *fakeElector) Status() election.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

type fakeRole struct{ leading chan struct{} }

func (f *fakeRole) Lead(ctx context.Context) error {
	close(f.leading)
	<-ctx.Done()
	return ctx.Err()
}

func TestGateRefusesAfterLeaseExpiry(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(0, "host_1_0", zerolog.Nop())
	r.now = func() time.Time { return now }
	el := &fakeElector{st: election.Status{Identity: "host_1_0", Leader: true, Fence: 3, Expires: now.Add(time.Second)}}
	r.Attach((&fakeRole{leading: make(chan struct{})}).Lead, el)
	if err := r.Gate(context.Background()); err != nil {
		t.Fatalf("Gate with a live lease = %v", err)
	}
	now = now.Add(time.Second)
	if err := r.Gate(context.Background()); !errors.Is(err, ErrLeaseExpired) {
		t.Fatalf("Gate at expiry = %v, want ErrLeaseExpired", err)
	}
	el.st.Leader = false
	el.st.Expires = now.Add(time.Hour)
	if err := r.Gate(context.Background()); !errors.Is(err, ErrLeaseExpired) {
		t.Fatalf("Gate as standby = %v, want ErrLeaseExpired", err)
	}
}

func TestServerControlsReplicas(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var reps []*Replica
	var roles []*fakeRole
	for i := range 2 {
		r := New(i, "host_1_"+string(rune('0'+i)), zerolog.Nop())
		role := &fakeRole{leading: make(chan struct{})}
		r.Attach(role.Lead, &fakeElector{st: election.Status{Expires: time.Now().Add(time.Hour)}})
		reps, roles = append(reps, r), append(roles, role)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "minik8s_test_total"}))
	acc, admin, user := testAccess(t)
	srv, err := NewServer(ln, reps, reg, acc, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() { errs <- srv.Run(ctx) })
	for _, r := range reps {
		wg.Go(func() { errs <- r.Run(ctx) })
	}
	defer func() {
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}()
	for _, role := range roles {
		<-role.leading
	}
	base := "https://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: acc.TLS.ClientCAs}}}
	do := func(method, path, token string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	// Only admins may read or act; anyone may ask for /healthz; plain
	// HTTP gets nothing.
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/healthz", "", http.StatusOK},
		{"POST", "/replicas/0/stop", "", http.StatusUnauthorized},
		{"POST", "/replicas/0/stop", "wrong", http.StatusUnauthorized},
		{"POST", "/replicas/0/stop", user, http.StatusForbidden},
		{"GET", "/replicas", user, http.StatusForbidden},
		{"GET", "/metrics", "", http.StatusUnauthorized},
	} {
		resp := do(tc.method, tc.path, tc.token)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s with token %q: %d, want %d", tc.method, tc.path, tc.token, resp.StatusCode, tc.want)
		}
	}
	if resp, err := http.Post("http://"+ln.Addr().String()+"/replicas/0/stop", "", nil); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP stopped a replica")
		}
	}

	get := func(path string) string {
		t.Helper()
		resp := do("GET", path, admin)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	post := func(path string) int {
		t.Helper()
		resp := do("POST", path, admin)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/healthz"); got != "ok" {
		t.Fatalf("/healthz = %q", got)
	}
	if got := get("/metrics"); !strings.Contains(got, "minik8s_test_total") {
		t.Fatalf("/metrics lacks the registry's metrics:\n%s", got)
	}
	if code := post("/replicas/1/freeze"); code != http.StatusOK {
		t.Fatalf("freeze: %d", code)
	}
	if code := post("/replicas/0/stop"); code != http.StatusOK {
		t.Fatalf("stop: %d", code)
	}
	if code := post("/replicas/7/stop"); code != http.StatusNotFound {
		t.Fatalf("stop of a missing replica: %d, want 404", code)
	}
	if code := post("/replicas/0/explode"); code != http.StatusNotFound {
		t.Fatalf("unknown action: %d, want 404", code)
	}
	var sts []Status
	if err := json.Unmarshal([]byte(get("/replicas")), &sts); err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || !sts[0].Stopped || sts[0].Leading || sts[1].Stopped || !sts[1].Frozen || !sts[1].Leading || sts[1].Identity != "host_1_1" {
		t.Fatalf("/replicas = %+v", sts)
	}
}

// testAccess is a Server's access with a fresh CA and token file: the
// admin's token, and a token of a user who is not an admin.
func testAccess(t *testing.T) (acc Access, admin, user string) {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := pki.Ensure(pki.In(dir), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServingCert("test", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tokens.csv")
	admin, _, err = authn.EnsureTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	user = "not-an-admin-token"
	if err := authn.AddToken(path, user, "bob", []string{"system:authenticated"}); err != nil {
		t.Fatal(err)
	}
	tokens, err := authn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return Access{TLS: ca.ServerTLS(cert), Tokens: tokens}, admin, user
}
