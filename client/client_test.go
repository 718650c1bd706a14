package client

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubeconfig"
)

func TestNewValidates(t *testing.T) {
	for _, server := range []string{"", "127.0.0.1:6443", "ftp://x", "http://"} {
		if _, err := New(Config{Server: server}); err == nil {
			t.Errorf("New(%q) accepted an unusable server", server)
		}
	}
}

func TestRequests(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"metadata":{"name":"x","resourceVersion":"7"},"spec":{"replicas":3}}`)
	})
	c, _ := newTestClient(t, s)
	ctx := context.Background()
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p1", Namespace: "ns1", ResourceVersion: "5"}}
	one := int64(0)

	tests := []struct {
		name                     string
		call                     func() error
		method, path, query, ctt string
		body                     string // substring the body must contain
	}{
		{"get pod", func() error { _, err := c.Pods("ns1").Get(ctx, "p1"); return err },
			"GET", "/api/v1/namespaces/ns1/pods/p1", "", "", ""},
		{"get node", func() error { _, err := c.Nodes().Get(ctx, "n1"); return err },
			"GET", "/api/v1/nodes/n1", "", "", ""},
		{"get namespace", func() error { _, err := c.Namespaces().Get(ctx, "ns1"); return err },
			"GET", "/api/v1/namespaces/ns1", "", "", ""},
		{"get deployment", func() error { _, err := c.Deployments("ns1").Get(ctx, "d"); return err },
			"GET", "/apis/apps/v1/namespaces/ns1/deployments/d", "", "", ""},
		{"get replicaset", func() error { _, err := c.ReplicaSets("ns1").Get(ctx, "rs"); return err },
			"GET", "/apis/apps/v1/namespaces/ns1/replicasets/rs", "", "", ""},
		{"get lease", func() error { _, err := c.Leases("kube-system").Get(ctx, "l"); return err },
			"GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l", "", "", ""},
		{"get event", func() error { _, err := c.Events("ns1").Get(ctx, "e"); return err },
			"GET", "/api/v1/namespaces/ns1/events/e", "", "", ""},
		{"create uses object namespace", func() error { _, err := c.Pods("").Create(ctx, pod); return err },
			"POST", "/api/v1/namespaces/ns1/pods", "", "application/json", `"name":"p1"`},
		{"create uses client namespace", func() error { _, err := c.Pods("other").Create(ctx, pod); return err },
			"POST", "/api/v1/namespaces/other/pods", "", "application/json", `"resourceVersion":"5"`},
		{"update", func() error { _, err := c.Pods("ns1").Update(ctx, pod); return err },
			"PUT", "/api/v1/namespaces/ns1/pods/p1", "", "application/json", `"resourceVersion":"5"`},
		{"update status", func() error { _, err := c.Pods("ns1").UpdateStatus(ctx, pod); return err },
			"PUT", "/api/v1/namespaces/ns1/pods/p1/status", "", "application/json", `"name":"p1"`},
		{"merge patch", func() error {
			_, err := c.Nodes().Patch(ctx, "n1", MergePatchType, []byte(`{"spec":{"unschedulable":true}}`))
			return err
		}, "PATCH", "/api/v1/nodes/n1", "", "application/merge-patch+json", `unschedulable`},
		{"patch, answer discarded", func() error {
			return c.Pods("ns1").PatchDiscard(ctx, "p1", MergePatchType, []byte(`{"status":{"phase":"Running"}}`), "status")
		}, "PATCH", "/api/v1/namespaces/ns1/pods/p1/status", "", "application/merge-patch+json", `Running`},
		{"json patch of status", func() error {
			_, err := c.Pods("ns1").Patch(ctx, "p1", JSONPatchType, []byte(`[]`), "status")
			return err
		}, "PATCH", "/api/v1/namespaces/ns1/pods/p1/status", "", "application/json-patch+json", `[]`},
		{"delete", func() error {
			return c.Pods("ns1").Delete(ctx, "p1", api.DeleteOptions{GracePeriodSeconds: &one})
		}, "DELETE", "/api/v1/namespaces/ns1/pods/p1", "", "application/json", `"gracePeriodSeconds":0`},
		{"delete collection", func() error {
			return c.Pods("ns1").DeleteCollection(ctx, api.DeleteOptions{}, ListOptions{LabelSelector: "app=web"})
		}, "DELETE", "/api/v1/namespaces/ns1/pods", "labelSelector=app%3Dweb", "application/json", `"kind":"DeleteOptions"`},
		{"bind", func() error {
			return c.Pods("ns1").Bind(ctx, &api.Binding{
				ObjectMeta: api.ObjectMeta{Name: "p1"},
				Target:     api.ObjectReference{Kind: "Node", Name: "n1"},
			})
		}, "POST", "/api/v1/namespaces/ns1/pods/p1/binding", "", "application/json", `"kind":"Binding"`},
		{"get scale", func() error { _, err := c.Deployments("ns1").GetScale(ctx, "d"); return err },
			"GET", "/apis/apps/v1/namespaces/ns1/deployments/d/scale", "", "", ""},
		{"update scale", func() error {
			_, err := c.ReplicaSets("ns1").UpdateScale(ctx, "rs", &api.Scale{Spec: api.ScaleSpec{Replicas: 4}})
			return err
		}, "PUT", "/apis/apps/v1/namespaces/ns1/replicasets/rs/scale", "", "application/json", `"apiVersion":"autoscaling/v1"`},
		{"raw do", func() error { return c.Do(ctx, "GET", "/version?x=1", nil, nil) },
			"GET", "/version", "x=1", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.requests())
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != tc.path || r.Query != tc.query {
				t.Fatalf("got %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, tc.method, tc.path, tc.query)
			}
			if r.ContentType != tc.ctt {
				t.Errorf("Content-Type = %q, want %q", r.ContentType, tc.ctt)
			}
			if !strings.Contains(r.Body, tc.body) {
				t.Errorf("body %s does not contain %s", r.Body, tc.body)
			}
			if r.Auth != "Bearer tok" || r.UserAgent != UserAgent("minik8s") {
				t.Errorf("Authorization %q, User-Agent %q", r.Auth, r.UserAgent)
			}
		})
	}
}

func TestMissingNameOrNamespace(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	c, _ := newTestClient(t, s)
	ctx := context.Background()
	if _, err := c.Pods("").Get(ctx, "p"); err == nil {
		t.Error("Get of a namespaced object without a namespace succeeded")
	}
	if _, err := c.Pods("ns").Get(ctx, ""); err == nil {
		t.Error("Get without a name succeeded")
	}
	if _, err := c.Pods("").Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p"}}); err == nil {
		t.Error("Create of a pod with no namespace succeeded")
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid calls", n)
	}
}

func TestGetDecodes(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"kind":"Deployment","metadata":{"name":"web","namespace":"ns1","resourceVersion":"42"},"spec":{"replicas":3}}`)
	})
	c, _ := newTestClient(t, s)
	d, err := c.Deployments("ns1").Get(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "web" || d.Spec.Replicas == nil || *d.Spec.Replicas != 3 || ResourceVersion(d) != 42 {
		t.Fatalf("decoded %+v", d)
	}
}

