package apiserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// call sends one request with token under ctx and returns its status and
// body.
func call(ctx context.Context, s *testenv.APIServer, token, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestLeaseRenewalsUnderListFlood: while the admin floods the server with
// full lists (far more than the read-only cap and the store's connections),
// a component renewing its Lease with its own identity gets every renewal
// through within the renew deadline, and /readyz answers.
func TestLeaseRenewalsUnderListFlood(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "a flood of 24 listers over 1,000 pods")
	const (
		pods          = 1000
		listers       = 24
		renewals      = 10
		renewDeadline = 5 * time.Second
	)
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.MaxInFlight = 8
	}})
	ctx := context.Background()

	// Fill the store.
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				body := strings.Replace(podJSON, `"name":"web"`, fmt.Sprintf(`"name":"p%d"`, i), 1)
				if code, b, err := call(ctx, s, s.Token, "POST", "/api/v1/namespaces/default/pods", body); err != nil || code != http.StatusCreated {
					t.Errorf("create p%d: %d %s %v", i, code, b, err)
				}
			}
		})
	}
	for i := range pods {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// The scheduler's own credential, appended while the server runs.
	token, err := authn.EnsureUser(filepath.Join(s.DataDir, "tokens.csv"), authn.SchedulerUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	const lease = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"
	code, b, err := call(ctx, s, token, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
		`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kube-scheduler"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15}}`)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create lease as %s: %d %s %v", authn.SchedulerUser, code, b, err)
	}

	// The flood.
	flood, stop := context.WithCancel(ctx)
	var lists sync.WaitGroup
	for range listers {
		lists.Go(func() {
			for flood.Err() == nil {
				_, _, _ = call(flood, s, s.Token, "GET", "/api/v1/pods", "")
			}
		})
	}
	defer func() { stop(); lists.Wait() }()

	tick := time.NewTicker(200 * time.Millisecond) // the retry period
	defer tick.Stop()
	for i := range renewals {
		<-tick.C
		rctx, cancel := context.WithTimeout(ctx, renewDeadline)
		code, b, err := call(rctx, s, token, "GET", lease, "")
		if err != nil || code != http.StatusOK {
			cancel()
			t.Fatalf("renewal %d: get lease: %d %s %v", i, code, b, err)
		}
		var l map[string]any
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		l["spec"].(map[string]any)["renewTime"] = time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
		nb, _ := json.Marshal(l)
		code, b, err = call(rctx, s, token, "PUT", lease, string(nb))
		cancel()
		if err != nil || code != http.StatusOK {
			t.Fatalf("renewal %d not done within the renew deadline %v: %d %s %v", i, renewDeadline, code, b, err)
		}
		// Probes, too, are not queued behind the lists.
		pctx, cancel := context.WithTimeout(ctx, renewDeadline)
		code, b, err = call(pctx, s, "", "GET", "/readyz", "")
		cancel()
		if err != nil || code != http.StatusOK {
			t.Fatalf("/readyz during the flood: %d %s %v", code, b, err)
		}
	}

	stop()
	lists.Wait()
	// The flood's last lists may still hold the admin's seats a moment.
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, b, err = call(ctx, s, s.Token, "GET", "/metrics", "")
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics: %d %v", code, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`apiserver_flowcontrol_dispatched_requests_total{flow_schema="system-leader-election",priority_level="leader-election"}`,
		`apiserver_flowcontrol_dispatched_requests_total{flow_schema="global-default",priority_level="global-default"}`,
		`apiserver_flowcontrol_nominal_limit_seats{priority_level="leader-election"} 25`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
