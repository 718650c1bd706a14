package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSchedulerDecisions runs a cluster with --scheduler-decisions and a
// Deployment of 4 replicas with required hostname anti-affinity on 3
// nodes (examples/anti-affinity-deployment.yaml): three are bound, one per
// node, and the fourth stays Pending with kube-scheduler's message. The
// decision annotation reads with the README's kubectl command, and the
// Scheduler view shows it.
func TestSchedulerDecisions(t *testing.T) {
	c := startAll(t, clusterConfig, "--nodes", "3", "--runtime", "sim", "--scheduler-decisions")
	b := newBrowser(t)
	c.kubectl(t, "apply", "-f", "../../examples/anti-affinity-deployment.yaml")

	const want = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
	var pending, last string
	defer func() {
		if t.Failed() {
			t.Logf("last pods seen:\n%s\nevents:\n%s", last, c.kubectl(t, "get", "events", "-o", "wide"))
		}
	}()
	waitFor(t, 30*time.Second, "3 pods bound on 3 nodes and one Pending with kube-scheduler's message", func() bool {
		out := c.kubectl(t, "get", "pods", "-l", "app=spread-out", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}`)
		last = out
		nodes, pendings := map[string]bool{}, 0
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.SplitN(line, " ", 3)
			if len(f) == 3 && f[1] == "" && f[2] == want {
				pending, pendings = f[0], pendings+1
			} else if len(f) >= 2 && f[1] != "" {
				nodes[f[1]] = true
			}
		}
		return len(nodes) == 3 && pendings == 1
	})
	events := c.kubectl(t, "get", "events", "--field-selector", "involvedObject.name="+pending, "-o", "jsonpath={.items[*].message}")
	if !strings.Contains(events, want) {
		t.Fatalf("FailedScheduling events of %s: %q, want %q", pending, events, want)
	}

	// The README's command.
	var d struct {
		Selected string `json:"selected"`
		Message  string `json:"message"`
		Nodes    []struct {
			Name   string `json:"name"`
			Filter string `json:"filter"`
		} `json:"nodes"`
	}
	waitFor(t, 30*time.Second, "the decision annotation", func() bool {
		raw := c.kubectl(t, "get", "pod", pending, "-o", `jsonpath={.metadata.annotations.scheduler\.minik8s\.io/decision}`)
		return raw != "" && json.Unmarshal([]byte(raw), &d) == nil && d.Message == want
	})
	if d.Selected != "" || len(d.Nodes) != 3 {
		t.Fatalf("decision of %s: %+v, want no node picked and 3 nodes", pending, d)
	}
	for _, n := range d.Nodes {
		if n.Filter != "node(s) didn't match pod anti-affinity rules" {
			t.Fatalf("node %s: filter %q", n.Name, n.Filter)
		}
	}

	b.do(t, chromedp.Navigate(c.login))
	b.waitJS(t, 10*time.Second, "page watching", `document.querySelector("#conn.ok")`)
	b.tab(t, "scheduler")
	b.waitJS(t, 10*time.Second, "the decision list", `document.querySelectorAll("#decision-pod option").length === 4`)
	eval[bool](t, b, `(() => { const s = document.querySelector("#decision-pod"); s.value = "default/`+pending+`";
		s.dispatchEvent(new Event("change")); return true; })()`)
	b.waitJS(t, 10*time.Second, "the pending pod's decision",
		`document.querySelector("#decision").textContent.includes("no node fits") && document.querySelectorAll("#decision-table tr.refused").length === 3`)
	b.screenshot(t, "scheduler-decision")
	// A bound pod's decision: its node picked, with a score per plugin.
	eval[bool](t, b, `(() => { const s = document.querySelector("#decision-pod");
		s.value = [...s.options].map((o) => o.value).find((v) => (decisionOf(stores.pods.get(v)) || "").includes("scores"));
		s.dispatchEvent(new Event("change")); return true; })()`)
	b.waitJS(t, 10*time.Second, "a bound pod's decision",
		`document.querySelector("#decision-table tr.picked") && document.querySelector("#decision-table th:nth-child(3)")?.title === "NodeResourcesFit"`)
	b.screenshot(t, "scheduler-decision-bound")
	if errs := b.consoleErrors(false); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}