func TestListFollowsContinue(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) { testListFollowsContinue(t, shared) })
	}
}

func testListFollowsContinue(t *testing.T, shared bool) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("continue") {
		case "":
			writeJSON(w, 200, `{"kind":"PodList","metadata":{"resourceVersion":"100","continue":"c1"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`)
		case "c1":
			writeJSON(w, 200, `{"kind":"PodList","metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"c"}}]}`)
		}
	})
	c, _ := newTestClient(t, s)
	items, rv, err := c.Pods("").List(context.Background(), ListOptions{LabelSelector: "app=web", FieldSelector: "spec.nodeName=n1", Limit: 2, Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range items {
		names = append(names, p.Name)
	}
	if rv != 100 || strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("rv %d, items %v", rv, names)
	}
	reqs := s.requests()
	if len(reqs) != 2 || reqs[0].Path != "/api/v1/pods" {
		t.Fatalf("requests %+v", reqs)
	}
	q, _ := url.ParseQuery(reqs[1].Query)
	if q.Get("labelSelector") != "app=web" || q.Get("fieldSelector") != "spec.nodeName=n1" || q.Get("limit") != "2" || q.Get("continue") != "c1" {
		t.Fatalf("second page query %q", reqs[1].Query)
	}
}

// TestListReturnsSharedObjects: with Shared, a listed item whose object
// the process keeps already at that version (api.Share) is that object;
// the others are decoded, each on its own.
func TestListReturnsSharedObjects(t *testing.T) {
	kept := api.Share(api.Version{APIVersion: "v1", UID: "u-list-shared", ResourceVersion: "5"},
		&api.Pod{ObjectMeta: api.ObjectMeta{Name: "kept", UID: "u-list-shared", ResourceVersion: "5"}})
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"kind":"PodList","metadata":{"resourceVersion":"9"},"items":[`+
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kept","uid":"u-list-shared","resourceVersion":"5"}},`+
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kept","uid":"u-list-shared","resourceVersion":"6"}},`+
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"other","uid":"u-other","resourceVersion":"5"}}]}`)
	})
	c, _ := newTestClient(t, s)
	for _, shared := range []bool{true, false} {
		items, _, err := c.Pods("").List(context.Background(), ListOptions{Shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 3 || (items[0] == kept) != shared || items[1] == kept || items[1].ResourceVersion != "6" || items[2].Name != "other" {
			t.Errorf("shared=%v: items %+v (kept %p)", shared, items, kept)
		}
	}
	runtime.KeepAlive(kept)
}

func TestErrorMapping(t *testing.T) {
	type pred struct {
		name string
		f    func(error) bool
	}
	all := []pred{
		{"NotFound", IsNotFound}, {"Conflict", IsConflict}, {"AlreadyExists", IsAlreadyExists},
		{"Gone", IsGone}, {"TooManyRequests", IsTooManyRequests}, {"Invalid", IsInvalid},
		{"Unauthorized", IsUnauthorized}, {"Forbidden", IsForbidden},
	}
	tests := []struct {
		name    string
		code    int
		body    string
		want    string // the one predicate that must hold ("" for none)
		message string
	}{
		{"not found", 404, `{"kind":"Status","status":"Failure","reason":"NotFound","code":404,"message":"pods \"x\" not found"}`, "NotFound", `pods "x" not found`},
		{"conflict", 409, `{"kind":"Status","reason":"Conflict","code":409,"message":"changed"}`, "Conflict", "changed"},
		{"already exists is not a conflict", 409, `{"kind":"Status","reason":"AlreadyExists","code":409}`, "AlreadyExists", "AlreadyExists (409)"},
		{"gone", 410, `{"kind":"Status","reason":"Gone","code":410}`, "Gone", ""},
		{"expired is gone", 410, `{"kind":"Status","reason":"Expired","code":410,"message":"too old resource version"}`, "Gone", "too old resource version"},
		{"invalid", 422, `{"kind":"Status","reason":"Invalid","code":422,"details":{"causes":[{"field":"spec"}]}}`, "Invalid", ""},
		{"unauthorized", 401, `{"kind":"Status","reason":"Unauthorized","code":401}`, "Unauthorized", ""},
		{"forbidden", 403, `{"kind":"Status","reason":"Forbidden","code":403}`, "Forbidden", ""},
		{"plain text 404", 404, `404 page not found`, "NotFound", "the server responded with status 404: 404 page not found"},
		{"status without reason uses code", 409, `{"kind":"Status","code":409}`, "Conflict", ""},
		{"unknown reason falls back to code", 404, `{"kind":"Status","reason":"SomethingNew","code":404}`, "NotFound", ""},
		{"internal error", 500, `oops`, "", ""},
		{"bad request", 400, `{"kind":"Status","reason":"BadRequest","code":400}`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.code, tc.body) })
			c, _ := newTestClient(t, s)
			_, err := c.Pods("ns").Get(context.Background(), "x")
			if err == nil {
				t.Fatal("no error")
			}
			wrapped := errors.Join(errors.New("context"), err) // the helpers see through wrapping
			for _, p := range all {
				if got := p.f(wrapped); got != (p.name == tc.want) {
					t.Errorf("Is%s = %v", p.name, got)
				}
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status.Code != int32(tc.code) {
				t.Fatalf("err %v is not a StatusError with code %d", err, tc.code)
			}
			if tc.message != "" && err.Error() != tc.message {
				t.Errorf("message %q, want %q", err.Error(), tc.message)
			}
		})
	}
	if IsNotFound(errors.New("not found")) || IsNotFound(nil) {
		t.Error("IsNotFound holds for a non-Status error")
	}
}

func TestRetryAfterOn429(t *testing.T) {
	var calls atomic.Int32
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, 429, `{"kind":"Status","reason":"TooManyRequests","code":429}`)
			return
		}
		writeJSON(w, 201, `{"metadata":{"name":"p","namespace":"ns"}}`)
	})
	c, waits := newTestClient(t, s)
	// A create is retried too: a 429 means the server did nothing.
	p, err := c.Pods("ns").Create(context.Background(), &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p"}})
	if err != nil || p.Name != "p" {
		t.Fatalf("Create = %v, %v", p, err)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	reqs := s.requests()
	if reqs[2].Body != reqs[0].Body || reqs[2].Body == "" {
		t.Fatalf("retried body %q differs from first %q", reqs[2].Body, reqs[0].Body)
	}
	if len(*waits) != 2 {
		t.Fatalf("waits %v, want 2", *waits)
	}
	for _, d := range *waits {
		if d < 2*time.Second || d > 2400*time.Millisecond {
			t.Fatalf("wait %v, want Retry-After 2s plus at most 20%% jitter", d)
		}
	}
}

func TestRetryAfterGivesUp(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		writeJSON(w, 429, `{"kind":"Status","reason":"TooManyRequests","code":429}`)
	})
	c, waits := newTestClient(t, s)
	c.maxRetries = 4
	_, err := c.Nodes().Get(context.Background(), "n")
	if !IsTooManyRequests(err) {
		t.Fatalf("err = %v, want 429", err)
	}
	if d, ok := RetryAfter(err); !ok || d != 3*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if n := len(s.requests()); n != 5 || len(*waits) != 4 {
		t.Fatalf("%d requests and %d waits, want 5 and 4", n, len(*waits))
	}
}

func TestRetryOnRefusedGET(t *testing.T) {
	// Take a free port, then close it so connections are refused until the
	// "restarted" server comes up on it during the client's first wait.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	c, err := New(Config{Server: "http://" + addr, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"metadata":{"name":"n1"}}`)
	}))
	defer srv.Close()
	c.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 1 {
			nl, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("listen again on %s, free a moment ago: %v", addr, err)
			}
			srv.Listener = nl
			srv.Start()
		}
		return nil
	}

	// A POST is not retried: it may have reached the server.
	if _, err := c.Nodes().Create(context.Background(), &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}}); err == nil || len(waits) != 0 {
		t.Fatalf("POST to a closed port: err %v after %d waits, want an error and no retry", err, len(waits))
	}
	n, err := c.Nodes().Get(context.Background(), "n1")
	if err != nil || n.Name != "n1" {
		t.Fatalf("Get = %v, %v", n, err)
	}
	if len(waits) != 1 || waits[0] < 50*time.Millisecond || waits[0] > 60*time.Millisecond {
		t.Fatalf("waits %v, want one of 50ms plus jitter", waits)
	}
}

