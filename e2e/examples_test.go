package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// exampleChecks says, for every manifest in examples/, what applying it
// shows; TestExamples fails on a manifest that has none, so that a new
// example gets a check and none can rot.
var exampleChecks = map[string]func(t *testing.T, c *cluster, file string){
	"nginx-deployment.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		c.waitRunning(3, "-l", "app=nginx")
		c.kubectl("delete", "-f", file)
	},
	"crashing-pod.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		eventually(t, testTimeout, "crasher restarted after exiting with code 1", func() string {
			out := c.kubectl("get", "pod", "crasher", "-o",
				"jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.exitCode}")
			if f := strings.Fields(out); len(f) != 2 || f[0] == "0" || f[1] != "1" {
				return "restart count and last exit code: " + out
			}
			return ""
		})
		c.kubectl("delete", "-f", file, "--wait=false")
	},
	"unschedulable-pod.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		eventually(t, testTimeout, "greedy's FailedScheduling event", func() string {
			if out := c.kubectl("describe", "pod", "greedy"); !strings.Contains(out, "FailedScheduling") || !strings.Contains(out, "Insufficient cpu") {
				return "describe pod greedy:\n" + out
			}
			return ""
		})
		c.kubectl("delete", "-f", file, "--wait=false")
	},
	"node-selector-pod.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		eventually(t, testTimeout, "on-ssd unschedulable until a node has disktype=ssd", func() string {
			if out := c.kubectl("describe", "pod", "on-ssd"); !strings.Contains(out, "FailedScheduling") {
				return "describe pod on-ssd:\n" + out
			}
			return ""
		})
		node := exampleNodes(t, c)[0]
		c.kubectl("label", "node", node, "disktype=ssd")
		defer c.kubectl("label", "node", node, "disktype-")
		if rows := c.waitRunning(1, "--field-selector", "metadata.name=on-ssd"); rows[0].node != node {
			t.Errorf("on-ssd runs on %s, want %s (the node labelled disktype=ssd)", rows[0].node, node)
		}
		c.kubectl("delete", "-f", file, "--wait=false")
	},
	"anti-affinity-deployment.yaml": func(t *testing.T, c *cluster, file string) {
		// One replica per node; the rest Pending with kube-scheduler's
		// message.
		n := len(exampleNodes(t, c))
		c.kubectl("apply", "-f", file)
		eventually(t, testTimeout, fmt.Sprintf("%d replicas bound, one per node, and %d Pending", n, 4-n), func() string {
			out := c.kubectl("get", "pods", "-l", "app=spread-out", "-o",
				`jsonpath={range .items[*]}{.spec.nodeName}|{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}`)
			nodes, pending := map[string]bool{}, 0
			for _, l := range lines(out) {
				node, msg, _ := strings.Cut(l, "|")
				switch {
				case node != "":
					nodes[node] = true
				case strings.Contains(msg, fmt.Sprintf("%d node(s) didn't match pod anti-affinity rules", n)):
					pending++
				}
			}
			if len(nodes) != n || pending != 4-n {
				return out
			}
			return ""
		})
		c.kubectl("delete", "-f", file, "--wait=false")
	},
	"zone-spread-deployment.yaml": func(t *testing.T, c *cluster, file string) {
		// The cluster has no --zones here: put each node in its own zone.
		nodes := exampleNodes(t, c)
		for i, n := range nodes {
			c.kubectl("label", "node", n, fmt.Sprintf("topology.kubernetes.io/zone=zone-%d", i))
		}
		defer func() {
			for _, n := range nodes {
				c.kubectl("label", "node", n, "topology.kubernetes.io/zone-")
			}
		}()
		c.kubectl("apply", "-f", file)
		perNode := map[string]int{}
		for _, r := range c.waitRunning(6, "-l", "app=zonal") {
			perNode[r.node]++
		}
		lo, hi := 6, 0
		for _, n := range nodes {
			lo, hi = min(lo, perNode[n]), max(hi, perNode[n])
		}
		if hi-lo > 1 {
			t.Errorf("replicas per zone %v, want within 1", perNode)
		}
		c.kubectl("delete", "-f", file)
	},
	"toleration-pod.yaml": func(t *testing.T, c *cluster, file string) {
		nodes := exampleNodes(t, c)
		for _, n := range nodes {
			c.kubectl("taint", "node", n, "dedicated=gpu:NoSchedule")
		}
		defer func() {
			for _, n := range nodes {
				c.kubectl("taint", "node", n, "dedicated=gpu:NoSchedule-")
			}
		}()
		c.kubectl("apply", "-f", file)
		c.waitRunning(1, "--field-selector", "metadata.name=tolerant")
		c.kubectl("delete", "-f", file, "--wait=false")
	},
	"daemonset.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		c.kubectl("rollout", "status", "ds/node-agent", "--timeout=60s")
		c.waitDaemonPods("node-agent", exampleNodes(t, c))
		c.kubectl("delete", "-f", file)
	},
	"statefulset.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		c.kubectl("rollout", "status", "sts/ordered", "--timeout=60s")
		rows := c.waitRunning(3, "-l", "app=ordered")
		for i, r := range rows {
			if r.name != fmt.Sprintf("ordered-%d", i) {
				t.Errorf("pods %v, want ordered-0..2", rows)
			}
		}
		c.kubectl("delete", "-f", file)
	},
	"crontab-crd.yaml": func(t *testing.T, c *cluster, file string) {
		c.kubectl("apply", "-f", file)
		c.kubectl("wait", "--for=condition=Established", "--timeout=30s", "crd/crontabs.stable.example.com")
		if out := c.kubectl("explain", "crontab.spec.cronSpec"); !strings.Contains(out, "The schedule, in cron format.") {
			t.Errorf("explain crontab.spec.cronSpec:\n%s", out)
		}
		c.kubectl("delete", "-f", file)
	},
	"crontab.yaml": func(t *testing.T, c *cluster, file string) {
		crd := filepath.Join(filepath.Dir(file), "crontab-crd.yaml")
		c.kubectl("apply", "-f", crd)
		c.kubectl("wait", "--for=condition=Established", "--timeout=30s", "crd/crontabs.stable.example.com")
		c.kubectl("apply", "-f", file)
		c.kubectl("scale", "ct", "nightly", "--replicas=3")
		if out := c.kubectl("get", "ct", "--field-selector", "spec.color=blue"); !strings.Contains(out, "nightly") || !strings.Contains(out, "0 3 * * *") {
			t.Errorf("get ct --field-selector spec.color=blue:\n%s", out)
		}
		// Deleting the CRD deletes the CronTab first.
		c.kubectl("delete", "-f", crd)
	},
}

