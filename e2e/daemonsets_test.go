package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// TestDaemonSetsAndStatefulSets drives the DaemonSet and StatefulSet
// controllers with kubectl on one cluster of 3 simulated nodes, a 4th
// joining in a process of its own. The steps build on each other, so they
// run in order and the first failure stops the rest.
func TestDaemonSetsAndStatefulSets(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim"}})
	for _, step := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		// The joining node's kubelet lives as long as the whole test.
		{"DaemonSetOnEveryNode", func(st *testing.T, c *cluster) { testDaemonSetNodes(st, c, t) }},
		{"DaemonSetRolloutUndo", testDaemonSetRollout},
		{"StatefulSetScaleInOrder", testStatefulSetScale},
		{"StatefulSetRolloutUndo", testStatefulSetRollout},
		{"StatefulSetBlockedByUnreadyPod", testStatefulSetBlocked},
	} {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, c.on(t)) }) {
			t.FailNow()
		}
	}
}

// daemonSet is a DaemonSet of image; extra is YAML added to its pod spec.
func daemonSet(name, image, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %[1]s}
spec:
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers: [{name: app, image: %[2]q}]
%[3]s`, name, image, extra)
}

// podNodes returns "pod@node" of the running pods of label selector sel
// and their nodes.
func (c *cluster) podNodes(sel string) (pods, nodes []string) {
	c.t.Helper()
	for _, p := range c.getPods("-l", sel) {
		if p.status == "Running" && allReady(p.ready) {
			pods = append(pods, p.name+"@"+p.node)
			nodes = append(nodes, p.node)
		}
	}
	slices.Sort(nodes)
	return pods, nodes
}

// waitDaemonPods waits until the DaemonSet of app runs one ready pod on
// each of nodes and nowhere else.
func (c *cluster) waitDaemonPods(app string, nodes []string) {
	c.t.Helper()
	want := slices.Clone(nodes)
	slices.Sort(want)
	eventually(c.t, testTimeout, fmt.Sprintf("a pod of %s on each of %v", app, want), func() string {
		rows := c.getPods("-l", "app="+app)
		pods, got := c.podNodes("app=" + app)
		if len(rows) != len(want) || !slices.Equal(got, want) {
			return fmt.Sprintf("%d pods, running on %v", len(rows), pods)
		}
		return ""
	})
}

func testDaemonSetNodes(t *testing.T, c *cluster, whole *testing.T) {
	nodes := strings.Fields(c.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(nodes) != 3 {
		t.Fatalf("nodes %v, want 3", nodes)
	}
	c.kubectlStdin(daemonSet("agent", "nginx:1.27", ""), "apply", "-f", "-")
	if out := c.kubectl("rollout", "status", "daemonset/agent", "--timeout=60s"); !strings.Contains(out, `daemon set "agent" successfully rolled out`) {
		t.Fatalf("rollout status: %q", out)
	}
	c.waitDaemonPods("agent", nodes)

	// A 4th node joins, in a process of its own: it gets a daemon pod.
	kubelet := exec.Command(binPath, "--data-dir", c.dataDir, "kubelet", "--node-name", "joiner", "--runtime", "sim", "--port", "0")
	kubelet.Env = cleanEnv()
	var kout syncbuf.Buffer
	kubelet.Stdout, kubelet.Stderr = &kout, &kout
	if err := kubelet.Start(); err != nil {
		t.Fatal(err)
	}
	whole.Cleanup(func() {
		_ = kubelet.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = kubelet.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = kubelet.Process.Kill()
			<-done
		}
		if whole.Failed() {
			whole.Logf("kubelet joiner:\n%s", tail(plain(kout.String()), 30))
		}
	})
	all := append(slices.Clone(nodes), "joiner")
	c.waitDaemonPods("agent", all)
	eventually(t, testTimeout, "status of 4 nodes", func() string {
		got := c.jsonpath("ds/agent", "{.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberReady} {.status.updatedNumberScheduled} {.status.numberAvailable}")
		if got != "4 4 4 4 4" {
			return "desired current ready updated available: " + got
		}
		return ""
	})
	pod := c.kubectl("get", "pods", "-l", "app=agent", "--field-selector", "spec.nodeName=joiner", "-o", "json")
	for _, want := range []string{`"key": "node.kubernetes.io/unreachable"`, `"key": "node.kubernetes.io/unschedulable"`, `"key": "metadata.name"`, `"controller-revision-hash"`} {
		if !strings.Contains(pod, want) {
			t.Errorf("the daemon pod on joiner lacks %s:\n%s", want, pod)
		}
	}

	// Node selection: a DaemonSet for the nodes labelled disk=ssd, and a
	// NoExecute taint that neither DaemonSet tolerates.
	c.kubectl("label", "node", "joiner", "disk=ssd")
	c.kubectlStdin(daemonSet("picky", "nginx:1.27", "      nodeSelector: {disk: ssd}\n"), "apply", "-f", "-")
	c.waitDaemonPods("picky", []string{"joiner"})
	c.kubectl("taint", "node", "joiner", "e2e=away:NoExecute")
	c.waitDaemonPods("picky", nil)
	c.waitDaemonPods("agent", nodes)
	if got := c.jsonpath("ds/picky", "{.status.desiredNumberScheduled}"); got != "0" {
		t.Errorf("picky desiredNumberScheduled %q on a tainted node, want 0", got)
	}
	c.kubectl("taint", "node", "joiner", "e2e=away:NoExecute-")
	c.waitDaemonPods("picky", []string{"joiner"})
	c.waitDaemonPods("agent", all)
	c.kubectl("delete", "ds", "picky")
	c.waitDaemonPods("picky", nil)
}

func testDaemonSetRollout(t *testing.T, c *cluster) {
	nodes := strings.Fields(c.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	c.kubectl("set", "image", "daemonset/agent", "app=nginx:1.28")
	if out := c.kubectl("rollout", "status", "daemonset/agent", "--timeout=60s"); !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("rollout status: %q", out)
	}
	c.waitDaemonPods("agent", nodes)
	if imgs := c.kubectl("get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.containers[0].image}"); strings.Count(imgs, "nginx:1.28") != len(nodes) {
		t.Fatalf("images after the rollout: %q", imgs)
	}
	hist := c.kubectl("rollout", "history", "daemonset/agent")
	if !regexpLines(hist, `^1\s+<none>$`, `^2\s+<none>$`) {
		t.Errorf("rollout history:\n%s", hist)
	}
	if out := c.kubectl("rollout", "history", "daemonset/agent", "--revision=1"); !strings.Contains(out, "nginx:1.27") {
		t.Errorf("rollout history --revision=1:\n%s", out)
	}
	if out := c.kubectl("rollout", "undo", "daemonset/agent"); !strings.Contains(out, "rolled back") {
		t.Fatalf("rollout undo: %q", out)
	}
	c.kubectl("rollout", "status", "daemonset/agent", "--timeout=60s")
	eventually(t, testTimeout, "pods back on nginx:1.27", func() string {
		imgs := c.kubectl("get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.containers[0].image}")
		if strings.Count(imgs, "nginx:1.27") != len(nodes) || strings.Contains(imgs, "1.28") {
			return imgs
		}
		return ""
	})
	// The undo made revision 1 the newest, as revision 3.
	hist = c.kubectl("rollout", "history", "daemonset/agent")
	if !regexpLines(hist, `^2\s+<none>$`, `^3\s+<none>$`) || regexpLines(hist, `^1\s`) {
		t.Errorf("rollout history after undo:\n%s", hist)
	}
	if out := c.kubectl("rollout", "undo", "daemonset/agent", "--to-revision=3"); !strings.Contains(out, "skipped rollback (current template already matches revision 3)") {
		t.Errorf("undo to the current revision: %q", out)
	}
	if n := len(lines(c.kubectl("get", "controllerrevisions", "-l", "app=agent", "-o", "name"))); n != 2 {
		t.Errorf("%d controller revisions, want 2", n)
	}
}

// regexpLines reports whether each pattern matches a line of out.
func regexpLines(out string, patterns ...string) bool {
	for _, p := range patterns {
		if !hasLine(out, p) {
			return false
		}
	}
	return true
}

func hasLine(out, pattern string) bool {
	for _, l := range lines(out) {
		if ok, _ := regexp.MatchString(pattern, strings.TrimSpace(l)); ok {
			return true
		}
	}
	return false
}

const statefulSetYAML = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 0
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: nginx:1.27
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`