func TestRateLimit(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	c, err := New(Config{Server: s.URL, QPS: 20, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 5 {
		if _, err := c.Nodes().Get(context.Background(), "n"); err != nil {
			t.Fatal(err)
		}
	}
	// One token at once, then one every 50 ms: at least 200 ms in all.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 requests at 20 qps with burst 1 took %v", d)
	}
}

func TestFromKubeconfigTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer kc-token" {
			writeJSON(w, 401, `{"kind":"Status","reason":"Unauthorized","code":401}`)
			return
		}
		writeJSON(w, 200, `{"metadata":{"name":"default"}}`)
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := kubeconfig.New(srv.URL, "kc-token", "test")
	kc.Clusters[0].Cluster.CertificateAuthorityData = caPEM
	path := filepath.Join(t.TempDir(), "config")
	if err := kc.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := FromKubeconfig(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := c.Namespaces().Get(context.Background(), "default")
	if err != nil || ns.Name != "default" {
		t.Fatalf("Get through TLS = %v, %v", ns, err)
	}

	// Without the CA the server is not trusted.
	kc.Clusters[0].Cluster.CertificateAuthorityData = nil
	kc.Save(path)
	c, _ = FromKubeconfig(path, 0, 0)
	c.maxRetries = 0
	var tlsErr *tls.CertificateVerificationError
	if _, err := c.Namespaces().Get(context.Background(), "default"); !errors.As(err, &tlsErr) {
		t.Fatalf("untrusted server: err = %v", err)
	}
}

