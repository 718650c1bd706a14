package kubelet_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/pki"
)

// The streaming endpoints, like the logs, serve the API server only; on
// the simulated runtime kubectl exec gets a 400 saying it has no
// processes; once the node agent is gone, a 503 saying the backend cannot
// be dialed.
func TestExecEndpoints(t *testing.T) {
	h, _ := newSimHarness(t)
	h.start()
	h.run(h.pod("web", behaviour{print: []string{"hello"}, exit: -1}))
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	ca, err := pki.LoadCA(h.s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ca.ClientCert("admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", h.k.Port())
	for _, path := range []string{"/exec/default/web/app?command=sh&stdout=1", "/attach/default/web/app?stdout=1", "/portForward/default/web"} {
		for _, certs := range [][]tls.Certificate{nil, {admin}} {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}}}
			resp, err := c.Post("https://"+addr+path, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusForbidden}[certs == nil]; resp.StatusCode != want {
				t.Errorf("POST %s with %d certificates: %d, want %d", path, len(certs), resp.StatusCode, want)
			}
		}
	}

	out, err := h.s.Kubectl(t, "", "exec", "web", "--", "true")
	if err == nil || !strings.Contains(out+err.Error(), "simulated runtime, which has no processes") {
		t.Errorf("kubectl exec on the simulated runtime: %q, %v", out, err)
	}
	h.stop()
	out, err = h.s.Kubectl(t, "", "exec", "web", "--", "true")
	if err == nil || !strings.Contains(out+err.Error(), "error dialing backend") {
		t.Errorf("kubectl exec with the node agent gone: %q, %v", out, err)
	}
}
