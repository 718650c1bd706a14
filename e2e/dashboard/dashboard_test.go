package dashboard

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// clusterConfig is the cluster's config file: free ports, short leases
// and node heartbeats, so that a failover and a node going NotReady take
// seconds.
const clusterConfig = `apiserver:
  listen: 127.0.0.1:0
kubelet:
  port: 0
  nodeLeaseRenewInterval: 1s
  nodeStatusUpdateInterval: 2s
controllerManager:
  nodeMonitorPeriod: 1s
  nodeMonitorGracePeriod: 6s
leaderElection:
  leaseDuration: 6s
  renewDeadline: 4s
  retryPeriod: 1s
`

// seenScript records, in window.__seen, when each pod's chip first
// appears in the page (Date.now(), the same clock as the test's).
const seenScript = `(() => {
  window.__seen = {};
  const note = (el) => {
    if (el.dataset && el.dataset.pod && !(el.dataset.pod in __seen)) __seen[el.dataset.pod] = Date.now();
    el.querySelectorAll && el.querySelectorAll("[data-pod]").forEach((c) => { if (!(c.dataset.pod in __seen)) __seen[c.dataset.pod] = Date.now(); });
  };
  new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(note))).observe(document.body, { childList: true, subtree: true });
  return true;
})()`

// TestDashboard drives the dashboard of a real `minik8s all` in headless
// Chromium: each subtest builds on the previous one.
func TestDashboard(t *testing.T) {
	// The scheduler's replica endpoint is on, so that the page can stop a
	// replica.
	c := startAll(t, clusterConfig, "--nodes", "3", "--runtime", "sim",
		"--scheduler-replicas", "2", "--scheduler-port", fmt.Sprint(freePort(t)))
	b := newBrowser(t)

	t.Run("loads with no console errors", func(t *testing.T) {
		b.do(t, chromedp.Navigate(c.login))
		b.waitJS(t, 10*time.Second, "page watching", `document.querySelector("#conn.ok")`)
		b.waitJS(t, 10*time.Second, "three node boxes", `document.querySelectorAll("#nodes .node").length === 3`)
		if errs := b.consoleErrors(false); len(errs) > 0 {
			t.Fatalf("console errors: %q", errs)
		}
	})

	t.Run("a pod created with kubectl appears within 1s", func(t *testing.T) {
		eval[bool](t, b, seenScript)
		// kubectl -v=6 logs when the API server answered the create (201),
		// to the microsecond: the pod exists from then on.
		out := c.kubectl(t, "run", "hello", "--image=nginx", "--restart=Never", "-v=6")
		created := createdAt(t, out)
		b.waitJS(t, 10*time.Second, "chip of default/hello", `window.__seen["default/hello"]`)
		seen := eval[float64](t, b, `window.__seen["default/hello"]`)
		latency := time.UnixMilli(int64(seen)).Sub(created)
		t.Logf("pod on the page %s after the API server answered kubectl's create", latency.Round(time.Millisecond))
		if latency > time.Second {
			t.Fatalf("pod appeared %s after it was created, want within 1s", latency)
		}
	})

	t.Run("scale action changes the Deployment", func(t *testing.T) {
		c.kubectl(t, "create", "deployment", "web", "--image=nginx", "--replicas=2")
		b.tab(t, "workloads")
		b.waitJS(t, 10*time.Second, "deployment web", `document.querySelector('[data-deployment="default/web"][data-replicas="2"]')`)
		b.press(t, `[data-deployment="default/web"] button[data-by="1"]`)
		b.waitJS(t, 10*time.Second, "scale request 200", `document.querySelector('#requests li[data-status="200"]')`)
		waitFor(t, 10*time.Second, "spec.replicas 3", func() bool {
			return c.kubectl(t, "get", "deployment", "web", "-o", "jsonpath={.spec.replicas}") == "3"
		})
		b.waitJS(t, 10*time.Second, "page shows 3 replicas", `document.querySelector('[data-deployment="default/web"][data-replicas="3"]')`)
	})

	t.Run("the wire shows kubectl scale in revision order", func(t *testing.T) {
		b.tab(t, "wire")
		before := c.kubectl(t, "get", "deployment", "web", "-o", "jsonpath={.metadata.resourceVersion}")
		c.kubectl(t, "scale", "deployment", "web", "--replicas=6")
		b.waitJS(t, 15*time.Second, "three new web pods on the wire",
			`[...document.querySelectorAll('#wire tr[data-kind="Pod"][data-type="ADDED"]')].filter((r) => r.dataset.name.startsWith("default/web-") && +r.dataset.rv > `+before+`).length >= 3`)
		rvs := eval[[]int](t, b, `[...document.querySelectorAll("#wire tbody tr")].map((r) => +r.dataset.rv)`)
		for i := 1; i < len(rvs); i++ {
			if rvs[i] > rvs[i-1] {
				t.Fatalf("wire rows not in revision order (newest first): %v", rvs)
			}
		}
		kinds := eval[[]string](t, b, `[...document.querySelectorAll("#wire tbody tr")].filter((r) => +r.dataset.rv > `+before+`).map((r) => r.dataset.type + " " + r.dataset.kind + " " + r.dataset.name)`)
		joined := strings.Join(kinds, "\n")
		for _, want := range []string{"MODIFIED Deployment default/web", "MODIFIED ReplicaSet default/web-"} {
			if !strings.Contains(joined, want) {
				t.Fatalf("wire after rv %s lacks %q:\n%s", before, want, joined)
			}
		}
		b.screenshot(t, "wire")
		b.tab(t, "cluster")
		b.waitJS(t, 15*time.Second, "six ready web pods", `document.querySelectorAll('#nodes .chip.Running.ready[data-pod^="default/web-"]').length === 6`)
		b.screenshot(t, "cluster")
	})

	t.Run("workloads: a Service's endpoints follow scaling, a PDB, a Job, a CronJob, sets", func(t *testing.T) {
		b.tab(t, "workloads")
		c.kubectl(t, "expose", "deployment", "web", "--port=80", "--target-port=8080")
		b.waitJS(t, 15*time.Second, "service web with six ready endpoints",
			`document.querySelector('[data-service="default/web"][data-ready="6"][data-notready="0"]')`)
		// kubectl scale returns once the Deployment is written; from there
		// the ReplicaSet controller deletes four pods and the endpoints
		// controller rewrites the slice, which the page watches.
		c.kubectl(t, "scale", "deployment", "web", "--replicas=2")
		scaled := time.Now()
		b.waitJS(t, 15*time.Second, "service web down to two ready endpoints",
			`document.querySelector('[data-service="default/web"][data-ready="2"]')`)
		t.Logf("ready endpoints on the page %s after kubectl scale returned", time.Since(scaled).Round(time.Millisecond))
		want := c.kubectl(t, "get", "endpointslices", "-l", "kubernetes.io/service-name=web",
			"-o", `jsonpath={range .items[*].endpoints[?(@.conditions.ready==true)]}x{end}`)
		b.waitJS(t, 15*time.Second, "page agrees with the EndpointSlices", `document.querySelector('[data-service="default/web"][data-ready="`+fmt.Sprint(len(want))+`"][data-notready="0"]')`)
		if got := eval[string](t, b, `document.querySelector('[data-service="default/web"]').textContent`); !strings.Contains(got, "ClusterIP") || !strings.Contains(got, "80/TCP→8080") {
			t.Errorf("service row %q lacks its type or ports", got)
		}

		// The disruption controller computes allowed disruptions: two
		// healthy pods, one must stay.
		c.kubectl(t, "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=1")
		b.waitJS(t, 15*time.Second, "pdb web allows one disruption", `document.querySelector('[data-pdb="default/web"][data-allowed="1"]')`)
		if got := c.kubectl(t, "get", "pdb", "web", "-o", "jsonpath={.status.disruptionsAllowed}"); got != "1" {
			t.Errorf("status.disruptionsAllowed %q, want 1 as the page shows", got)
		}

		c.kubectl(t, "create", "job", "once", "--image=busybox", "--", "true")
		c.kubectl(t, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "true")
		c.kubectlIn(t, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: nginx}]}
`, "apply", "-f", "-")
		b.waitJS(t, 15*time.Second, "job, cronjob, statefulset and daemonset rows",
			`document.querySelector('[data-job="default/once"]') && document.querySelector('[data-cronjob="default/tick"]') &&
			 document.querySelector('[data-statefulset="default/db"][data-desired="2"]') && document.querySelector('[data-daemonset="default/agent"]')`)
		if got := eval[string](t, b, `document.querySelector('[data-cronjob="default/tick"]').textContent`); !strings.Contains(got, "*/5 * * * *") {
			t.Errorf("cronjob row %q lacks its schedule", got)
		}
		b.screenshot(t, "workloads")
		b.tab(t, "cluster")
	})

	t.Run("cordon and uncordon from a node box", func(t *testing.T) {
		node := eval[string](t, b, `document.querySelector("#nodes .node").dataset.node`)
		b.press(t, `[data-node="`+node+`"] button[data-act="cordon"]`)
		waitFor(t, 10*time.Second, node+" unschedulable", func() bool {
			return c.kubectl(t, "get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
		})
		b.waitJS(t, 10*time.Second, "box shows cordoned", `document.querySelector('[data-node="`+node+`"].cordoned button[data-act="uncordon"]')`)
		b.press(t, `[data-node="`+node+`"] button[data-act="uncordon"]`)
		waitFor(t, 10*time.Second, node+" schedulable", func() bool {
			return c.kubectl(t, "get", "node", node, "-o", "jsonpath={.spec.unschedulable}") != "true"
		})
	})

	t.Run("a stopped node agent: NotReady, its pod evicted, then back", func(t *testing.T) {
		node := eval[string](t, b, `document.querySelector("#nodes .node").dataset.node`)
		box := `[data-node="` + node + `"]`
		// A pod on that node that tolerates its being unreachable for 1s
		// only (pods get 300s by default).
		c.kubectlIn(t, `apiVersion: v1
kind: Pod
metadata:
  name: fragile
spec:
  nodeName: `+node+`
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
  containers:
  - {name: c, image: nginx}
`, "apply", "-f", "-")
		b.waitJS(t, 15*time.Second, "fragile running on "+node, `document.querySelector('`+box+` .chip.Running[data-pod="default/fragile"]')`)

		b.press(t, box+` button[data-act="agent"][data-action="stop"]`)
		b.waitJS(t, 10*time.Second, "stop answered 200", `document.querySelector('#requests li[data-status="200"]').textContent.includes("/nodeagents/`+node+`/stop")`)
		b.waitJS(t, 60*time.Second, node+" NotReady on the page", `document.querySelector('`+box+`.notready button[data-action="start"]')`)
		waitFor(t, 60*time.Second, "fragile evicted", func() bool {
			return c.kubectl(t, "get", "pod", "fragile", "-o", "jsonpath={.metadata.deletionTimestamp}", "--ignore-not-found") != "" ||
				c.kubectl(t, "get", "pod", "fragile", "-o", "name", "--ignore-not-found") == ""
		})
		if taints := c.kubectl(t, "get", "node", node, "-o", "jsonpath={.spec.taints[*].key}"); !strings.Contains(taints, "node.kubernetes.io/unreachable") {
			t.Errorf("taints of %s: %q, want node.kubernetes.io/unreachable", node, taints)
		}
		b.screenshot(t, "node-agent-stopped")

		b.press(t, box+` button[data-act="agent"][data-action="start"]`)
		b.waitJS(t, 60*time.Second, node+" Ready again", `document.querySelector('`+box+`:not(.notready) button[data-action="stop"]')`)
		waitFor(t, 60*time.Second, "fragile gone once its agent is back", func() bool {
			return c.kubectl(t, "get", "pod", "fragile", "-o", "name", "--ignore-not-found") == ""
		})

		// Freeze and unfreeze answer with the agent's state.
		b.press(t, box+` button[data-act="agent"][data-action="freeze"]`)
		b.waitJS(t, 10*time.Second, "box offers unfreeze", `document.querySelector('`+box+` button[data-action="unfreeze"]')`)
		b.press(t, box+` button[data-act="agent"][data-action="unfreeze"]`)
		b.waitJS(t, 10*time.Second, "box offers freeze", `document.querySelector('`+box+` button[data-action="freeze"]')`)
	})

	t.Run("pressure shows requests per resource from /metrics", func(t *testing.T) {
		b.tab(t, "pressure")
		b.waitJS(t, 10*time.Second, "store revision and a row for pods",
			`document.querySelector("#gauges").textContent.includes("store revision") && [...document.querySelectorAll("#pressure td")].some((td) => td.textContent === "pods")`)
		// The dashboard acts as admin; the components under their own names.
		b.waitJS(t, 10*time.Second, "rows for admin and the scheduler by user",
			`document.querySelector('#pressure-users tr[data-user="admin"]') && document.querySelector('#pressure-users tr[data-user="system:kube-scheduler"]')`)
	})

	t.Run("conflict demo shows one 200 and one 409", func(t *testing.T) {
		b.click(t, "#conflict")
		b.waitJS(t, 10*time.Second, "two results", `document.querySelectorAll("#conflict-result > div").length === 2`)
		codes := eval[[]string](t, b, `[...document.querySelectorAll("#conflict-result > div")].map((d) => d.dataset.status).sort()`)
		if strings.Join(codes, ",") != "200,409" {
			t.Fatalf("conflict demo statuses %v, want one 200 and one 409", codes)
		}
	})

	t.Run("stopping the scheduler leader shows the countdown and the new holder", func(t *testing.T) {
		b.tab(t, "leaders")
		b.waitJS(t, 15*time.Second, "scheduler lease with a holder and a countdown",
			`document.querySelector('.lease[data-lease="kube-scheduler"]:not([data-holder=""]) .countdown')`)
		b.waitJS(t, 15*time.Second, "the leader among the replicas", `document.querySelector('.replica.leader[data-role="scheduler"]')`)
		old := eval[string](t, b, `document.querySelector('.lease[data-lease="kube-scheduler"]').dataset.holder`)
		b.press(t, `.replica.leader[data-role="scheduler"] button[data-action="stop"]`)
		b.waitJS(t, 30*time.Second, "a new holder",
			`(() => { const h = document.querySelector('.lease[data-lease="kube-scheduler"]').dataset.holder; return h && h !== `+strconv.Quote(old)+`; })()`)
		b.screenshot(t, "leaders")
	})

	if errs := b.consoleErrors(true); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}

var created201 = regexp.MustCompile(`(?m)^I(\d{4} \d{2}:\d{2}:\d{2}\.\d{6}) .*\] POST \S+/pods\S* 201 Created`)

// createdAt finds, in kubectl -v=6 output, when the API server answered a
// pod's create (klog's time, local, this year).
func createdAt(t *testing.T, out string) time.Time {
	t.Helper()
	m := created201.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no POST .../pods 201 in kubectl's log:\n%s", out)
	}
	ts, err := time.ParseInLocation("0102 15:04:05.000000", m[1], time.Local)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return ts.AddDate(now.Year(), 0, 0)
}

// waitFor polls cond until it holds, failing after timeout with what.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func init() {
	// kubectl must not read the developer's own config.
	os.Unsetenv("KUBECONFIG")
}
