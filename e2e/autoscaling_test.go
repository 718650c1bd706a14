package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// autoscalingConfig makes the HPA, the pod GC and the resource metrics
// quick, so that the steps below take seconds instead of minutes.
const autoscalingConfig = `controllerManager:
  horizontalPodAutoscaler: {syncPeriod: 1s}
  podGC: {period: 1s, quarantine: 1s, terminatedPodThreshold: 2}
apiserver:
  resourceMetrics: {resolution: 1s}
`

// TestTopAutoscaleAndPodGC drives metrics.k8s.io, the
// HorizontalPodAutoscaler and the pod GC with the real kubectl on
// simulated nodes, whose pods use what their sim.minik8s.io/cpu-usage and
// memory-usage annotations say. The steps run in order.
func TestTopAutoscaleAndPodGC(t *testing.T) {
	testsvc.Slow(t, "a cluster of simulated nodes and the real kubectl")
	t.Parallel()
	c := startCluster(t, clusterOptions{config: autoscalingConfig, args: []string{"--runtime", "sim", "--nodes", "2"}})
	for _, step := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"Top", testTop},
		{"Autoscale", testAutoscale},
		{"PodGCOrphan", testPodGCOrphan},
		{"PodGCTerminated", testPodGCTerminated},
	} {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, c.on(t)) }) {
			return
		}
	}
}

// topRows runs kubectl top with args and returns its rows without the
// header, as fields.
func topRows(c *cluster, args ...string) [][]string {
	c.t.Helper()
	var rows [][]string
	for i, l := range lines(c.kubectl(append([]string{"top"}, args...)...)) {
		if i > 0 {
			rows = append(rows, strings.Fields(l))
		}
	}
	return rows
}

func testTop(t *testing.T, c *cluster) {
	c.kubectlStdin(`apiVersion: v1
kind: Pod
metadata:
  name: loaded
  annotations: {sim.minik8s.io/cpu-usage: 300m, sim.minik8s.io/memory-usage: 96Mi}
spec:
  containers: [{name: a, image: nginx}, {name: b, image: nginx}]
`, "create", "-f", "-")
	c.waitRunning(1, "loaded")
	eventually(t, testTimeout, "kubectl top pod loaded", func() string {
		r := c.kubectlRun("", "top", "pod", "loaded", "--no-headers")
		if r.code != 0 {
			return r.String()
		}
		if f := strings.Fields(r.stdout); len(f) != 3 || f[1] != "300m" || f[2] != "96Mi" {
			return r.stdout
		}
		return ""
	})
	rows := topRows(c, "pods", "--containers")
	want := map[string]bool{"loaded a 150m 48Mi": true, "loaded b 150m 48Mi": true}
	for _, r := range rows {
		delete(want, strings.Join(r, " "))
	}
	if len(want) > 0 {
		t.Errorf("kubectl top pods --containers lacks %v: %v", want, rows)
	}
	found := false
	for _, r := range topRows(c, "pods", "-A") {
		found = found || (len(r) == 4 && r[0] == "default" && r[1] == "loaded" && r[2] == "300m")
	}
	if !found {
		t.Errorf("kubectl top pods -A does not show default/loaded at 300m")
	}
	// The nodes: one carries the pod's 300m; every node has a row.
	nodes := topRows(c, "nodes")
	var busy bool
	for _, r := range nodes {
		if len(r) != 5 {
			t.Fatalf("kubectl top nodes row %v", r)
		}
		cpu, _ := strconv.Atoi(strings.TrimSuffix(r[1], "m"))
		busy = busy || cpu >= 300
	}
	if len(nodes) != 2 || !busy {
		t.Errorf("kubectl top nodes: want 2 rows, one at 300m or more: %v", nodes)
	}
	// Load changes while the pod runs.
	c.kubectl("annotate", "pod", "loaded", "--overwrite", "sim.minik8s.io/cpu-usage=1")
	eventually(t, testTimeout, "kubectl top pod loaded at 1 core", func() string {
		if f := strings.Fields(c.kubectl("top", "pod", "loaded", "--no-headers")); len(f) != 3 || f[1] != "1000m" {
			return strings.Join(f, " ")
		}
		return ""
	})
	// Discovery and tables of the kinds themselves.
	if out := c.kubectl("api-resources", "--api-group=metrics.k8s.io", "--no-headers"); !strings.Contains(out, "PodMetrics") || !strings.Contains(out, "NodeMetrics") {
		t.Errorf("api-resources --api-group=metrics.k8s.io:\n%s", out)
	}
	if out := c.kubectl("get", "podmetrics", "loaded"); !strings.Contains(out, "1") || !strings.Contains(out, "WINDOW") {
		t.Errorf("kubectl get podmetrics loaded:\n%s", out)
	}
	if r := c.kubectlRun("", "top", "pod", "nosuchpod"); r.code == 0 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("kubectl top pod nosuchpod: %s", r)
	}
	// RBAC: view (through system:aggregated-metrics-reader) may read
	// them; a user with no role may not.
	c.kubectl("create", "rolebinding", "alice-view", "--clusterrole=view", "--user=alice")
	if r := c.kubectlRun("", "top", "pod", "loaded", "--as", "alice"); r.code != 0 {
		t.Errorf("kubectl top pod --as alice (view): %s", r)
	}
	if r := c.kubectlRun("", "top", "pod", "loaded", "--as", "bob"); r.code == 0 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("kubectl top pod --as bob (no role): %s", r)
	}
	c.kubectl("delete", "pod", "loaded", "--wait=false")
}

