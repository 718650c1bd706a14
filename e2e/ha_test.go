package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
)

// The recipe's election settings (hack/ha.sh): lease 4s, retry 500ms.
const (
	haLease = 4 * time.Second
	haRetry = 500 * time.Millisecond
	// haPollSlack is how late ha.sh may see a takeover: it polls the Lease
	// with kubectl, and each call took up to a few hundred milliseconds in
	// CI while every package's tests ran at once (4.96 s once against a
	// 4.9 s bound with 300 ms here). A standby that waited for a second
	// lease would still be caught.
	haPollSlack = time.Second
)

// TestHA runs the HA recipe, hack/ha.sh, as separate processes on a fresh
// Postgres database and Redis: API servers A and B, a scheduler process
// with 3 replicas (through A), a controller-manager process with 2 (through
// B) and a kubelet with 5 simulated nodes. With the real kubectl, through
// B, it runs a Deployment of 50 pods; stops the scheduler leader while 100
// more pods are created, and checks that a standby takes over and every
// pod is bound exactly once; freezes the next scheduler leader and checks
// that a standby takes over once the lease expires; stops the
// controller-manager leader while the
// Deployment scales to 80, and checks it converges to exactly 80 pods,
// never more than replicas+maxSurge. Every binding is counted from a
// kubectl watch on A, which also shows that A sees the writes made via B.
func TestHA(t *testing.T) {
	store := testenv.Postgres(t)
	redisURL := testenv.Redis(t)
	t.Parallel()
	h := haUp(t, store, redisURL)
	w := haWatchPods(t, h.kubectl("a"))

	// A Deployment of 50 replicas, through B.
	out := h.run(t, h.kubectl("b"), "apply", "-f", "-").stdin(haDeployment(50)).must()
	if !strings.Contains(out, "deployment.apps/web created") {
		t.Fatalf("kubectl apply: %q", out)
	}
	haEventually(t, 40*time.Second, "50 web pods Running", func() bool { return w.running("web") == 50 })
	if n := len(haLines(h.run(t, h.kubectl("b"), "get", "pods", "-l", "app=web", "--field-selector", "status.phase=Running", "-o", "name").must())); n != 50 {
		t.Fatalf("kubectl via B lists %d Running web pods, want 50", n)
	}

	// Who leads: one line.
	leaders := h.script(t, "leaders")
	oldSched, oldCM := haHolder(t, leaders, "kube-scheduler"), haHolder(t, leaders, "kube-controller-manager")
	t.Logf("leaders:\n%s", leaders)

	// Stop the scheduler leader while 100 more pods are created via B.
	created := make(chan string, 1)
	go func() {
		out, err := h.run(t, h.kubectl("b"), "create", "-f", "-").stdin(haPods("burst", 100)).output()
		if err != nil {
			out = fmt.Sprintf("kubectl create: %v: %s", err, out)
		}
		created <- out
	}()
	haEventually(t, 20*time.Second, "the first burst pods", func() bool { return w.added("burst") >= 10 })
	kill := h.script(t, "kill-leader", "scheduler")
	schedFailover := haTakeover(t, kill)
	if out := <-created; strings.Count(out, " created") != 100 {
		t.Fatalf("kubectl create of 100 pods: %s", out)
	}
	newSched := haHolder(t, h.script(t, "leaders"), "kube-scheduler")
	if newSched == oldSched {
		t.Fatalf("the stopped scheduler %s still holds the lease", oldSched)
	}
	haEventually(t, 30*time.Second, "150 pods bound", func() bool { return w.bound() == 150 })
	time.Sleep(500 * time.Millisecond) // a late second binding would show now
	w.checkBoundOnce(t, 150)
	nodes := haLines(h.run(t, h.kubectl("b"), "get", "pods", "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}").must())
	if len(nodes) != 150 || slices.Contains(nodes, "") {
		t.Fatalf("kubectl via B: %d pods, want 150, all bound: %q", len(nodes), nodes)
	}
	if n := w.added("burst"); n != 100 {
		t.Fatalf("the watch on A saw %d of the 100 pods created via B", n)
	}

	// Freeze the new scheduler leader, as if SIGSTOPped, and create 20
	// pods: a standby takes over once the lease expires; once unfrozen,
	// the old leader binds nothing.
	frozen := h.script(t, "freeze-leader", "scheduler")
	h.run(t, h.kubectl("b"), "create", "-f", "-").stdin(haPods("late", 20)).must()
	freezeFailover := haTakeover(t, frozen)
	if freezeFailover < haLease-haRetry*6/5 {
		t.Errorf("a standby took over %s after the freeze, before the lease (%s) could expire", freezeFailover, haLease)
	}
	afterFreeze := haHolder(t, h.script(t, "leaders"), "kube-scheduler")
	h.script(t, "unfreeze", "scheduler")
	haEventually(t, 30*time.Second, "170 pods bound", func() bool { return w.bound() == 170 })
	time.Sleep(time.Second) // the unfrozen replica would bind now, if it could
	w.checkBoundOnce(t, 170)

	// Stop the controller-manager leader mid-scale, 50 → 80.
	h.run(t, h.kubectl("b"), "scale", "deployment", "web", "--replicas=80").must()
	haEventually(t, 20*time.Second, "the scale-up to start", func() bool { return w.live("web") > 50 })
	cmFailover := haTakeover(t, h.script(t, "kill-leader", "controller-manager"))
	newCM := haHolder(t, h.script(t, "leaders"), "kube-controller-manager")
	if newCM == oldCM {
		t.Fatalf("the stopped controller manager %s still holds the lease", oldCM)
	}
	haEventually(t, 30*time.Second, "80 web pods Running", func() bool { return w.running("web") == 80 })
	time.Sleep(2 * time.Second) // an overshoot would show now
	if n := w.live("web"); n != 80 {
		t.Fatalf("%d live web pods after the scale, want exactly 80", n)
	}
	if n := len(haLines(h.run(t, h.kubectl("b"), "get", "pods", "-l", "app=web", "-o", "name").must())); n != 80 {
		t.Fatalf("kubectl via B lists %d web pods, want 80", n)
	}
	if got := h.run(t, h.kubectl("b"), "get", "deploy", "web", "-o", "jsonpath={.status.replicas}").must(); got != "80" {
		t.Fatalf("deployment status.replicas = %q, want 80", got)
	}
	maxSurge := int(math.Ceil(80 * 0.25)) // the default 25%
	for rs, n := range w.maxLive() {
		if !strings.HasPrefix(rs, "web-") {
			continue
		}
		if n > 80+maxSurge {
			t.Errorf("ReplicaSet %s had %d live pods at once, more than replicas+maxSurge = %d", rs, n, 80+maxSurge)
		}
		t.Logf("ReplicaSet %s: at most %d live pods at once (limit %d)", rs, n, 80+maxSurge)
	}
	w.checkBoundOnce(t, 200)

	t.Logf("failover (lease %s, retry %s): scheduler leader stopped (it releases the lease): %s → %s in %s; "+
		"scheduler leader frozen (the lease must expire): %s → %s in %s; controller-manager leader stopped: %s → %s in %s",
		haLease, haRetry, oldSched, newSched, schedFailover.Round(time.Millisecond), newSched, afterFreeze, freezeFailover.Round(time.Millisecond), oldCM, newCM, cmFailover.Round(time.Millisecond))
}

