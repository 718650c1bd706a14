package apiserver_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// TestKubectl drives the API server with the real kubectl, unchanged.
func TestKubectl(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "the real kubectl, many commands")
	s := testenv.StartAPIServer(t, testenv.Options{})
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, stdin, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	out := kubectl("", "get", "ns")
	for _, ns := range []string{"default", "kube-system", "kube-node-lease"} {
		if !strings.Contains(out, ns) {
			t.Fatalf("get ns lacks %s:\n%s", ns, out)
		}
	}

	pod := `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
`
	file := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(file, []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	if out = kubectl("", "apply", "-f", file); !strings.Contains(out, "pod/web created") {
		t.Fatalf("apply: %s", out)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(pod, "app: web", "app: web2", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out = kubectl("", "apply", "-f", file); !strings.Contains(out, "pod/web configured") {
		t.Fatalf("apply changed: %s", out)
	}
	out = kubectl("", "get", "pods")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "READY") || !strings.Contains(out, "STATUS") ||
		!strings.Contains(out, "RESTARTS") || !strings.Contains(out, "AGE") || !strings.Contains(out, "Pending") {
		t.Fatalf("get pods columns:\n%s", out)
	}
	if out = kubectl("", "get", "pods", "-o", "wide"); !strings.Contains(out, "IP") || !strings.Contains(out, "NODE") {
		t.Fatalf("get pods -o wide:\n%s", out)
	}
	if out = kubectl("", "get", "pod", "web", "-o", "yaml"); !strings.Contains(out, "app: web2") || !strings.Contains(out, "resourceVersion:") {
		t.Fatalf("get -o yaml:\n%s", out)
	}
	if out, err := s.Kubectl(t, "", "run", "bad_name", "--image=x"); err == nil || !strings.Contains(out, "is invalid") {
		t.Fatalf("run bad_name: err=%v out=%s", err, out)
	}
	if out = kubectl("", "explain", "pod.spec.containers"); !strings.Contains(out, "FIELDS:") || !strings.Contains(out, "image") {
		t.Fatalf("explain:\n%s", out)
	}

	// Watch with event types while the pod is deleted and created again.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var watch syncbuf.Buffer
	watched := make(chan error, 1)
	go func() {
		watched <- s.KubectlTo(ctx, t, &watch, "get", "pods", "-w", "--output-watch-events", "--request-timeout=6s")
	}()
	// The watch lists what exists first: web, as ADDED.
	for !regexp.MustCompile(`(?m)^ADDED\s+web\s`).MatchString(watch.String()) {
		if ctx.Err() != nil {
			t.Fatalf("no initial ADDED of web in the watch:\n%s", watch.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out = kubectl("", "delete", "pod", "web", "--wait"); !strings.Contains(out, `pod "web" deleted`) {
		t.Fatalf("delete: %s", out)
	}
	if out, err := s.Kubectl(t, "", "get", "pod", "web"); err == nil || !strings.Contains(out, "NotFound") {
		t.Fatalf("pod still there after delete --wait: %s", out)
	}
	kubectl("", "apply", "-f", file)
	<-watched
	for _, want := range []string{`(?m)^ADDED\s+web\s`, `(?m)^DELETED\s+web\s`} {
		if !regexp.MustCompile(want).MatchString(watch.String()) {
			t.Fatalf("watch output lacks %s:\n%s", want, watch.String())
		}
	}
}

// TestKubectlUnknownFields checks how the real kubectl shows what the
// server does with unknown fields: its default (Strict) refuses them,
// --validate=warn and a patch (the server's default, Warn) print Kubernetes'
// warning and drop them, --validate=false drops them silently.
func TestKubectlUnknownFields(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nbogusTop: 1\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n  - name: c\n    image: x\n    bogusC: true\n"
	}
	out, err := s.Kubectl(t, pod("strict"), "create", "-f", "-")
	if err == nil || !strings.Contains(out, `strict decoding error: unknown field "bogusTop", unknown field "spec.containers[0].bogusC"`) {
		t.Fatalf("create (strict): err=%v\n%s", err, out)
	}
	out, err = s.Kubectl(t, pod("warn"), "create", "--validate=warn", "-f", "-")
	if err != nil || !strings.Contains(out, `Warning: unknown field "bogusTop"`) ||
		!strings.Contains(out, `Warning: unknown field "spec.containers[0].bogusC"`) || !strings.Contains(out, "pod/warn created") {
		t.Fatalf("create --validate=warn: err=%v\n%s", err, out)
	}
	out, err = s.Kubectl(t, pod("ignore"), "create", "--validate=false", "-f", "-")
	if err != nil || strings.Contains(out, "Warning") || !strings.Contains(out, "pod/ignore created") {
		t.Fatalf("create --validate=false: err=%v\n%s", err, out)
	}
	out, err = s.Kubectl(t, "", "patch", "pod", "warn", "--type=merge", "-p", `{"bogusPatch":1,"metadata":{"labels":{"a":"b"}}}`)
	if err != nil || !strings.Contains(out, `Warning: unknown field "bogusPatch"`) || !strings.Contains(out, "pod/warn patched") {
		t.Fatalf("patch: err=%v\n%s", err, out)
	}
	if out, err = s.Kubectl(t, "", "get", "pods", "-o", "json"); err != nil || strings.Contains(out, "bogus") {
		t.Fatalf("unknown fields stored: err=%v\n%s", err, out)
	}
}

// TestKubectlFieldSelectors runs the field selectors kubectl drain and
// test tools use: a field an object lacks matches its zero value.
func TestKubectlFieldSelectors(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	manifests := "apiVersion: v1\nkind: Node\nmetadata:\n  name: free\n---\n" +
		"apiVersion: v1\nkind: Node\nmetadata:\n  name: cordoned\nspec:\n  unschedulable: true\n---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: on-free\nspec:\n  nodeName: free\n  containers:\n  - name: c\n    image: x\n---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: unbound\nspec:\n  containers:\n  - name: c\n    image: x\n"
	if out, err := s.Kubectl(t, manifests, "create", "-f", "-"); err != nil {
		t.Fatal(out)
	}
	for _, tt := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"get", "nodes", "--field-selector", "spec.unschedulable=false", "-o", "name"}, "node/free", "cordoned"},
		{[]string{"get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name"}, "node/cordoned", "free"},
		{[]string{"get", "pods", "--field-selector", "spec.nodeName=free", "-o", "name"}, "pod/on-free", "unbound"},
		{[]string{"get", "pods", "--field-selector", "spec.nodeName=", "-o", "name"}, "pod/unbound", "on-free"},
	} {
		out, err := s.Kubectl(t, "", tt.args...)
		if err != nil || !strings.Contains(out, tt.want) || strings.Contains(out, tt.not) {
			t.Errorf("kubectl %s: err=%v\n%s", strings.Join(tt.args, " "), err, out)
		}
	}
}

