package audit

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

func TestPolicyLevels(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  users: [system:kube-scheduler]
- level: RequestResponse
  resources: [{group: "", resources: ["pods/log", "*/status"]}]
  omitStages: [RequestReceived]
- level: Request
  userGroups: [students]
  namespaces: [team]
- level: Metadata
  resources: [{group: apps, resources: [deployments], resourceNames: [web]}]
- level: Metadata
  nonResourceURLs: ["/healthz*"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    Attributes
		want Level
	}{
		{"scheduler", Attributes{User: "system:kube-scheduler", IsResource: true, Resource: "pods/log"}, LevelNone},
		{"pod log", Attributes{User: "u", IsResource: true, Resource: "pods/log"}, LevelRequestResponse},
		{"any status", Attributes{User: "u", IsResource: true, Group: "", Resource: "nodes/status"}, LevelRequestResponse},
		{"pods themselves", Attributes{User: "u", IsResource: true, Resource: "pods"}, LevelNone},
		{"student in team", Attributes{User: "s", Groups: []string{"students"}, IsResource: true, Namespace: "team", Resource: "pods"}, LevelRequest},
		{"student elsewhere", Attributes{User: "s", Groups: []string{"students"}, IsResource: true, Namespace: "x", Resource: "pods"}, LevelNone},
		{"named deployment", Attributes{IsResource: true, Group: "apps", Resource: "deployments", Name: "web"}, LevelMetadata},
		{"other deployment", Attributes{IsResource: true, Group: "apps", Resource: "deployments", Name: "db"}, LevelNone},
		{"healthz prefix", Attributes{Path: "/healthz/ping"}, LevelMetadata},
		{"version", Attributes{Path: "/version"}, LevelNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := p.LevelFor(tc.a); got != tc.want {
				t.Fatalf("level %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{
		"apiVersion: v1\nkind: Policy\nrules: []\n",
		"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n",
		"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  user: [x]\n",
		"apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Panic]\nrules:\n- level: None\n",
	} {
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPolicy(file); err == nil {
			t.Errorf("policy %q accepted", bad)
		}
	}
}

// TestNeverBlocks: with the writer stalled and the buffer full, requests
// still complete, and each event that did not fit is counted as dropped.
func TestNeverBlocks(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, err := New(Config{Path: filepath.Join(t.TempDir(), "a.log"), BufferSize: 2}, reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	// Run is not started: nothing drains the buffer.
	e := echo.New()
	e.Use(reqinfo.Middleware(), l.Middleware())
	e.GET("/*", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	for range 5 {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("code %d", rec.Code)
		}
	}
	// 5 requests × 2 stages = 10 events, 2 buffered.
	if got := testutil.ToFloat64(l.dropped); got != 8 {
		t.Fatalf("dropped %v, want 8", got)
	}
}