func TestRetryOnConflict(t *testing.T) {
	conflict := &StatusError{Status: api.Status{Reason: api.StatusReasonConflict, Code: 409}}
	other := &StatusError{Status: api.Status{Reason: api.StatusReasonNotFound, Code: 404}}
	b := Backoff{Steps: 4, Duration: time.Millisecond, Factor: 2}
	tests := []struct {
		name      string
		results   []error
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", []error{nil}, 1, nil},
		{"succeeds after conflicts", []error{conflict, conflict, nil}, 3, nil},
		{"other error is not retried", []error{other}, 1, other},
		{"gives up after Steps", []error{conflict, conflict, conflict, conflict, nil}, 4, conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := RetryOnConflict(context.Background(), b, func() error {
				calls++
				return tc.results[calls-1]
			})
			if calls != tc.wantCalls || err != tc.wantErr {
				t.Fatalf("calls %d err %v, want %d %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := RetryOnConflict(ctx, b, func() error { return conflict })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: err = %v", err)
	}
}

func TestBackoffWait(t *testing.T) {
	b := Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 5, Cap: time.Second}
	want := []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 250 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if got := b.wait(i); got != w {
			t.Errorf("wait(%d) = %v, want %v", i, got, w)
		}
	}
}

// A component's client sends its own User-Agent, Kubernetes-style, so that
// the API server names its writes' field manager after the component; the
// client it was derived from keeps its own.
func TestWithUserAgent(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	c, _ := newTestClient(t, s)
	kubelet := c.WithUserAgent(UserAgent("kubelet"))
	ctx := context.Background()
	if err := kubelet.Do(ctx, "GET", "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	want := "kubelet/v1.32.0+minik8s (" + runtime.GOOS + "/" + runtime.GOARCH + ") kubernetes/minik8s"
	if reqs[0].UserAgent != want {
		t.Errorf("User-Agent %q, want %q", reqs[0].UserAgent, want)
	}
	if got := reqs[1].UserAgent; !strings.HasPrefix(got, "minik8s/v1.32.0+minik8s (") {
		t.Errorf("the original client's User-Agent %q, want minik8s/v1.32.0+minik8s (...", got)
	}
}

// TestIsWatch: the socket transport gives a watch a connection of its own
// only when the query asks for one; allowWatchBookmarks is not a watch.
func TestIsWatch(t *testing.T) {
	for q, want := range map[string]bool{
		"watch=true":                          true,
		"allowWatchBookmarks=true&watch=1":    true,
		"limit=500&allowWatchBookmarks=true":  false,
		"watch=false":                         false,
		"":                                    false,
		"fieldSelector=spec.nodeName%3Dwatch": false,
	} {
		if got := isWatch(q); got != want {
			t.Errorf("isWatch(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestAttemptTimeoutStartsWithTheConnection: a request queued behind a
// capped transport's busy connection is not timed out for waiting (it was
// never sent), while one the server does not answer is.
func TestAttemptTimeoutStartsWithTheConnection(t *testing.T) {
	release, hang := make(chan struct{}), make(chan struct{})
	defer close(hang)
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/nodes/busy":
			<-release
		case "/api/v1/nodes/hang":
			<-hang
		}
		writeJSON(w, 200, `{"metadata":{"name":"n"}}`)
	})
	tr := newTransport()
	tr.MaxConnsPerHost = 1
	client := func(timeout time.Duration) *Client {
		c, err := New(Config{Server: s.URL, QPS: -1, Timeout: timeout, HTTPClient: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const timeout = 200 * time.Millisecond
	patient, c := client(time.Minute), client(timeout)

	busy := make(chan error, 1)
	go func() { _, err := patient.Nodes().Get(t.Context(), "busy"); busy <- err }()
	for len(s.requests()) == 0 {
		time.Sleep(time.Millisecond) // busy holds the one connection
	}
	queued := make(chan error, 1)
	go func() { _, err := c.Nodes().Get(t.Context(), "queued"); queued <- err }()
	time.Sleep(3 * timeout)
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	if err := <-queued; err != nil {
		t.Fatalf("queued request: %v, want it sent once the connection was free", err)
	}

	if _, err := c.Nodes().Get(t.Context(), "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unanswered request: err = %v, want a timeout", err)
	}
}
