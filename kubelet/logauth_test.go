package kubelet_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/pki"
)

// The log server is HTTPS and gives logs to the API server only (its
// client certificate from the cluster CA): not to a plain HTTP client, a
// client without a certificate, with another user's, or with one from
// another CA. kubectl logs, through the API server, works.
func TestLogServerServesOnlyTheAPIServer(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	h.run(h.pod("web", behaviour{print: []string{"hello"}, exit: -1}))
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	if out := h.kubectl("logs", "web"); out != "hello\n" {
		t.Fatalf("kubectl logs web = %q", out)
	}
	ca, err := pki.LoadCA(h.s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	other := testenv.StartAPIServer(t, testenv.Options{})
	otherCA, err := pki.LoadCA(other.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	cert := func(ca *pki.CA, cn string, groups ...string) []tls.Certificate {
		c, err := ca.ClientCert(cn, groups...)
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{c}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", h.k.Port())
	logs := "/containerLogs/default/web/app"
	tests := []struct {
		name, scheme, path string
		certs              []tls.Certificate
		want               int // 0: the request fails
	}{
		{"plain HTTP", "http", logs, nil, http.StatusBadRequest},
		{"no certificate", "https", logs, nil, http.StatusUnauthorized},
		{"admin's certificate", "https", logs, cert(ca, "admin", "system:masters"), http.StatusForbidden},
		{"another CA's certificate", "https", logs, cert(otherCA, pki.KubeletClientCN), 0},
		{"the API server's certificate", "https", logs, cert(ca, pki.KubeletClientCN), http.StatusOK},
		{"healthz, anyone", "https", "/healthz", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: tt.certs}}}
			resp, err := c.Get(tt.scheme + "://" + addr + tt.path)
			if tt.want == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %d, want the handshake to fail", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.want)
			}
			if tt.path == logs && tt.want == http.StatusOK && string(b) != "hello\n" {
				t.Errorf("logs = %q", b)
			}
		})
	}
}
