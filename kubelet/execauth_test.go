package kubelet_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/pki"
)

// The streaming endpoints, like the logs, serve the API server only; on
// the simulated runtime kubectl exec gets a 400 saying it has no
// processes; once the node agent is gone, a 503 saying the backend cannot
// be dialed.
func TestExecEndpoints(t *testing.T) {
	t.Parallel()
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

// streamRBAC binds the user viewer to the ClusterRole view in default
// (which has pods/log but none of pods/exec, pods/attach,
// pods/portforward) and the user editor to edit (which has them all).
const streamRBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer-view, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: editor-edit, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: editor}]
`

// The API server authorises a stream with its caller's identity, before
// the node agent is asked: a user bound to view reads the pod's logs but
// gets Kubernetes' 403 Status for exec, attach and port-forward, with the
// real kubectl (its own token, or the admin's --as) and on the wire; a
// user bound to edit gets through to the runtime (here the simulated
// one's "no processes").
func TestStreamsAuthorisedAsTheCaller(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	h.run(h.pod("web", behaviour{print: []string{"hello"}, exit: -1}))
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	if out, err := h.s.Kubectl(t, streamRBAC, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	token := func(user string) string {
		tok, err := authn.EnsureUser(filepath.Join(h.s.DataDir, "tokens.csv"), user, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	viewer := []string{"--token", token("viewer")}
	editor := []string{"--token", token("editor")}
	forbidden := func(verb, sub string) string {
		return `pods "web" is forbidden: User "viewer" cannot ` + verb + ` resource "pods/` + sub +
			`" in API group "" in the namespace "default"`
	}

	for _, as := range [][]string{viewer, {"--as", "viewer"}} {
		if out, err := h.s.Kubectl(t, "", append(as, "logs", "web")...); err != nil || out != "hello\n" {
			t.Errorf("kubectl %v logs web (view has pods/log): %q, %v", as, out, err)
		}
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"exec", "web", "--", "true"}, forbidden("create", "exec")},
			{[]string{"attach", "web"}, forbidden("create", "attach")},
			{[]string{"port-forward", "pod/web", "0:8080"}, forbidden("create", "portforward")},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			out, err := h.s.KubectlContext(ctx, t, "", append(as, c.args...)...)
			cancel()
			if err == nil || !strings.Contains(out, c.want) {
				t.Errorf("kubectl %v %v: %v\n%s\nwant %s", as, c.args, err, out, c.want)
			}
		}
	}
	// The editor may: the request reaches the runtime.
	if out, err := h.s.Kubectl(t, "", append(editor, "exec", "web", "--", "true")...); err == nil ||
		!strings.Contains(out, "simulated runtime, which has no processes") {
		t.Errorf("kubectl exec as editor: %q, %v", out, err)
	}

	// On the wire: GET (the WebSocket's method) and POST (SPDY's) are
	// both authorised as create (reqinfo), each a 403 Status before any
	// upgrade.
	for _, c := range []struct{ method, sub, query string }{
		{"POST", "exec", "?command=true&stdout=1"},
		{"GET", "exec", "?command=true&stdout=1"},
		{"POST", "attach", "?stdout=1"},
		{"GET", "attach", "?stdout=1"},
		{"POST", "portforward", "?ports=8080"},
		{"GET", "portforward", "?ports=8080"},
	} {
		r := h.s.Do(t, c.method, "/api/v1/namespaces/default/pods/web/"+c.sub+c.query, nil, "Authorization", "Bearer "+token("viewer"))
		var st api.Status
		r.JSON(t, &st)
		if r.Code != http.StatusForbidden || st.Kind != "Status" || st.Status != "Failure" || st.Reason != "Forbidden" ||
			st.Code != http.StatusForbidden || st.Message != forbidden("create", c.sub) ||
			st.Details == nil || st.Details.Name != "web" || st.Details.Kind != "pods" {
			t.Errorf("%s pods/web/%s as viewer: %d %s", c.method, c.sub, r.Code, r.Body)
		}
	}
}
