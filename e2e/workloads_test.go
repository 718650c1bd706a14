package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestWorkloads drives Deployments with kubectl on one cluster of 3
// simulated nodes: the stock nginx example, selectors and metadata, then
// the commands of the controller-manager issue. The steps build on each
// other, so they run in order and the first failure stops the rest.
func TestWorkloads(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim"}})
	for _, step := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"NginxExample", testNginxExample},
		{"SelectorsAndMetadata", testSelectorsAndMetadata},
		{"ScaleAndRollout", testScaleAndRollout},
		{"DescribeAndEvents", testDescribeAndEvents},
		{"ExposeAndEndpoints", testExposeAndEndpoints},
		{"CordonAndDrain", testCordonAndDrain},
		{"DeleteDeployment", testDeleteDeployment},
		{"DeleteNamespace", testDeleteNamespace},
	} {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, c.on(t)) }) {
			t.FailNow()
		}
	}
}

// on returns c reporting to t, for a subtest.
func (c *cluster) on(t *testing.T) *cluster {
	cc := *c
	cc.t = t
	return &cc
}

// testNginxExample applies the Deployment example of the Kubernetes
// documentation (with minik8s's demo image), lists it with get all, and
// deletes it with delete -f.
func testNginxExample(t *testing.T, c *cluster) {
	example := filepath.Join(repoRoot, "examples", "nginx-deployment.yaml")
	if out := c.kubectl("apply", "-f", example); strings.TrimSpace(out) != "deployment.apps/nginx-deployment created" {
		t.Fatalf("apply -f: %q", out)
	}
	c.waitRunning(3, "-l", "app=nginx")

	all := c.kubectl("get", "all")
	for _, want := range []string{"pod/nginx-deployment-", "deployment.apps/nginx-deployment   3/3     3            3",
		"replicaset.apps/nginx-deployment-"} {
		if !strings.Contains(all, want) {
			t.Errorf("get all lacks %q:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "pod/nginx-deployment-"); n != 3 {
		t.Errorf("get all lists %d nginx pods, want 3:\n%s", n, all)
	}

	if out := c.kubectl("delete", "-f", example); strings.TrimSpace(out) != `deployment.apps "nginx-deployment" deleted` {
		t.Fatalf("delete -f: %q", out)
	}
	eventually(t, testTimeout, "nginx pods gone", func() string {
		if rows := c.getPods("-l", "app=nginx"); len(rows) > 0 {
			return fmt.Sprint(rows)
		}
		return ""
	})
	if r := c.kubectlRun("", "get", "deploy", "nginx-deployment"); r.code != 1 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("get of the deleted Deployment: %v", r)
	}
}

// testSelectorsAndMetadata creates Deployment web and checks label and
// annotate, field and label selectors, wait, and jsonpath.
func testSelectorsAndMetadata(t *testing.T, c *cluster) {
	if out := c.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"); !strings.Contains(out, "deployment.apps/web created") {
		t.Fatalf("create deployment: %q", out)
	}
	pods := c.waitRunning(3, "-l", "app=web")

	// A pod that fits nowhere stays Pending.
	c.kubectl("apply", "-f", filepath.Join(repoRoot, "examples", "unschedulable-pod.yaml"))
	defer c.kubectl("delete", "pod", "greedy", "--wait=false")

	if out := c.kubectl("label", "deployment", "web", "tier=frontend"); strings.TrimSpace(out) != "deployment.apps/web labeled" {
		t.Errorf("label: %q", out)
	}
	if out := c.kubectl("get", "deployments", "-l", "tier=frontend", "-o", "name"); strings.TrimSpace(out) != "deployment.apps/web" {
		t.Errorf("get deployments -l tier=frontend: %q, want web", out)
	}
	if out := c.kubectl("label", "pod", pods[0].name, "picked=yes"); !strings.Contains(out, "labeled") {
		t.Errorf("label pod: %q", out)
	}
	if out := c.kubectl("get", "pods", "-l", "app=web,picked!=yes", "-o", "name"); len(lines(out)) != 2 || strings.Contains(out, pods[0].name) {
		t.Errorf("get pods -l app=web,picked!=yes: %q, want the 2 other pods", out)
	}
	if out := c.kubectl("annotate", "deployment", "web", "owner=e2e"); strings.TrimSpace(out) != "deployment.apps/web annotated" {
		t.Errorf("annotate: %q", out)
	}
	if out := c.kubectl("get", "deploy", "web", "-o", "jsonpath={.metadata.annotations.owner}"); out != "e2e" {
		t.Errorf("annotation owner = %q, want e2e", out)
	}

	eventually(t, testTimeout, "greedy Pending", func() string {
		if out := c.kubectl("get", "pods", "--field-selector", "status.phase=Pending", "-o", "name"); strings.TrimSpace(out) != "pod/greedy" {
			return "status.phase=Pending lists " + out
		}
		return ""
	})
	running := c.kubectl("get", "pods", "--field-selector", "status.phase=Running", "-o", "name")
	if got := lines(running); len(got) != 3 || strings.Contains(running, "greedy") {
		t.Errorf("--field-selector status.phase=Running: %q, want the 3 web pods", running)
	}

	out := c.kubectl("get", "pods", "-l", "app=web")
	ls := lines(out)
	if len(ls) != 4 || !slices.Equal(strings.Fields(ls[0]), []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}) {
		t.Errorf("get pods -l app=web: want the standard header and 3 pods:\n%s", out)
	}
	for _, l := range ls[1:] {
		if !strings.HasPrefix(l, "web-") {
			t.Errorf("get pods -l app=web lists %q", l)
		}
	}

	out = c.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=60s")
	if n := strings.Count(out, "condition met"); n != 3 {
		t.Errorf("wait --for=condition=Ready: %d pods met, want 3:\n%s", n, out)
	}
	if out := c.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "3" {
		t.Errorf("jsonpath {.spec.replicas} = %q, want 3", out)
	}
}

