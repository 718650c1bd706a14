package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestScheduling drives the scheduler's constraints with kubectl on 3
// simulated nodes spread over 3 zones (--zones 3): a zone spread with
// maxSkew 1, then priority and preemption on a full cluster.
func TestScheduling(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim", "--zones", "3"}})
	for _, step := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"SpreadOverZones", testSpreadOverZones},
		{"SchedulingGates", testSchedulingGates},
		{"Preemption", testPreemption},
	} {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, c.on(t)) }) {
			t.FailNow()
		}
	}
}

// zoneOf returns each node's topology.kubernetes.io/zone.
func zoneOf(c *cluster) map[string]string {
	c.t.Helper()
	zones := map[string]string{}
	out := c.kubectl("get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}`)
	for _, l := range lines(out) {
		if f := strings.Fields(l); len(f) == 2 {
			zones[f[0]] = f[1]
		}
	}
	return zones
}

// testSpreadOverZones applies examples/zone-spread-deployment.yaml (6
// replicas, maxSkew 1 over zones): two replicas run in each zone.
func testSpreadOverZones(t *testing.T, c *cluster) {
	zones := zoneOf(c)
	if len(zones) != 3 || zones[exampleNodes(t, c)[0]] == "" {
		t.Fatalf("node zones %v, want 3 nodes with a zone each", zones)
	}
	file := filepath.Join(repoRoot, "examples", "zone-spread-deployment.yaml")
	c.kubectl("apply", "-f", file)
	perZone := map[string]int{}
	for _, r := range c.waitRunning(6, "-l", "app=zonal") {
		perZone[zones[r.node]]++
	}
	if len(perZone) != 3 {
		t.Fatalf("replicas per zone %v, want 2 in each of 3 zones", perZone)
	}
	for z, n := range perZone {
		if n != 2 {
			t.Fatalf("zone %s has %d replicas (%v), want 2 each", z, n, perZone)
		}
	}
	c.kubectl("delete", "-f", file)
}

const preemptionManifests = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: batch
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: web-tier
value: 1000
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: filler
spec:
  replicas: 6
  selector:
    matchLabels:
      app: filler
  template:
    metadata:
      labels:
        app: filler
    spec:
      priorityClassName: batch
      containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        resources:
          requests:
            cpu: "15"
`

const vipPod = `apiVersion: v1
kind: Pod
metadata:
  name: vip
spec:
  priorityClassName: web-tier
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
    resources:
      requests:
        cpu: "15"
`

// testPreemption fills the 3 nodes (32 cpu each) with 6 pods of 15 cpu of
// a low priority class; a pod of a high class then evicts one of them and
// runs in its place, with the events Kubernetes writes, and the evicted
// pod's replacement stays Pending with kube-scheduler's message.
func testPreemption(t *testing.T, c *cluster) {
	c.kubectlStdin(preemptionManifests, "apply", "-f", "-")
	c.waitRunning(6, "-l", "app=filler")
	if p := c.kubectl("get", "pods", "-l", "app=filler", "-o", "jsonpath={.items[0].spec.priority}"); p != "10" {
		t.Fatalf("filler priority %q, want 10 (from PriorityClass batch)", p)
	}
	c.kubectlStdin(vipPod, "apply", "-f", "-")
	rows := c.waitRunning(1, "--field-selector", "metadata.name=vip")
	if nom := c.kubectl("get", "pod", "vip", "-o", "jsonpath={.status.nominatedNodeName}"); nom != rows[0].node {
		t.Errorf("vip nominated for %q, runs on %s", nom, rows[0].node)
	}
	uid := c.kubectl("get", "pod", "vip", "-o", "jsonpath={.metadata.uid}")
	eventually(t, testTimeout, "one Preempted event naming vip", func() string {
		out := c.kubectl("get", "events", "-o", `jsonpath={range .items[?(@.reason=="Preempted")]}{.involvedObject.name}: {.message}{"\n"}{end}`)
		want := fmt.Sprintf("Preempted by pod %s on node %s", uid, rows[0].node)
		if ls := lines(out); len(ls) != 1 || !strings.HasSuffix(ls[0], want) {
			return fmt.Sprintf("Preempted events %q, want one %q", out, want)
		}
		return ""
	})
	// The ReplicaSet replaces the victim; nothing of lower priority is left
	// to evict for it.
	const msg = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
	eventually(t, testTimeout, "the replacement filler Pending with kube-scheduler's message", func() string {
		out := c.kubectl("get", "pods", "-l", "app=filler", "--field-selector", "status.phase=Pending", "-o",
			`jsonpath={range .items[*]}{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}`)
		if ls := lines(out); len(ls) != 1 || ls[0] != msg {
			return fmt.Sprintf("pending fillers say %q", out)
		}
		return ""
	})
	c.kubectl("delete", "pod", "vip", "--wait=false")
	c.kubectl("delete", "deployment", "filler", "--wait=false")
	c.kubectl("delete", "priorityclass", "batch", "web-tier")
}

const gatedPod = `apiVersion: v1
kind: Pod
metadata:
  name: gated
spec:
  schedulingGates:
  - name: example.com/quota-check
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
`

// testSchedulingGates creates a pod with a scheduling gate: kubectl shows
// it SchedulingGated, with the condition Kubernetes sets, until the gate
// is removed; then it runs.
func testSchedulingGates(t *testing.T, c *cluster) {
	c.kubectlStdin(gatedPod, "apply", "-f", "-")
	eventually(t, testTimeout, "gated pod SchedulingGated", func() string {
		rows := c.getPods("--field-selector", "metadata.name=gated")
		cond := c.kubectl("get", "pod", "gated", "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}: {.status.conditions[?(@.type=="PodScheduled")].message}`)
		if len(rows) != 1 || rows[0].status != "SchedulingGated" ||
			cond != "SchedulingGated: Scheduling is blocked due to non-empty scheduling gates" {
			return fmt.Sprintf("rows %v, condition %q", rows, cond)
		}
		return ""
	})
	if r := c.kubectlRun("", "patch", "pod", "gated", "--type=json", "-p", `[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"more"}}]`); r.code == 0 ||
		!strings.Contains(r.stderr, "only deletion is allowed, but found new scheduling gate 'more'") {
		t.Errorf("adding a gate: %v", r)
	}
	c.kubectl("patch", "pod", "gated", "--type=json", "-p", `[{"op":"remove","path":"/spec/schedulingGates"}]`)
	c.waitRunning(1, "--field-selector", "metadata.name=gated")
	c.kubectl("delete", "pod", "gated", "--wait=false")
}