// podWatch records `kubectl get pods -w` of the pods of an app label:
// one event per line, split into fields by events().
type podWatch struct {
	app    string
	buf    syncbuf.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

// watchPods starts watching the pods labelled app=<app>, and returns once
// the watch runs: it has seen a sentinel pod (app=<app>-sentinel, not
// selected by any controller) come, which it then deletes.
func (c *cluster) watchPods(app string) *podWatch {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &podWatch{app: app, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		runKubectlTo(ctx, &w.buf, []string{"KUBECONFIG=" + c.kubeconfig}, "get", "pods", "-l", fmt.Sprintf("app in (%s,%s-sentinel)", app, app),
			"-w", "--output-watch-events",
			"-o", `jsonpath={.type} {.object.metadata.name} {.object.metadata.uid} {.object.metadata.deletionTimestamp} {.object.status.conditions[?(@.type=="Ready")].status}{"\n"}`)
	}()
	c.t.Cleanup(w.stop)
	sentinel := app + "-sentinel"
	c.kubectl("run", sentinel, "--image=nginx:1.27", "--labels=app="+sentinel)
	eventually(c.t, testTimeout, "the watch to see "+sentinel, func() string {
		if !strings.Contains(w.buf.String(), " "+sentinel+" ") {
			return w.buf.String()
		}
		return ""
	})
	c.kubectl("delete", "pod", sentinel, "--wait=false")
	return w
}

func (w *podWatch) stop() { w.cancel(); <-w.done }

// watchEvent is one line of a podWatch.
type watchEvent struct {
	typ, name   string
	uid         string
	terminating bool
	ready       bool
}

// events returns the events seen so far of the app's pods.
func (w *podWatch) events() []watchEvent {
	var out []watchEvent
	for _, l := range lines(w.buf.String()) {
		f := strings.Fields(l)
		if len(f) < 3 || strings.HasSuffix(f[1], "-sentinel") {
			continue
		}
		ev := watchEvent{typ: f[0], name: f[1], uid: f[2]}
		for _, x := range f[3:] {
			switch x {
			case "True":
				ev.ready = true
			case "False":
			default:
				ev.terminating = true // a deletionTimestamp
			}
		}
		out = append(out, ev)
	}
	return out
}

// firstIndex is the index of the first event satisfying f, or -1.
func firstIndex(evs []watchEvent, f func(ev watchEvent) bool) int {
	return slices.IndexFunc(evs, f)
}

func testStatefulSetScale(t *testing.T, c *cluster) {
	c.kubectlStdin(statefulSetYAML, "apply", "-f", "-")
	c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s")
	w := c.watchPods("db")
	c.kubectl("scale", "statefulset", "db", "--replicas=3")
	if out := c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s"); !strings.Contains(out, "3 new pods have been updated") {
		t.Fatalf("rollout status: %q", out)
	}
	c.waitRunning(3, "-l", "app=db")
	eventually(t, testTimeout, "the watch to see db-2 ready", func() string {
		if firstIndex(w.events(), func(ev watchEvent) bool { return ev.name == "db-2" && ev.ready }) < 0 {
			return w.buf.String()
		}
		return ""
	})
	evs := w.events()
	// OrderedReady: db-N is created only after db-(N-1) was seen ready.
	for i := 1; i < 3; i++ {
		added := firstIndex(evs, func(ev watchEvent) bool { return ev.typ == "ADDED" && ev.name == fmt.Sprintf("db-%d", i) })
		ready := firstIndex(evs, func(ev watchEvent) bool { return ev.name == fmt.Sprintf("db-%d", i-1) && ev.ready })
		if added < 0 || ready < 0 || added < ready {
			t.Errorf("db-%d added at event %d, db-%d ready at event %d:\n%s", i, added, i-1, ready, w.buf.String())
		}
	}
	ident := c.kubectl("get", "pods", "-l", "app=db", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.spec.hostname}.{.spec.subdomain} {.metadata.labels.apps\.kubernetes\.io/pod-index} {.metadata.labels.statefulset\.kubernetes\.io/pod-name} {.spec.volumes[?(@.name=="data")].persistentVolumeClaim.claimName}{"\n"}{end}`)
	for i := range 3 {
		want := fmt.Sprintf("db-%d db-%d.db %d db-%d data-db-%d", i, i, i, i, i)
		if !strings.Contains(ident, want) {
			t.Errorf("pod identities lack %q:\n%s", want, ident)
		}
	}
	claims := c.kubectl("get", "pvc", "-o", "name")
	for i := range 3 {
		if !strings.Contains(claims, fmt.Sprintf("persistentvolumeclaim/data-db-%d", i)) {
			t.Errorf("claims %q lack data-db-%d", claims, i)
		}
	}

	// Scale down to 1: db-2 goes first, then db-1; the claims stay.
	c.kubectl("scale", "statefulset", "db", "--replicas=1")
	c.waitRunning(1, "-l", "app=db")
	eventually(t, testTimeout, "the watch to see db-1 deleted", func() string {
		if firstIndex(w.events(), func(ev watchEvent) bool { return ev.typ == "DELETED" && ev.name == "db-1" }) < 0 {
			return w.buf.String()
		}
		return ""
	})
	evs = w.events()
	gone2 := firstIndex(evs, func(ev watchEvent) bool { return ev.typ == "DELETED" && ev.name == "db-2" })
	term1 := firstIndex(evs, func(ev watchEvent) bool { return ev.name == "db-1" && ev.terminating })
	if gone2 < 0 || term1 < 0 || term1 < gone2 {
		t.Errorf("db-2 deleted at event %d, db-1 terminating at %d:\n%s", gone2, term1, w.buf.String())
	}
	if rows := c.getPods("-l", "app=db"); len(rows) != 1 || rows[0].name != "db-0" {
		t.Errorf("pods after scaling to 1: %v", rows)
	}
	if n := len(lines(c.kubectl("get", "pvc", "-o", "name"))); n != 3 {
		t.Errorf("%d claims after scaling down, want 3 (retained)", n)
	}
	if got := c.jsonpath("sts/db", "{.status.replicas} {.status.readyReplicas} {.status.availableReplicas} {.status.currentReplicas} {.status.updatedReplicas}"); got != "1 1 1 1 1" {
		t.Errorf("status replicas ready available current updated: %q", got)
	}
}

func testStatefulSetRollout(t *testing.T, c *cluster) {
	c.kubectl("scale", "statefulset", "db", "--replicas=3")
	c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s")
	first := c.jsonpath("sts/db", "{.status.currentRevision}")
	c.kubectl("set", "image", "statefulset/db", "db=nginx:1.28")
	c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s")
	eventually(t, testTimeout, "every pod on nginx:1.28 and the update revision current", func() string {
		imgs := c.kubectl("get", "pods", "-l", "app=db", "-o", "jsonpath={.items[*].spec.containers[0].image}")
		st := c.jsonpath("sts/db", "{.status.currentRevision} {.status.updateRevision} {.status.updatedReplicas}")
		f := strings.Fields(st)
		if strings.Count(imgs, "nginx:1.28") != 3 || len(f) != 3 || f[0] != f[1] || f[0] == first || f[2] != "3" {
			return imgs + "; " + st
		}
		return ""
	})
	if out := c.kubectl("rollout", "undo", "statefulset/db"); !strings.Contains(out, "rolled back") {
		t.Fatalf("rollout undo: %q", out)
	}
	c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s")
	eventually(t, testTimeout, "every pod back on nginx:1.27, the first revision current", func() string {
		imgs := c.kubectl("get", "pods", "-l", "app=db", "-o", "jsonpath={.items[*].spec.containers[0].image}")
		if st := c.jsonpath("sts/db", "{.status.currentRevision}"); strings.Count(imgs, "nginx:1.27") != 3 || st != first {
			return imgs + "; current revision " + st
		}
		return ""
	})
	if hist := c.kubectl("rollout", "history", "statefulset/db"); !regexpLines(hist, `^2\s+<none>$`, `^3\s+<none>$`) {
		t.Errorf("rollout history after undo:\n%s", hist)
	}
}

func testStatefulSetBlocked(t *testing.T, c *cluster) {
	// The image is absent on every node: stuck-0 never gets ready, so
	// stuck-1 is never made, and the StatefulSet says why.
	c.kubectlStdin(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: stuck}
spec:
  replicas: 2
  serviceName: stuck
  selector: {matchLabels: {app: stuck}}
  template:
    metadata:
      labels: {app: stuck}
      annotations: {sim.minik8s.io/image-absent: "true"}
    spec:
      containers: [{name: app, image: nginx:1.27}]
`, "apply", "-f", "-")
	eventually(t, testTimeout, "an event naming stuck-0", func() string {
		out := c.kubectl("get", "events", "--field-selector", "involvedObject.kind=StatefulSet,involvedObject.name=stuck,reason=WaitingForPod",
			"-o", "jsonpath={.items[*].message}")
		if !strings.Contains(out, "StatefulSet stuck is waiting for Pod stuck-0 to be Running and Ready") {
			return out
		}
		return ""
	})
	if pods := c.kubectl("get", "pods", "-l", "app=stuck", "-o", "name"); strings.TrimSpace(pods) != "pod/stuck-0" {
		t.Errorf("pods of a blocked StatefulSet: %q, want stuck-0 only", pods)
	}
	if got := c.jsonpath("sts/stuck", "{.status.replicas}/{.status.readyReplicas}"); got != "1/" { // readyReplicas 0 is omitted
		t.Errorf("status replicas/readyReplicas %q, want 1/ (0 ready)", got)
	}
	if out := c.kubectl("describe", "sts", "stuck"); !strings.Contains(out, "WaitingForPod") {
		t.Errorf("describe lacks the WaitingForPod event:\n%s", out)
	}
	c.kubectl("delete", "sts", "stuck")
}