// testScaleAndRollout scales web and takes it through set image, rollout
// status, history, undo and restart.
func testScaleAndRollout(t *testing.T, c *cluster) {
	if out := c.kubectl("scale", "deployment", "web", "--replicas=5"); strings.TrimSpace(out) != "deployment.apps/web scaled" {
		t.Fatalf("scale: %q", out)
	}
	c.waitRunning(5, "-l", "app=web")

	rolledOut := func() {
		t.Helper()
		out := c.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
		if !strings.Contains(out, `deployment "web" successfully rolled out`) {
			t.Fatalf("rollout status: %q", out)
		}
	}
	images := func(want string) {
		t.Helper()
		if got := c.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != want {
			t.Errorf("template image = %q, want %q", got, want)
		}
		eventually(t, testTimeout, "every web pod on "+want, func() string {
			out := c.kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{\"\\n\"}{end}")
			if ls := lines(out); len(ls) != 5 || strings.Count(out, want+" Running") != 5 {
				return out
			}
			return ""
		})
	}

	if out := c.kubectl("set", "image", "deployment/web", "nginx=nginx:1.28"); strings.TrimSpace(out) != "deployment.apps/web image updated" {
		t.Fatalf("set image: %q", out)
	}
	rolledOut()
	images("nginx:1.28")
	if revs := historyRevisions(t, c); !slices.Equal(revs, []string{"1", "2"}) {
		t.Errorf("rollout history revisions %q, want 1 2", revs)
	}

	if out := c.kubectl("rollout", "undo", "deployment/web"); strings.TrimSpace(out) != "deployment.apps/web rolled back" {
		t.Fatalf("rollout undo: %q", out)
	}
	rolledOut()
	images("nginx:1.27")
	// Undo makes revision 1's template revision 3.
	if revs := historyRevisions(t, c); !slices.Equal(revs, []string{"2", "3"}) {
		t.Errorf("rollout history after undo: revisions %q, want 2 3", revs)
	}

	if out := c.kubectl("rollout", "restart", "deployment/web"); strings.TrimSpace(out) != "deployment.apps/web restarted" {
		t.Fatalf("rollout restart: %q", out)
	}
	rolledOut()
	if out := c.kubectl("get", "deploy", "web", "-o", `jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}`); out == "" {
		t.Error("rollout restart left no restartedAt annotation on the template")
	}
	if revs := historyRevisions(t, c); !slices.Equal(revs, []string{"2", "3", "4"}) {
		t.Errorf("rollout history after restart: revisions %q, want 2 3 4", revs)
	}
	if out := c.kubectl("get", "rs", "-l", "app=web", "--no-headers"); len(lines(out)) != 3 {
		t.Errorf("ReplicaSets of web: want 3 (one per template):\n%s", out)
	}
	c.waitRunning(5, "-l", "app=web")
}