// TestKubectlChunks: kubectl get --chunk-size pages with limit and
// continue (its -v=6 log shows each request), and prints one table of every
// object; -o name and -A page alike.
func TestKubectlChunks(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	var manifests []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		manifests = append(manifests, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: "+name+"\nspec:\n  containers:\n  - name: c\n    image: x\n")
	}
	if out, err := s.Kubectl(t, strings.Join(manifests, "---\n"), "create", "-f", "-"); err != nil {
		t.Fatal(out)
	}
	out, err := s.Kubectl(t, "", "get", "pods", "--chunk-size=2", "-v=6")
	if err != nil {
		t.Fatal(out)
	}
	if n := len(regexp.MustCompile(`GET https://\S+/pods\?limit=2 200`).FindAllString(out, -1)); n != 1 {
		t.Errorf("kubectl sent %d first pages, want 1:\n%s", n, out)
	}
	if n := len(regexp.MustCompile(`GET https://\S+/pods\?continue=\S+&limit=2 200`).FindAllString(out, -1)); n != 2 {
		t.Errorf("kubectl followed %d continue tokens, want 2:\n%s", n, out)
	}
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && (f[0] == "NAME" || len(f[0]) == 1) {
			rows = append(rows, f[0])
		}
	}
	if strings.Join(rows, " ") != "NAME a b c d e" {
		t.Errorf("kubectl printed %q, want one header and a to e:\n%s", rows, out)
	}
	for _, args := range [][]string{{"get", "pods", "--chunk-size=1", "-o", "name"}, {"get", "pods", "-A", "--chunk-size=3", "-o", "name"}} {
		out, err := s.Kubectl(t, "", args...)
		if err != nil || out != "pod/a\npod/b\npod/c\npod/d\npod/e\n" {
			t.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestKubectlList: kubectl create -f and apply -f of a kind: List. kubectl
// validates a List against OpenAPI v2, which it asks for as protobuf only;
// an item that does not fit the schema is refused before anything is sent.
func TestKubectlList(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	list := func(data string) string {
		return `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
  data:
    mode: "` + data + `"
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    replicas: 1
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: c
          image: nginx:1.27
`
	}
	for _, step := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{list("a"), []string{"create", "-f", "-", "--save-config"}, "configmap/settings created\ndeployment.apps/web created\n"},
		{list("b"), []string{"apply", "-f", "-"}, "configmap/settings configured\ndeployment.apps/web unchanged\n"},
		{list("b"), []string{"apply", "-f", "-"}, "configmap/settings unchanged\ndeployment.apps/web unchanged\n"},
		{"", []string{"get", "configmap", "settings", "-o", "jsonpath={.data.mode}"}, "b"},
	} {
		out, err := s.Kubectl(t, step.stdin, step.args...)
		if err != nil || out != step.want {
			t.Fatalf("kubectl %s: %v\n%s\nwant:\n%s", strings.Join(step.args, " "), err, out, step.want)
		}
	}
	bad := strings.Replace(list("c"), "replicas: 1", "replicas: one", 1)
	out, err := s.Kubectl(t, bad, "apply", "-f", "-")
	if err == nil || !strings.Contains(out, "error validating data") || !strings.Contains(out, "replicas") {
		t.Errorf("apply of a List with a bad item: %v\n%s", err, out)
	}
	if out, _ := s.Kubectl(t, "", "get", "configmap", "settings", "-o", "jsonpath={.data.mode}"); out != "b" {
		t.Errorf("the refused List changed settings: mode %q", out)
	}
}
