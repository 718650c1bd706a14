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
