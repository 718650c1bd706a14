package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// TestAPIBasics runs the foundation issue's kubectl commands: namespaces,
// apply then configure, the pod columns, -o yaml, an invalid name, a
// watch with its events, delete --wait and explain.
func TestAPIBasics(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim"}})

	t.Run("GetNamespaces", func(t *testing.T) {
		c := c.on(t)
		out := c.kubectl("get", "ns")
		ls := lines(out)
		if !slices.Equal(strings.Fields(ls[0]), []string{"NAME", "STATUS", "AGE"}) {
			t.Errorf("get ns header: %q", ls[0])
		}
		for _, ns := range []string{"default", "kube-system", "kube-node-lease"} {
			if !regexp.MustCompile(`(?m)^` + ns + `\s+Active\s`).MatchString(out) {
				t.Errorf("get ns: no Active %s:\n%s", ns, out)
			}
		}
	})

	t.Run("ApplyCreateThenConfigure", func(t *testing.T) {
		c := c.on(t)
		manifest := filepath.Join("testdata", "pod.yaml")
		if out := c.kubectl("apply", "-f", manifest); strings.TrimSpace(out) != "pod/e2e-pod created" {
			t.Fatalf("first apply: %q", out)
		}
		b, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(b), "stage: one", "stage: two", 1)
		if out := c.kubectlStdin(changed, "apply", "-f", "-"); strings.TrimSpace(out) != "pod/e2e-pod configured" {
			t.Errorf("apply with a changed label: %q", out)
		}
		if out := c.kubectlStdin(changed, "apply", "-f", "-"); strings.TrimSpace(out) != "pod/e2e-pod unchanged" {
			t.Errorf("apply again: %q", out)
		}
		if out := c.kubectl("get", "pod", "e2e-pod", "-o", "jsonpath={.metadata.labels.stage}"); out != "two" {
			t.Errorf("label stage = %q, want two", out)
		}
	})

	t.Run("GetPodsColumns", func(t *testing.T) {
		c := c.on(t)
		c.waitRunning(1, "-l", "app=e2e")
		out := c.kubectl("get", "pods")
		ls := lines(out)
		if len(ls) != 2 || !slices.Equal(strings.Fields(ls[0]), []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}) {
			t.Fatalf("get pods: want the standard header and one pod:\n%s", out)
		}
		if f := strings.Fields(ls[1]); !slices.Equal(f[:4], []string{"e2e-pod", "1/1", "Running", "0"}) {
			t.Errorf("get pods row: %q", ls[1])
		}
		wide := lines(c.kubectl("get", "pods", "-o", "wide"))
		if !slices.Equal(strings.Fields(wide[0]), []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"}) {
			t.Errorf("get pods -o wide header: %q", wide[0])
		}
	})

	t.Run("GetPodYAML", func(t *testing.T) {
		c := c.on(t)
		out := c.kubectl("get", "pod", "e2e-pod", "-o", "yaml")
		for _, want := range []string{
			"apiVersion: v1\n", "kind: Pod\n", "  name: e2e-pod\n", "  namespace: default\n",
			"  resourceVersion: \"", "  uid: ", "  creationTimestamp: \"", "    stage: two\n",
			"  - image: nginx:1.27\n", "  nodeName: ", "status:\n", "  phase: Running\n", "  podIP: ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("get pod -o yaml lacks %q", want)
			}
		}
		if t.Failed() {
			t.Log(out)
		}
	})

	t.Run("RunInvalidName", func(t *testing.T) {
		c := c.on(t)
		r := c.kubectlRun("", "run", "bad_name", "--image=x")
		if r.code != 1 || !strings.Contains(r.stderr, `The Pod "bad_name" is invalid`) ||
			!strings.Contains(r.stderr, `metadata.name: Invalid value: "bad_name"`) {
			t.Errorf("run bad_name: want refused as invalid, got %v", r)
		}
		if r := c.kubectlRun("", "get", "pod", "bad_name"); r.code != 1 {
			t.Errorf("bad_name exists after all: %v", r)
		}
	})

	t.Run("WatchAndDeleteWait", func(t *testing.T) {
		c := c.on(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		watch := &syncbuf.Buffer{}
		done := make(chan result, 1)
		go func() {
			done <- runKubectlTo(ctx, watch, []string{"KUBECONFIG=" + c.kubeconfig}, "get", "pods", "-w", "--output-watch-events")
		}()
		// The watch lists what exists first: e2e-pod.
		eventually(t, testTimeout, "the watch's initial ADDED", func() string {
			if !regexp.MustCompile(`(?m)^ADDED\s+e2e-pod\s`).MatchString(watch.String()) {
				return watch.String()
			}
			return ""
		})

		if out := c.kubectl("run", "watched", "--image=nginx:1.27"); strings.TrimSpace(out) != "pod/watched created" {
			t.Fatalf("run: %q", out)
		}
		c.waitRunning(1, "--field-selector", "metadata.name=watched")
		start := time.Now()
		if out := c.kubectl("delete", "pod", "watched", "--wait"); strings.TrimSpace(out) != `pod "watched" deleted` {
			t.Fatalf("delete --wait: %q", out)
		}
		// --wait returned once the pod was gone.
		if r := c.kubectlRun("", "get", "pod", "watched"); r.code != 1 || !strings.Contains(r.stderr, "NotFound") {
			t.Errorf("after delete --wait (%s): %v", time.Since(start), r)
		}
		eventually(t, 10*time.Second, "ADDED and DELETED of watched", func() string {
			out := watch.String()
			if !regexp.MustCompile(`(?m)^ADDED\s+watched\s`).MatchString(out) || !regexp.MustCompile(`(?m)^DELETED\s+watched\s`).MatchString(out) {
				return out
			}
			return ""
		})
		cancel()
		if r := <-done; !strings.HasPrefix(strings.TrimSpace(watch.String()), "EVENT") {
			t.Errorf("watch output: want an EVENT column first: %v\n%s", r, watch.String())
		}
	})

	t.Run("Explain", func(t *testing.T) {
		c := c.on(t)
		out := c.kubectl("explain", "pod.spec.containers")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`KIND:\s+Pod`), regexp.MustCompile(`VERSION:\s+v1`),
			regexp.MustCompile(`FIELD:\s+containers\s+<\[\]Container>`),
			regexp.MustCompile(`(?m)^\s+image\s+<string>`), regexp.MustCompile(`(?m)^\s+name\s+<string> -required-`),
		} {
			if !want.MatchString(out) {
				t.Errorf("explain pod.spec.containers does not match %s:\n%s", want, out)
			}
		}
	})
}