// haCluster is the recipe's processes, as hack/ha.sh started them.
type haCluster struct {
	root string   // the repository
	dir  string   // HA_DIR
	env  []string // the script's settings
}

// haUp builds minik8s (unless MINIK8S_BIN names it; a relative path is
// relative to the repository) and runs hack/ha.sh up
// on random free ports with store and redisURL; the test's cleanup runs
// hack/ha.sh down.
func haUp(t *testing.T, store, redisURL string) *haCluster {
	t.Helper()
	for _, tool := range []string{"kubectl", "curl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := os.Getenv("MINIK8S_BIN")
	if bin == "" {
		bin = filepath.Join(tmp, "minik8s")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build minik8s: %v\n%s", err, out)
		}
	} else if !filepath.IsAbs(bin) {
		bin = filepath.Join(root, bin) // as make, in the repository, means it
	}
	h := &haCluster{root: root, dir: filepath.Join(tmp, "ha")}
	ports := testenv.FreePorts(t, 4)
	h.env = append(os.Environ(),
		"MINIK8S_BIN="+bin, "HA_DIR="+h.dir, "HA_STORE="+store, "HA_REDIS="+redisURL,
		fmt.Sprint("HA_PORT_A=", ports[0]), fmt.Sprint("HA_PORT_B=", ports[1]),
		fmt.Sprint("HA_SCHEDULER_PORT=", ports[2]), fmt.Sprint("HA_CM_PORT=", ports[3]), "HA_KUBELET_PORT=0",
		"HA_LOG_FORMAT=json",
	)
	t.Cleanup(func() {
		out, err := h.cmd(context.Background(), "", filepath.Join(root, "hack", "ha.sh"), "down").CombinedOutput()
		if err != nil {
			t.Errorf("hack/ha.sh down: %v\n%s", err, out)
		}
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(h.dir, "logs", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				if len(b) > 3000 {
					b = b[len(b)-3000:]
				}
				t.Logf("%s (last 3000 bytes):\n%s", filepath.Base(l), b)
			}
		}
	})
	start := time.Now()
	out := h.script(t, "up")
	t.Logf("hack/ha.sh up (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	return h
}

