package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// A kubelet process is killed: within the node monitor grace period its
// node goes Ready=Unknown and gets the unreachable taint, and, once its
// pods' toleration ends, their ReplicaSet recreates them on the other
// nodes.
func TestKubeletProcessKilled(t *testing.T) {
	c := startCluster(t, clusterOptions{
		config: "controllerManager:\n  nodeMonitorPeriod: 500ms\n  nodeMonitorGracePeriod: 4s\n",
		args:   []string{"--runtime", "sim", "--nodes", "2"},
	})
	// A third node in a process of its own, heartbeating often.
	kubelet := exec.Command(binPath, "--data-dir", c.dataDir, "kubelet", "--node-name", "doomed",
		"--runtime", "sim", "--port", "0", "--node-lease-renew-interval", "500ms", "--node-status-update-interval", "500ms")
	kubelet.Env = cleanEnv()
	var kout syncbuf.Buffer
	kubelet.Stdout, kubelet.Stderr = &kout, &kout
	if err := kubelet.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kubelet.Process.Kill(); _ = kubelet.Wait() }()
	eventually(t, testTimeout, "node doomed Ready", func() string {
		if s := c.nodeReady("doomed"); s != "True" {
			return "Ready=" + s
		}
		return ""
	})

	// Put every pod on the doomed node: cordon the others while they are
	// created, then let them take the pods back.
	nodes := strings.Fields(c.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	for _, n := range nodes {
		if n != "doomed" {
			c.kubectl("cordon", n)
		}
	}
	c.kubectlStdin(moveDeployment, "apply", "-f", "-")
	pods := c.waitRunning(4, "-l", "app=mover")
	for _, p := range pods {
		if p.node != "doomed" {
			t.Fatalf("pod %s on %s, want doomed", p.name, p.node)
		}
	}
	for _, n := range nodes {
		if n != "doomed" {
			c.kubectl("uncordon", n)
		}
	}

	killed := time.Now()
	if err := kubelet.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	eventually(t, testTimeout, "node doomed Ready=Unknown", func() string {
		if s := c.nodeReady("doomed"); s != "Unknown" {
			return "Ready=" + s
		}
		return ""
	})
	unknownAfter := time.Since(killed)
	if taints := c.kubectl("get", "node", "doomed", "-o", "jsonpath={.spec.taints[*].key}"); !strings.Contains(taints, "node.kubernetes.io/unreachable") {
		t.Fatalf("node doomed taints: %q", taints)
	}
	eventually(t, testTimeout, "pods recreated on the other nodes", func() string {
		var on []string
		running := 0
		for _, p := range c.getPods("-l", "app=mover") {
			if p.status == "Running" && p.node != "doomed" {
				running++
			}
			on = append(on, p.name+"@"+p.node+":"+p.status)
		}
		if running < 4 {
			return fmt.Sprintf("%d of 4 Running elsewhere: %v", running, on)
		}
		return ""
	})
	t.Logf("kubelet killed: node Unknown after %.1fs (grace 4s), pods Running elsewhere after %.1fs (toleration 2s)",
		unknownAfter.Seconds(), time.Since(killed).Seconds())
}

// nodeReady is the status of node's Ready condition, or "absent" while the
// node is not registered yet (a kubelet process started just before
// registers in its own time).
func (c *cluster) nodeReady(node string) string {
	c.t.Helper()
	r := c.kubectlRun("", "get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
	switch {
	case r.code == 0:
		return strings.TrimSpace(r.stdout)
	case strings.Contains(r.stderr, "NotFound"):
		return "absent"
	}
	c.t.Fatal(r)
	return ""
}

// moveDeployment tolerates an unreachable node for 2 s only (the default
// is 300 s), so that its pods move soon after their node goes silent.
const moveDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mover
spec:
  replicas: 4
  selector:
    matchLabels:
      app: mover
  template:
    metadata:
      labels:
        app: mover
    spec:
      tolerations:
      - key: node.kubernetes.io/unreachable
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 2
      containers:
      - name: app
        image: nginx:1.27
`