func testAutoscale(t *testing.T, c *cluster) {
	c.kubectl("create", "deployment", "x", "--image=nginx", "--replicas=1")
	c.kubectl("set", "resources", "deployment", "x", "--requests=cpu=100m")
	c.kubectl("rollout", "status", "deployment/x", "--timeout=60s")
	c.kubectl("autoscale", "deployment", "x", "--cpu-percent=50", "--min=1", "--max=5")
	replicas := func() (string, string) {
		f := strings.Fields(c.kubectl("get", "hpa", "x", "--no-headers"))
		if len(f) < 8 {
			return "", strings.Join(f, " ")
		}
		return f[len(f)-2], strings.Join(f, " ")
	}
	eventually(t, testTimeout, "the HPA to measure the idle pod", func() string {
		if out := c.kubectl("get", "hpa", "x", "--no-headers"); !strings.Contains(out, "cpu: 1%/50%") {
			return out
		}
		return ""
	})
	// Load: every pod of the template uses 200m, 200% of its request:
	// 4 times the target, so 1 → 4 → 5 (the maximum).
	c.kubectl("patch", "deployment", "x", "-p", `{"spec":{"template":{"metadata":{"annotations":{"sim.minik8s.io/cpu-usage":"200m"}}}}}`)
	eventually(t, testTimeout, "scale up to the maximum", func() string {
		if n, row := replicas(); n != "5" {
			return row
		}
		return ""
	})
	c.waitRunning(5, "-l", "app=x")
	out := c.kubectl("describe", "hpa", "x")
	for _, want := range []string{"SuccessfulRescale", "cpu resource utilization (percentage of request) above target",
		"ScalingLimited  True    TooManyReplicas", "ValidMetricFound"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe hpa lacks %q:\n%s", want, out)
		}
	}
	// Idle again, with a 2s scale-down window instead of the default 300s.
	c.kubectl("patch", "hpa", "x", "--type=merge", "-p", `{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":2}}}}`)
	c.kubectl("patch", "deployment", "x", "-p", `{"spec":{"template":{"metadata":{"annotations":{"sim.minik8s.io/cpu-usage":"10m"}}}}}`)
	eventually(t, testTimeout, "scale down to the minimum", func() string {
		if n, row := replicas(); n != "1" {
			return row
		}
		return ""
	})
	if out := c.kubectl("get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={.items[*].message}"); !strings.Contains(out, "New size: 1; reason: All metrics below target") {
		t.Errorf("no scale-down event: %s", out)
	}
	c.kubectl("delete", "hpa", "x")
	c.kubectl("delete", "deployment", "x")
}

