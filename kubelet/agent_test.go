package kubelet_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/kubelet"
	"github.com/minik8s/minik8s/pki"
)

// TestNodeAgentControls: the node agent controls answer admins only; a
// stopped agent leaves a deleted pod Terminating (nobody confirms it) and,
// started again, removes it; freeze and unfreeze say so; unknown nodes and
// actions are 404.
func TestNodeAgentControls(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	tokenFile := filepath.Join(h.s.DataDir, "tokens.csv")
	bob, err := authn.EnsureUser(tokenFile, "bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.adminTokens, err = authn.Load(tokenFile); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.run(h.pod("web", behaviour{exit: -1}))
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })

	ca, err := pki.LoadCA(h.s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	call := func(method, path, token string) (int, kubelet.AgentStatus) {
		t.Helper()
		req, _ := http.NewRequest(method, fmt.Sprintf("https://127.0.0.1:%d%s", h.k.Port(), path), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st kubelet.AgentStatus
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return resp.StatusCode, st
	}
	for _, tc := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", "/nodeagents", "", http.StatusUnauthorized},
		{"not an admin", "POST", "/nodeagents/sim-node/stop", bob, http.StatusForbidden},
		{"unknown node", "POST", "/nodeagents/nope/stop", h.s.Token, http.StatusNotFound},
		{"unknown action", "POST", "/nodeagents/sim-node/explode", h.s.Token, http.StatusNotFound},
		{"admin", "GET", "/nodeagents", h.s.Token, http.StatusOK},
	} {
		if code, _ := call(tc.method, tc.path, tc.token); code != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, code, tc.want)
		}
	}

	if code, st := call("POST", "/nodeagents/sim-node/stop", h.s.Token); code != http.StatusOK || !st.Stopped {
		t.Fatalf("stop: %d %+v", code, st)
	}
	if err := h.c.Pods("default").Delete(t.Context(), "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A running agent stops a simulated container at once; a stopped one
	// leaves the pod Terminating (only its absence can be checked: a
	// slow machine makes this pass, never fail).
	time.Sleep(1500 * time.Millisecond)
	if p, err := h.c.Pods("default").Get(t.Context(), "web"); err != nil || p.DeletionTimestamp == nil {
		t.Fatalf("with the agent stopped, web is %v (err %v), want Terminating", p, err)
	}
	if code, st := call("POST", "/nodeagents/sim-node/start", h.s.Token); code != http.StatusOK || st.Stopped {
		t.Fatalf("start: %d %+v", code, st)
	}
	h.waitGone("web", waitTimeout)

	if code, st := call("POST", "/nodeagents/sim-node/freeze", h.s.Token); code != http.StatusOK || !st.Frozen {
		t.Fatalf("freeze: %d %+v", code, st)
	}
	if code, st := call("POST", "/nodeagents/sim-node/unfreeze", h.s.Token); code != http.StatusOK || st.Frozen {
		t.Fatalf("unfreeze: %d %+v", code, st)
	}
}
