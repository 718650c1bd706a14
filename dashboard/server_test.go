package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/dashboard"
	"github.com/minik8s/minik8s/kubeconfig"
)

// start serves a dashboard whose API server is api.
func start(t *testing.T, api http.Handler) *dashboard.Server {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kubeconfig.Write(kc, srv.URL, "admin-token", "t"); err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(dashboard.DefaultConfig(), dashboard.Deps{Kubeconfig: kc}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return d
}

func get(t *testing.T, c *http.Client, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProtection(t *testing.T) {
	var sawAuth, sawCookie string
	d := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth, sawCookie = r.Header.Get("Authorization"), r.Header.Get("Cookie")
		io.WriteString(w, `{"kind":"NodeList","path":"`+r.URL.Path+`"}`)
	}))
	login := d.LoginURL()
	base := login[:strings.Index(login, "/login")]
	u, _ := url.Parse(base)
	port := u.Port()

	stranger := &http.Client{}
	if code, _ := get(t, stranger, base+"/", nil); code != http.StatusUnauthorized {
		t.Fatalf("no cookie: got %d, want 401", code)
	}
	if code, _ := get(t, stranger, base+"/login?secret=wrong", nil); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: got %d, want 401", code)
	}

	jar, _ := cookiejar.New(nil)
	user := &http.Client{Jar: jar}
	if code, body := get(t, user, login, nil); code != http.StatusOK || !strings.Contains(body, "<title>minik8s dashboard</title>") {
		t.Fatalf("login: got %d %q, want the page", code, body)
	}
	jar2, _ := cookiejar.New(nil)
	if code, _ := get(t, &http.Client{Jar: jar2}, login, nil); code != http.StatusUnauthorized {
		t.Fatalf("second use of the login URL: got %d, want 401", code)
	}

	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"own address", nil, http.StatusOK},
		// A browser keeps the cookie of 127.0.0.1 from localhost: the
		// host passes, the session does not.
		{"localhost", map[string]string{"Host": "localhost:" + port}, http.StatusUnauthorized},
		{"rebinding host", map[string]string{"Host": "evil.example:" + port}, http.StatusMisdirectedRequest},
		{"other port", map[string]string{"Host": "127.0.0.1:1"}, http.StatusMisdirectedRequest},
		{"other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"other local port", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": base}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := get(t, user, base+"/k8s/api/v1/nodes", tc.hdr); code != tc.want {
				t.Fatalf("got %d %q, want %d", code, body, tc.want)
			}
		})
	}

	code, body := get(t, user, base+"/k8s/api/v1/nodes", nil)
	if code != http.StatusOK || !strings.Contains(body, `"path":"/api/v1/nodes"`) {
		t.Fatalf("proxy: got %d %q", code, body)
	}
	if sawAuth != "Bearer admin-token" || sawCookie != "" {
		t.Fatalf("API server saw Authorization %q, Cookie %q: want the dashboard's token and no cookie", sawAuth, sawCookie)
	}
}

func TestReplicaProxy(t *testing.T) {
	var saw, auth string
	rep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw, auth = r.Method+" "+r.URL.Path, r.Header.Get("Authorization")
		io.WriteString(w, "[]")
	}))
	t.Cleanup(rep.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kubeconfig.Write(kc, rep.URL, "admin-token", "t"); err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(dashboard.DefaultConfig(), dashboard.Deps{Kubeconfig: kc, Replicas: map[string]string{"scheduler": rep.URL}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	jar, _ := cookiejar.New(nil)
	user := &http.Client{Jar: jar}
	login := d.LoginURL()
	base := login[:strings.Index(login, "/login")]
	get(t, user, login, nil)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/replicas/scheduler", "GET /replicas"},
		{"POST", "/replicas/scheduler/1/stop", "POST /replicas/1/stop"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := user.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || saw != tc.want || auth != "Bearer admin-token" {
			t.Fatalf("%s %s: got %d, replica saw %q with %q; want %q with the admin token", tc.method, tc.path, resp.StatusCode, saw, auth, tc.want)
		}
	}
	if code, _ := get(t, user, base+"/replicas/nope", nil); code != http.StatusNotFound {
		t.Fatalf("unknown role: got %d, want 404", code)
	}
}