// TestExamples applies every manifest in examples/ with kubectl against
// `minik8s all` on simulated nodes and checks that it does what its
// comment says.
func TestExamples(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim"}})
	runExamples(t, c)
}

// TestExamplesOnDocker does the same on Docker, with only the images
// `minik8s all` builds (no registry). It fails when MINIK8S_TEST_DOCKER
// is unset or no engine answers.
func TestExamplesOnDocker(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "e2e-examples-" + hex.EncodeToString(b)
	t.Cleanup(func() { removeContainers(t, []string{base + "-1", base + "-2"}) })
	c := startCluster(t, clusterOptions{nodeName: base, args: []string{"--runtime", "docker", "--nodes", "2"}})
	runExamples(t, c)
}

func runExamples(t *testing.T, c *cluster) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		check, ok := exampleChecks[name]
		if !ok {
			t.Errorf("examples/%s has no check in exampleChecks: add one", name)
			continue
		}
		t.Run(name, func(t *testing.T) { check(t, c.on(t), f) })
	}
}

// exampleNodes returns the cluster's node names.
func exampleNodes(t *testing.T, c *cluster) []string {
	t.Helper()
	var nodes []string
	for _, l := range lines(c.kubectl("get", "nodes", "-o", "name")) {
		nodes = append(nodes, strings.TrimPrefix(l, "node/"))
	}
	if len(nodes) == 0 {
		t.Fatal("no nodes")
	}
	return nodes
}