// kubectl is the kubectl command line for API server name ("a" or "b").
func (h *haCluster) kubectl(name string) []string {
	return []string{"kubectl", "--kubeconfig", filepath.Join(h.dir, "kubeconfig-"+name), "-n", "default"}
}

func (h *haCluster) cmd(ctx context.Context, stdin string, argv ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir, c.Env = h.root, h.env
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	return c
}

// script runs hack/ha.sh args and returns its output; it fails the test if
// the script fails.
func (h *haCluster) script(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := h.cmd(ctx, "", append([]string{filepath.Join(h.root, "hack", "ha.sh")}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("hack/ha.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// haRun is one command to run: run(...).stdin(s).must().
type haRun struct {
	t     *testing.T
	h     *haCluster
	argv  []string
	input string
}

func (h *haCluster) run(t *testing.T, base []string, args ...string) *haRun {
	return &haRun{t: t, h: h, argv: append(append([]string(nil), base...), args...)}
}

func (r *haRun) stdin(s string) *haRun { r.input = s; return r }

// output runs the command and returns its trimmed stdout, or an error
// carrying its stderr.
func (r *haRun) output() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := r.h.cmd(ctx, r.input, r.argv...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(r.argv, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// must is output, failing the test on error.
func (r *haRun) must() string {
	r.t.Helper()
	out, err := r.output()
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// haHolder is the HOLDER column of lease in `kubectl get leases` output.
func haHolder(t *testing.T, out, lease string) string {
	t.Helper()
	for _, line := range haLines(out) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == lease {
			return f[1]
		}
	}
	t.Fatalf("no holder of %s in:\n%s", lease, out)
	return ""
}

var haTookOver = regexp.MustCompile(`took over after ([0-9.]+)s`)

// haTakeover is the failover time hack/ha.sh kill-leader measured (from the
// stop until the Lease names another holder); it fails the test if that
// is longer than the lease duration plus a retry period, with 20% jitter
// and haPollSlack for ha.sh's polling through kubectl.
func haTakeover(t *testing.T, out string) time.Duration {
	t.Helper()
	m := haTookOver.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no takeover in:\n%s", out)
	}
	s, _ := strconv.ParseFloat(m[1], 64)
	d := time.Duration(s * float64(time.Second))
	if limit := haLease + haRetry*6/5 + haPollSlack; d > limit {
		t.Errorf("failover took %s, want at most %s:\n%s", d, limit, out)
	}
	return d
}

// haPodWatch follows `kubectl get pods -w` on one API server.
type haPodWatch struct {
	mu      sync.Mutex
	node    map[string]string // pod → spec.nodeName
	binds   map[string]int    // pod → times it went from unbound to bound
	moved   []string          // pods whose nodeName changed once set
	phase   map[string]string // live pods → status.phase
	owner   map[string]string // pod → owning ReplicaSet ("" for none)
	app     map[string]string // pod → its app label
	adds    map[string]int    // app label → pods added
	liveRS  map[string]int    // ReplicaSet → live pods
	maxRS   map[string]int    // ReplicaSet → most live pods at once
	watchIO error
}

type haPod struct {
	Metadata struct {
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
		OwnerReferences   []struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"ownerReferences"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

// haWatchPods starts kubectl argv get pods -w and follows its events
// until the test ends; the test fails if the watch ends before.
func haWatchPods(t *testing.T, argv []string) *haPodWatch {
	t.Helper()
	w := &haPodWatch{
		node: map[string]string{}, binds: map[string]int{}, phase: map[string]string{},
		owner: map[string]string{}, app: map[string]string{}, adds: map[string]int{},
		liveRS: map[string]int{}, maxRS: map[string]int{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	args := append(append([]string(nil), argv[1:]...), "get", "pods", "--watch", "--output-watch-events", "-o", "json")
	c := exec.CommandContext(ctx, argv[0], args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dec := json.NewDecoder(stdout)
		for {
			var ev struct {
				Type   string `json:"type"`
				Object haPod  `json:"object"`
			}
			if err := dec.Decode(&ev); err != nil {
				if ctx.Err() == nil {
					if errors.Is(err, io.EOF) {
						err = errors.New("the watch ended")
					}
					w.mu.Lock()
					w.watchIO = fmt.Errorf("%w: %s", err, stderr.String())
					w.mu.Unlock()
				}
				return
			}
			w.apply(ev.Type, ev.Object)
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = c.Wait()
		<-done
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.watchIO != nil {
			t.Errorf("kubectl get pods --watch: %v", w.watchIO)
		}
	})
	// Objects created before kubectl's list are in it, as ADDED events:
	// no binding is missed however late the watch starts.
	return w
}

func (w *haPodWatch) apply(typ string, p haPod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	name := p.Metadata.Name
	if _, seen := w.app[name]; !seen {
		w.app[name] = p.Metadata.Labels["app"]
		w.adds[w.app[name]]++
		for _, o := range p.Metadata.OwnerReferences {
			if o.Kind == "ReplicaSet" {
				w.owner[name] = o.Name
			}
		}
	}
	if n := p.Spec.NodeName; n != "" {
		switch old := w.node[name]; {
		case old == "":
			w.node[name] = n
			w.binds[name]++
		case old != n:
			w.moved = append(w.moved, fmt.Sprintf("%s: %s → %s", name, old, n))
		}
	}
	_, wasLive := w.phase[name]
	isLive := typ != "DELETED" && p.Metadata.DeletionTimestamp == nil && p.Status.Phase != "Succeeded" && p.Status.Phase != "Failed"
	if isLive {
		w.phase[name] = p.Status.Phase
	} else {
		delete(w.phase, name)
	}
	if rs := w.owner[name]; rs != "" && wasLive != isLive {
		if isLive {
			w.liveRS[rs]++
			w.maxRS[rs] = max(w.maxRS[rs], w.liveRS[rs])
		} else {
			w.liveRS[rs]--
		}
	}
}

// live counts the live pods labelled app; running, those Running.
func (w *haPodWatch) live(app string) int    { return w.count(app, "") }
func (w *haPodWatch) running(app string) int { return w.count(app, "Running") }

func (w *haPodWatch) count(app, phase string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for name, ph := range w.phase {
		if w.app[name] == app && (phase == "" || ph == phase) {
			n++
		}
	}
	return n
}

// added counts the pods labelled app the watch has seen.
func (w *haPodWatch) added(app string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.adds[app]
}

// bound counts the pods the watch has seen bound.
func (w *haPodWatch) bound() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.node)
}

func (w *haPodWatch) maxLive() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.maxRS))
	for rs, n := range w.maxRS {
		out[rs] = n
	}
	return out
}

// checkBoundOnce checks that n pods were bound, each exactly once and
// never moved.
func (w *haPodWatch) checkBoundOnce(t *testing.T, n int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.moved) > 0 {
		t.Errorf("pods bound twice, to different nodes: %v", w.moved)
	}
	if len(w.node) != n {
		t.Errorf("the watch saw %d pods bound, want %d", len(w.node), n)
	}
	for pod, k := range w.binds {
		if k != 1 {
			t.Errorf("pod %s bound %d times", pod, k)
		}
	}
}

func haDeployment(replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: %d
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`, replicas)
}

// haPods is n bare pods app-0… labelled app, as one multi-document YAML.
func haPods(app string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata:
  name: %s-%d
  labels:
    app: %s
spec:
  containers:
  - name: c
    image: busybox
`, app, i, app)
	}
	return b.String()
}

func haLines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func haEventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