// historyRevisions returns the REVISION column of rollout history.
func historyRevisions(t *testing.T, c *cluster) []string {
	t.Helper()
	out := c.kubectl("rollout", "history", "deployment/web")
	var revs []string
	for _, l := range lines(out)[1:] { // after "deployment.apps/web"
		if f := strings.Fields(l); f[0] != "REVISION" {
			revs = append(revs, f[0])
		}
	}
	return revs
}

// testDescribeAndEvents checks that describe and get events tell what the
// controllers did.
func testDescribeAndEvents(t *testing.T, c *cluster) {
	out := c.kubectl("describe", "deployment", "web")
	for key, value := range map[string]string{
		"Name": "web", "Replicas": "5 desired | 5 updated | 5 total | 5 available | 0 unavailable",
		"StrategyType": "RollingUpdate", "NewReplicaSet": "web-", "Events": "",
	} {
		if !hasField(out, key, value) {
			t.Errorf("describe deployment: no %s: %s", key, value)
		}
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Available\s+True\s+MinimumReplicasAvailable`),
		regexp.MustCompile(`Progressing\s+True\s+NewReplicaSetAvailable`),
		regexp.MustCompile(`Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled (up|down) replica set web-`),
	} {
		if !want.MatchString(out) {
			t.Errorf("describe deployment does not match %s", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	out = c.kubectl("get", "events")
	for _, want := range []string{`ScalingReplicaSet\s+deployment/web\s`, `SuccessfulCreate\s+replicaset/web-`,
		`Scheduled\s+pod/web-`, `Started\s+pod/web-`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("get events does not match %s:\n%s", want, out)
		}
	}
}

// testCordonAndDrain cordons a node running web pods and drains it with
// --ignore-daemonsets alone: the pods move to the other nodes. As in
// Kubernetes, a pod without a controller would need --force (and one with
// an emptyDir volume --delete-emptydir-data).
func testCordonAndDrain(t *testing.T, c *cluster) {
	node := c.getPods("-l", "app=web")[0].node
	if out := c.kubectl("cordon", node); strings.TrimSpace(out) != "node/"+node+" cordoned" {
		t.Fatalf("cordon: %q", out)
	}
	if out := c.kubectl("get", "node", node, "--no-headers"); strings.Fields(out)[1] != "Ready,SchedulingDisabled" {
		t.Errorf("cordoned node: %q, want Ready,SchedulingDisabled", out)
	}

	// A bare pod on the node: drain refuses it without --force.
	c.kubectlStdin(fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare"},
		"spec":{"nodeName":%q,"containers":[{"name":"app","image":"nginx:1.27"}]}}`, node), "apply", "-f", "-")
	r := c.kubectlRun("", "drain", node, "--ignore-daemonsets", "--timeout=60s")
	if r.code == 0 || !strings.Contains(r.stderr, "cannot delete Pods that declare no controller") || !strings.Contains(r.stderr, "default/bare") {
		t.Errorf("drain with a bare pod and no --force: want a refusal naming default/bare, got %v", r)
	}

	if out := c.kubectl("delete", "pod", "bare"); !strings.Contains(out, `pod "bare" deleted`) {
		t.Fatalf("delete bare: %q", out)
	}

	// Pods of a Deployment need no more than --ignore-daemonsets.
	r = c.kubectlRun("", "drain", node, "--ignore-daemonsets", "--timeout=60s")
	if r.code != 0 || !strings.Contains(r.stdout, "node/"+node+" drained") || !regexp.MustCompile(`(?m)^pod/web-\S+ evicted$`).MatchString(r.stdout) {
		t.Fatalf("drain --ignore-daemonsets: %v", r)
	}
	rows := c.waitRunning(5, "-l", "app=web")
	for _, p := range rows {
		if p.node == node {
			t.Errorf("pod %s still on the drained node %s", p.name, node)
		}
	}
	if out := c.kubectl("uncordon", node); strings.TrimSpace(out) != "node/"+node+" uncordoned" {
		t.Errorf("uncordon: %q", out)
	}
	if out := c.kubectl("get", "node", node, "--no-headers"); strings.Fields(out)[1] != "Ready" {
		t.Errorf("uncordoned node: %q, want Ready", out)
	}
}

