package apiserver_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestAuditLog: with --audit-log and a policy, requests are logged as
// audit.k8s.io/v1 events at the level the first matching rule gives, with
// the stages, bodies and statuses Kubernetes puts in them.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "audit.log")
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: "", resources: [events]}]
- level: RequestResponse
  resources: [{group: "", resources: [configmaps]}]
- level: Request
  verbs: [create]
- level: Metadata
  nonResourceURLs: [/version]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Audit.Path, c.APIServer.Audit.PolicyFile = logFile, policy
	}})
	s.Do(t, "POST", "/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"cm"},"data":{"k":"v"}}`)
	s.Do(t, "POST", "/api/v1/namespaces/default/secrets", `{"metadata":{"name":"sec"},"stringData":{"k":"v"}}`)
	s.Do(t, "POST", "/api/v1/namespaces/default/events", `{"metadata":{"name":"e"},"involvedObject":{"name":"x"}}`)
	s.Do(t, "GET", "/api/v1/namespaces/default/configmaps/missing", nil)
	s.Do(t, "GET", "/version", nil)
	s.Do(t, "GET", "/api/v1/namespaces/default/pods", nil) // no rule: None

	type event struct {
		Kind, APIVersion, Level, AuditID, Stage, RequestURI, Verb string
		User                                                      struct{ Username string }
		ObjectRef                                                 *struct{ Resource, Namespace, Name string }
		ResponseStatus                                            struct {
			Code   int
			Reason string
		}
		RequestObject, ResponseObject map[string]any
	}
	var events []event
	deadline := time.Now().Add(10 * time.Second)
	for len(events) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		f, err := os.Open(logFile)
		if err != nil {
			t.Fatal(err)
		}
		events = events[:0]
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			events = append(events, e)
		}
		f.Close()
	}
	byURI := map[string]event{}
	for _, e := range events {
		if e.Kind != "Event" || e.APIVersion != "audit.k8s.io/v1" || e.AuditID == "" || e.Stage != "ResponseComplete" || e.User.Username != "admin" {
			t.Errorf("event %+v", e)
		}
		byURI[e.Verb+" "+e.RequestURI] = e
	}
	if len(events) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(events), events)
	}
	cm := byURI["create /api/v1/namespaces/default/configmaps"]
	if cm.Level != "RequestResponse" || cm.ResponseStatus.Code != 201 || cm.RequestObject["data"] == nil ||
		cm.ResponseObject["metadata"].(map[string]any)["uid"] == nil || cm.ObjectRef == nil || cm.ObjectRef.Resource != "configmaps" {
		t.Errorf("configmap create %+v", cm)
	}
	sec := byURI["create /api/v1/namespaces/default/secrets"]
	if sec.Level != "Request" || sec.RequestObject == nil || sec.ResponseObject != nil {
		t.Errorf("secret create %+v", sec)
	}
	miss := byURI["get /api/v1/namespaces/default/configmaps/missing"]
	if miss.ResponseStatus.Code != 404 || miss.ResponseStatus.Reason != "NotFound" || miss.ObjectRef.Name != "missing" {
		t.Errorf("missing configmap %+v", miss)
	}
	if v := byURI["get /version"]; v.Level != "Metadata" || v.ObjectRef != nil || v.RequestObject != nil {
		t.Errorf("version %+v", v)
	}
	for uri := range byURI {
		if strings.Contains(uri, "events") || strings.Contains(uri, "/pods") {
			t.Errorf("%s logged against the policy", uri)
		}
	}
	st, err := os.Stat(logFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v %v, want 0600", st, err)
	}
}