func testPodGCOrphan(t *testing.T, c *cluster) {
	c.kubectlStdin(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"ghost"}}`, "create", "-f", "-")
	c.kubectlStdin(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"orphan"},"spec":{"nodeName":"ghost","containers":[{"name":"c","image":"nginx"}]}}`, "create", "-f", "-")
	// No kubelet runs ghost, so a deletion hangs in Terminating ...
	c.kubectl("delete", "pod", "orphan", "--wait=false")
	if out := c.kubectl("get", "pod", "orphan", "--no-headers"); !strings.Contains(out, "Terminating") {
		t.Fatalf("pod orphan is not Terminating: %s", out)
	}
	// ... until the node is gone.
	c.kubectl("delete", "node", "ghost")
	eventually(t, testTimeout, "the pod GC to delete the orphaned pod", func() string {
		r := c.kubectlRun("", "get", "pod", "orphan")
		if r.code == 0 || !strings.Contains(r.stderr, "NotFound") {
			return r.String()
		}
		return ""
	})
}

// testPodGCTerminated leaves 4 completed pods with a threshold of 2: the
// two oldest go.
func testPodGCTerminated(t *testing.T, c *cluster) {
	for i := range 4 {
		c.kubectlStdin(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: done-%d, labels: {app: done}, annotations: {sim.minik8s.io/exit-after: 0s}}
spec: {restartPolicy: Never, containers: [{name: c, image: nginx}]}
`, i), "create", "-f", "-")
		c.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/done-"+strconv.Itoa(i), "--timeout=60s")
	}
	eventually(t, testTimeout, "the two newest completed pods left", func() string {
		out := c.kubectl("get", "pods", "-l", "app=done", "-o", "name")
		if strings.Join(lines(out), " ") != "pod/done-2 pod/done-3" {
			return out
		}
		return ""
	})
}

// TestDockerTop runs a pod on a Docker node: kubectl top shows its real
// container's memory, and the node's.
func TestDockerTop(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildTestImage(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "e2e-top-" + hex.EncodeToString(b)
	t.Cleanup(func() { removeContainers(t, []string{base}) })
	c := startCluster(t, clusterOptions{nodeName: base, config: autoscalingConfig, args: []string{"--runtime", "docker", "--nodes", "1"}})
	c.kubectl("run", "real", "--image="+testImage, "--", "/testapp", "-print=hi")
	c.waitRunning(1, "real")
	eventually(t, testTimeout, "kubectl top pod real with the container's memory", func() string {
		r := c.kubectlRun("", "top", "pod", "real", "--containers", "--no-headers")
		if r.code != 0 {
			return r.String()
		}
		f := strings.Fields(r.stdout)
		if len(f) != 4 || f[1] != "real" {
			return r.stdout
		}
		mem, err := strconv.Atoi(strings.TrimSuffix(f[3], "Mi"))
		if err != nil || !strings.HasSuffix(f[2], "m") {
			return r.stdout
		}
		if mem == 0 {
			// Below 1Mi: kubectl rounds down; look at the API.
			if out := c.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/real"); strings.Contains(out, `"memory":"0"`) {
				return "memory 0: " + out
			}
		}
		return ""
	})
	eventually(t, testTimeout, "kubectl top nodes", func() string {
		r := c.kubectlRun("", "top", "nodes", "--no-headers")
		if f := strings.Fields(r.stdout); r.code != 0 || len(f) != 5 || f[0] != base {
			return r.String()
		}
		return ""
	})
	c.kubectl("delete", "pod", "real")
}