// testDeleteDeployment deletes web: its ReplicaSets and pods go too.
func testDeleteDeployment(t *testing.T, c *cluster) {
	if out := c.kubectl("delete", "deployment", "web"); strings.TrimSpace(out) != `deployment.apps "web" deleted` {
		t.Fatalf("delete deployment: %q", out)
	}
	eventually(t, testTimeout, "web's ReplicaSets and pods gone", func() string {
		rs := c.kubectl("get", "rs", "-l", "app=web", "-o", "name")
		pods := c.kubectl("get", "pods", "-l", "app=web", "-o", "name")
		if rs != "" || pods != "" {
			return rs + pods
		}
		return ""
	})
}

// testDeleteNamespace deletes a namespace with a Deployment in it.
func testDeleteNamespace(t *testing.T, c *cluster) {
	if out := c.kubectl("create", "namespace", "e2e-doomed"); strings.TrimSpace(out) != "namespace/e2e-doomed created" {
		t.Fatalf("create namespace: %q", out)
	}
	c.kubectl("create", "deployment", "app", "--image=nginx:1.27", "--replicas=2", "-n", "e2e-doomed")
	c.waitRunning(2, "-n", "e2e-doomed")

	// kubectl waits until the namespace is gone.
	if out := c.kubectl("delete", "namespace", "e2e-doomed"); strings.TrimSpace(out) != `namespace "e2e-doomed" deleted` {
		t.Fatalf("delete namespace: %q", out)
	}
	if r := c.kubectlRun("", "get", "namespace", "e2e-doomed"); r.code != 1 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("get of the deleted namespace: %v", r)
	}
	for _, kind := range []string{"pods", "rs", "deployments"} {
		if r := c.kubectlRun("", "get", kind, "-n", "e2e-doomed", "-o", "name"); strings.TrimSpace(r.stdout) != "" {
			t.Errorf("%s left in the deleted namespace: %v", kind, r)
		}
	}
}

// testExposeAndEndpoints exposes a Deployment and follows its Endpoints
// and EndpointSlices as it scales: the controller manager publishes the
// ready pods' IPs.
func testExposeAndEndpoints(t *testing.T, c *cluster) {
	c.kubectl("create", "deployment", "svcweb", "--image=nginx:1.27", "--replicas=3", "--port=8080")
	if out := c.kubectl("expose", "deployment", "svcweb", "--port=80", "--target-port=8080"); !strings.Contains(out, "service/svcweb exposed") {
		t.Fatalf("expose: %q", out)
	}
	c.waitRunning(3, "-l", "app=svcweb")
	endpoints := func(want int) {
		t.Helper()
		eventually(t, testTimeout, fmt.Sprintf("%d endpoints", want), func() string {
			eps := c.kubectl("get", "endpoints", "svcweb", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
			ready := c.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=svcweb",
				"-o", "jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].addresses[0]}")
			if len(strings.Fields(eps)) != want || len(strings.Fields(ready)) != want {
				return fmt.Sprintf("endpoints %q, ready slice endpoints %q", eps, ready)
			}
			return ""
		})
	}
	endpoints(3)
	out := c.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=svcweb")
	if !regexp.MustCompile(`(?m)^svcweb-\w+\s+IPv4\s+8080\s+\S+`).MatchString(out) {
		t.Errorf("get endpointslices:\n%s", out)
	}
	c.kubectl("scale", "deployment", "svcweb", "--replicas=1")
	endpoints(1)
	c.kubectl("delete", "service", "svcweb")
	eventually(t, testTimeout, "the service's slices gone", func() string {
		return strings.TrimSpace(c.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=svcweb", "-o", "name"))
	})
	c.kubectl("delete", "deployment", "svcweb")
}
