package dashboard

import (
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// probeScript creates pod name through the page's backend and resolves
// with the milliseconds from sending the request to the pod's chip being
// in the page (window.__seen, see seenScript).
const probeScript = `(async (name) => {
  const t0 = Date.now();
  const r = await fetch("/k8s/api/v1/namespaces/default/pods", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ metadata: { name }, spec: { containers: [{ name: "c", image: "nginx" }] } }) });
  if (r.status !== 201) return -r.status;
  for (;;) {
    if (window.__seen["default/" + name]) return window.__seen["default/" + name] - t0;
    await new Promise((res) => setTimeout(res, 5));
  }
})(%q)`

// TestLoad measures the dashboard's update latency with 1,000 pods on 100
// simulated nodes: the time from the page's request creating a pod to the
// pod's chip in the DOM (request, commit, watch, relay, redraw), and the
// time each animation frame spent redrawing. It is a measurement, not a
// check, so it runs only with MINIK8S_DASHBOARD_LOAD=1.
func TestLoad(t *testing.T) {
	if os.Getenv("MINIK8S_DASHBOARD_LOAD") != "1" {
		t.Skip("a measurement: set MINIK8S_DASHBOARD_LOAD=1 to run it")
	}
	c := startAll(t, clusterConfig, "--nodes", "100", "--runtime", "sim")
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(c.login))
	b.waitJS(t, 30*time.Second, "100 node boxes", `document.querySelectorAll("#nodes .node").length === 100`)
	eval[bool](t, b, seenScript)

	start := time.Now()
	c.kubectl(t, "create", "deployment", "load", "--image=nginx", "--replicas=1000")
	b.waitJS(t, 5*time.Minute, "1000 ready pods on the page", `document.querySelectorAll("#nodes .chip.Running.ready").length >= 1000`)
	t.Logf("1000 pods Running and ready on the page %s after kubectl create", time.Since(start).Round(time.Second))
	frames := eval[[]float64](t, b, `window.dashStats.renderMs`)
	sort.Float64s(frames)
	t.Logf("redraw per animation frame during the ramp (last %d frames): median %.1f ms, p95 %.1f ms, max %.1f ms",
		len(frames), frames[len(frames)/2], frames[len(frames)*95/100], frames[len(frames)-1])

	var lat []float64
	for i := range 20 {
		ms := eval[float64](t, b, fmt.Sprintf(probeScript, fmt.Sprintf("probe-%d", i)), chromedp.EvalAwaitPromise)
		if ms < 0 {
			t.Fatalf("create probe-%d: status %v", i, -ms)
		}
		lat = append(lat, ms)
	}
	sort.Float64s(lat)
	t.Logf("update latency at 1000 pods on 100 nodes (create request to chip in the DOM, 20 pods): median %.0f ms, p95 %.0f ms, max %.0f ms",
		lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1])
}
