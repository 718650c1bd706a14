package kubelet_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
)

// proxyGet sends method to path on the API server with the admin token
// (and header pairs), without following redirects.
func proxyGet(t *testing.T, s *testenv.APIServer, method, path string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := *s.HTTP
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// The proxy subresources on the simulated runtime: a pod there has no
// network, so pods/proxy is a 503 saying so at once; nodes/proxy reaches
// the kubelet; bad names, a missing pod, a Service without endpoints or
// port, and a caller without the RBAC rule get their Status;
// system:kubelet-api-admin lets its holder through nodes/proxy.
func TestProxySimulated(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	h.run(h.pod("web", behaviour{exit: -1}))
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	h.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")
	h.kubectl("create", "clusterrolebinding", "bob-kubelet", "--clusterrole=system:kubelet-api-admin", "--user=bob")
	const base = "/api/v1/namespaces/default/"
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
		header       []string
	}{
		{"GET", base + "pods/web:8080/proxy/", 503, "simulated runtime", nil},
		{"POST", base + "pods/https:web:8443/proxy/x", 503, "error trying to reach service", nil},
		{"GET", base + "pods/web/proxy", 301, "", nil},
		{"GET", base + "pods/a:b:c:d/proxy/", 400, `invalid pod request \"a:b:c:d\"`, nil},
		{"GET", base + "pods/ftp:web:80/proxy/", 400, "invalid pod request", nil},
		{"GET", base + "pods/missing:80/proxy/", 404, `pods \"missing\" not found`, nil},
		{"GET", base + "services/web:81/proxy/", 503, `no service port 81 found for service \"web\"`, nil},
		{"GET", base + "services/web:80/proxy/", 503, `no endpoints available for service \"web\"`, nil},
		{"GET", base + "services/nope/proxy/", 503, `no endpoints available for service \"nope\"`, nil},
		{"GET", "/api/v1/nodes/sim-node/proxy/healthz", 200, "ok", nil},
		{"GET", "/api/v1/nodes/sim-node:1/proxy/", 503, "error trying to reach service", nil},
		{"GET", "/api/v1/nodes/nope/proxy/healthz", 404, `nodes \"nope\" not found`, nil},
		{"GET", base + "pods/web:8080/proxy/", 403,
			`pods \"web:8080\" is forbidden: User \"alice\" cannot get resource \"pods/proxy\"`, []string{"Impersonate-User", "alice"}},
		{"GET", "/api/v1/nodes/sim-node/proxy/healthz", 403,
			`nodes \"sim-node\" is forbidden: User \"alice\" cannot get resource \"nodes/proxy\"`, []string{"Impersonate-User", "alice"}},
		{"GET", "/api/v1/nodes/sim-node/proxy/healthz", 200, "ok", []string{"Impersonate-User", "bob"}},
		{"GET", base + "pods/web/log/extra", 404, "the server could not find the requested resource", nil},
	} {
		code, hdr, body := proxyGet(t, h.s, tc.method, tc.path, tc.header...)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
		if code == 301 && hdr.Get("Location") != base+"pods/web/proxy/" {
			t.Errorf("redirect of %s to %q", tc.path, hdr.Get("Location"))
		}
	}
	// kubectl get --raw goes through the same path.
	out, err := h.s.Kubectl(t, "", "get", "--raw", "/api/v1/nodes/sim-node/proxy/healthz")
	if err != nil || out != "ok" {
		t.Errorf("kubectl get --raw nodes/proxy/healthz: %q, %v", out, err)
	}
}