// controllerManagerReplicas talks to the replica endpoints of `all
// --controller-manager-port`.
type controllerManagerReplicas struct {
	t     *testing.T
	port  string
	token string
	hc    *http.Client
}

func (c *cluster) controllerManagerReplicas(port string) *controllerManagerReplicas {
	c.t.Helper()
	ca, err := os.ReadFile(filepath.Join(c.dataDir, "ca.crt"))
	if err != nil {
		c.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &controllerManagerReplicas{t: c.t, port: port,
		token: c.kubectl("config", "view", "--raw", "-o", "jsonpath={.users[0].user.token}"),
		hc:    &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
}

func (r *controllerManagerReplicas) call(method, path string) []byte {
	r.t.Helper()
	req, _ := http.NewRequest(method, "https://127.0.0.1:"+r.port+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.hc.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	return b
}

// stopLeader stops the leading replica and returns its index.
func (r *controllerManagerReplicas) stopLeader() int {
	r.t.Helper()
	var replicas []struct {
		Index   int  `json:"index"`
		Leading bool `json:"leading"`
	}
	leader := -1
	eventually(r.t, testTimeout, "a leading controller-manager replica", func() string {
		if err := json.Unmarshal(r.call("GET", "/replicas"), &replicas); err != nil {
			r.t.Fatal(err)
		}
		for _, x := range replicas {
			if x.Leading {
				leader = x.Index
				return ""
			}
		}
		return fmt.Sprintf("%+v", replicas)
	})
	r.call("POST", fmt.Sprintf("/replicas/%d/stop", leader))
	return leader
}

// TestDaemonSetAndStatefulSetFailover stops the leading controller-manager
// replica in the middle of a DaemonSet rollout, then the next leader in
// the middle of a StatefulSet scale-up: the standbys finish both from
// fresh caches, and watches of the pods show no node ever ran two daemon
// pods at once (maxSurge 0) and no StatefulSet pod was made twice or lost.
func TestDaemonSetAndStatefulSetFailover(t *testing.T) {
	t.Parallel()
	_, port, _ := strings.Cut(freeAddr(t), ":")
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim", "--controller-manager-replicas", "3", "--controller-manager-port", port}})
	cms := c.controllerManagerReplicas(port)
	nodes := strings.Fields(c.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))

	// minReadySeconds keeps the rollout (one node at a time) and the
	// scale-up (one pod at a time) in progress long enough to stop the
	// leader in their middle.
	c.kubectlStdin(strings.Replace(daemonSet("agent", "nginx:1.27", ""), "spec:\n  selector", "spec:\n  minReadySeconds: 2\n  selector", 1), "apply", "-f", "-")
	c.kubectl("rollout", "status", "daemonset/agent", "--timeout=60s")
	c.waitDaemonPods("agent", nodes)
	dw := c.watchPods("agent")
	c.kubectl("set", "image", "daemonset/agent", "app=nginx:1.28")
	eventually(t, testTimeout, "the rollout to start", func() string {
		if out := c.kubectl("get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.containers[0].image}"); !strings.Contains(out, "1.28") {
			return out
		}
		return ""
	})
	first := cms.stopLeader()
	c.kubectl("rollout", "status", "daemonset/agent", "--timeout=60s")
	c.waitDaemonPods("agent", nodes)
	if imgs := c.kubectl("get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.containers[0].image}"); strings.Count(imgs, "nginx:1.28") != len(nodes) {
		t.Errorf("images after the failover: %q", imgs)
	}

	sw := c.watchPods("db")
	c.kubectlStdin(strings.Replace(statefulSetYAML, "replicas: 0", "replicas: 5\n  minReadySeconds: 1", 1), "apply", "-f", "-")
	eventually(t, testTimeout, "db-1 made", func() string {
		if out := c.kubectl("get", "pods", "-l", "app=db", "-o", "name"); !strings.Contains(out, "db-1") {
			return out
		}
		return ""
	})
	second := cms.stopLeader()
	c.kubectl("rollout", "status", "statefulset/db", "--timeout=60s")
	c.waitRunning(5, "-l", "app=db")
	t.Logf("stopped replica %d mid-rollout and replica %d mid-scale-up", first, second)

	// Daemon pods: never more live at once than nodes.
	dw.stop()
	out := c.kubectl("get", "pods", "-l", "app=agent", "-o", `jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}`)
	if n := len(lines(out)); n != len(nodes) {
		t.Errorf("%d daemon pods after the failover, want %d:\n%s", n, len(nodes), out)
	}
	if maxLive := maxLiveDaemonPods(dw.events()); maxLive > len(nodes) {
		t.Errorf("%d daemon pods live at once, more than the %d nodes (maxSurge 0)", maxLive, len(nodes))
	}

	// StatefulSet pods: each of db-0..db-4 made once (one uid), none
	// deleted.
	sw.stop()
	uids := map[string]map[string]bool{}
	for _, ev := range sw.events() {
		if ev.typ == "DELETED" || ev.terminating {
			t.Errorf("pod %s deleted during the scale-up: %+v", ev.name, ev)
		}
		if uids[ev.name] == nil {
			uids[ev.name] = map[string]bool{}
		}
		uids[ev.name][ev.uid] = true
	}
	for i := range 5 {
		if n := len(uids[fmt.Sprintf("db-%d", i)]); n != 1 {
			t.Errorf("db-%d made %d times", i, n)
		}
	}
	if len(uids) != 5 {
		t.Errorf("pods seen: %v", uids)
	}
}

// maxLiveDaemonPods is the most pods the watch events show live (added,
// not terminating) at once.
func maxLiveDaemonPods(evs []watchEvent) int {
	live := map[string]bool{}
	most := 0
	for _, ev := range evs {
		if ev.typ == "DELETED" || ev.terminating {
			delete(live, ev.name)
		} else {
			live[ev.name] = true
		}
		most = max(most, len(live))
	}
	return most
}
