package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/audit"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
)

// Each component sends a User-Agent of its own, as Kubernetes' do, so a
// pod's managedFields name the component that wrote each part (the
// controller manager created it, the kubelet wrote its status through
// the status subresource) and the audit log says who sent each request.
// Binding writes no managedFields, in Kubernetes as here: the pods/binding
// storage updates the pod without the field manager, so kube-scheduler
// shows only in the audit log. The audit log also shows that each
// component authenticates as its own least-privilege identity, as
// `minik8s all` runs them (same constructors, same data dir), not as the
// admin: system:kube-controller-manager, system:kube-scheduler and
// system:node:<the pod's node>.
func TestComponentsNameTheirWrites(t *testing.T) {
	auditLog := filepath.Join(t.TempDir(), "audit.log")
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(cfg *app.Config) { cfg.APIServer.Audit.Path = auditLog }})
	cfg := fastElection(t, s.DataDir)
	runCluster(t, cfg, 1, 1)
	bg := context.Background()

	if out, err := s.Kubectl(t, "", "create", "deployment", "named", "--image=nginx"); err != nil {
		t.Fatalf("create deployment: %v %s", err, out)
	}
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ Manager, Operation, Subresource string }
	var pod, node string
	var entries []entry
	eventually(t, 30*time.Second, "a Running pod with a status write", func() bool {
		pods, _, err := c.Pods("default").List(bg, client.ListOptions{LabelSelector: "app=named"})
		if err != nil || len(pods) != 1 || pods[0].Status.Phase != "Running" {
			return false
		}
		pod, node, entries = pods[0].Name, pods[0].Spec.NodeName, nil
		for _, raw := range pods[0].ManagedFields {
			var e entry
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			entries = append(entries, e)
		}
		for _, e := range entries {
			if e.Subresource == "status" {
				return true
			}
		}
		return false
	})
	want := map[entry]bool{
		{Manager: "kube-controller-manager", Operation: "Update"}:        false,
		{Manager: "kubelet", Operation: "Update", Subresource: "status"}: false,
	}
	for _, e := range entries {
		if _, ok := want[e]; !ok {
			t.Errorf("pod %s: unexpected managedFields entry %+v", pod, e)
		}
		want[e] = true
	}
	for e, seen := range want {
		if !seen {
			t.Errorf("pod %s: no managedFields entry %+v; have %+v", pod, e, entries)
		}
	}

	// The audit log names each component by its whole User-Agent. It is
	// written in the background: read it until it has all three writes.
	agents := map[string]auditWriter{} // "verb resource[/subresource]" → who
	statusWrite := func() string {
		for k := range agents {
			if strings.HasSuffix(k, " pods/status") {
				return k
			}
		}
		return ""
	}
	eventually(t, 10*time.Second, "the audit log to hold the pod's create, binding and status writes", func() bool {
		agents = readAuditAgents(t, auditLog)
		return agents["create pods"].agent != "" && agents["create pods/binding"].agent != "" && statusWrite() != ""
	})
	for k, want := range map[string]auditWriter{
		"create pods":         {client.UserAgent("kube-controller-manager"), authn.ControllerManagerUser},
		"create pods/binding": {client.UserAgent("kube-scheduler"), authn.SchedulerUser},
		statusWrite():         {client.UserAgent("kubelet"), authn.NodeUser(node)},
	} {
		if got := agents[k]; got != want {
			t.Errorf("audit: %s by %+v, want %+v", k, got, want)
		}
	}
}

// auditWriter is who sent a request, as the audit log says.
type auditWriter struct{ agent, user string }

// readAuditAgents returns the User-Agent and user of the last audit event
// of each kind of request on pods of namespace default, keyed by "verb
// resource[/subresource]".
func readAuditAgents(t *testing.T, path string) map[string]auditWriter {
	t.Helper()
	agents := map[string]auditWriter{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return agents
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var ev audit.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return agents // a line still being written
		}
		if ev.ObjectRef == nil || ev.ObjectRef.Resource != "pods" || ev.ObjectRef.Namespace != "default" {
			continue
		}
		k := ev.Verb + " " + ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			k += "/" + ev.ObjectRef.Subresource
		}
		agents[k] = auditWriter{ev.UserAgent, ev.User.Username}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return agents
}
