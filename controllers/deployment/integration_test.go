package deployment_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/deployment"
	"github.com/minik8s/minik8s/controllers/replicaset"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

type env struct {
	s   *testenv.APIServer
	c   *client.Client
	ctx context.Context
}

// start runs an API server, the shared informers, the fake kubelet and
// both controllers until the test ends.
func start(t *testing.T, kubeletDelay time.Duration) *env {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	in := controllertest.StartInformers(ctx, t, c)
	rec := controllertest.StartEvents(ctx, c)
	controllertest.RunKubelet(ctx, c, in.Pods, kubeletDelay)
	rsc, err := replicaset.New(replicaset.DefaultConfig(), replicaset.Deps{Client: c, Pods: in.Pods, ReplicaSets: in.ReplicaSets, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	dc, err := deployment.New(deployment.DefaultConfig(), deployment.Deps{Client: c, Pods: in.Pods, ReplicaSets: in.ReplicaSets, Deployments: in.Deployments, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = rsc.Run(ctx, 4) })
	wg.Go(func() { _ = dc.Run(ctx, 4) })
	return &env{s: s, c: c, ctx: ctx}
}

func (e *env) kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := e.s.Kubectl(t, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// activePods returns the pods labelled app=name that are not being deleted.
func (e *env) activePods(t *testing.T, name string) []*api.Pod {
	t.Helper()
	pods, _, err := e.c.Pods("default").List(e.ctx, client.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	var out []*api.Pod
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// waitRolledOut waits until the deployment has n pods, all of them
// updated and available, and its status says so.
func (e *env) waitRolledOut(t *testing.T, name string, n int32) {
	t.Helper()
	var last string
	deadline := time.Now().Add(40 * time.Second)
	for {
		d, err := e.c.Deployments("default").Get(e.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		st := d.Status
		pods := e.activePods(t, name)
		if len(pods) == int(n) && st.ObservedGeneration >= d.Generation && st.Replicas == n &&
			st.UpdatedReplicas == n && st.AvailableReplicas == n && st.ReadyReplicas == n {
			return
		}
		last = fmt.Sprintf("pods %d, generation %d, status %+v", len(pods), d.Generation, st)
		if time.Now().After(deadline) {
			t.Fatalf("%s not rolled out with %d replicas: %s", name, n, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestScaleWithKubectl(t *testing.T) {
	testsvc.Slow(t, "rollouts through an API server and the real kubectl")
	e := start(t, 0)
	e.kubectl(t, "", "create", "deployment", "web", "--image=nginx", "--replicas=0")
	e.waitRolledOut(t, "web", 0)
	for _, n := range []int32{50, 5, 30} {
		e.kubectl(t, "", "scale", "deployment/web", fmt.Sprintf("--replicas=%d", n))
		e.waitRolledOut(t, "web", n)
	}
	// Settled: nothing more is created or deleted.
	time.Sleep(300 * time.Millisecond)
	if got := len(e.activePods(t, "web")); got != 30 {
		t.Fatalf("%d pods after settling, want 30", got)
	}
	rss, _, err := e.c.ReplicaSets("default").List(e.ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 1 || !strings.HasPrefix(rss[0].Name, "web-") || rss[0].Labels[api.DefaultDeploymentUniqueLabelKey] == "" {
		t.Fatalf("want one replica set web-<hash> with the hash label, got %d: %+v", len(rss), rss)
	}
}

const rollingManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 20
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
`

func TestRollingUpdateBounds(t *testing.T) {
	testsvc.Slow(t, "rollouts through an API server")
	e := start(t, 30*time.Millisecond)
	e.kubectl(t, rollingManifest, "apply", "-f", "-")
	e.waitRolledOut(t, "web", 20)

	// Follow every pod change from now on.
	pods, rv, err := e.c.Pods("default").List(e.ctx, client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]*api.Pod{}
	for _, p := range pods {
		state[p.Name] = p
	}
	wctx, stop := context.WithCancel(e.ctx)
	defer stop()
	ch, err := e.c.Pods("default").Watch(wctx, client.ListOptions{LabelSelector: "app=web"}, rv)
	if err != nil {
		t.Fatal(err)
	}
	type bounds struct{ minAvailable, maxPods, events int }
	done := make(chan bounds)
	go func() {
		b := bounds{minAvailable: 1 << 30}
		for ev := range ch {
			if ev.Err != nil || ev.Object == nil {
				continue
			}
			if ev.Type == client.Deleted {
				delete(state, ev.Object.Name)
			} else {
				state[ev.Object.Name] = ev.Object
			}
			count, available := 0, 0
			for _, p := range state {
				if p.DeletionTimestamp != nil {
					continue
				}
				count++
				if api.IsPodReady(p) {
					available++
				}
			}
			b.events++
			b.minAvailable = min(b.minAvailable, available)
			b.maxPods = max(b.maxPods, count)
		}
		done <- b
	}()

	e.kubectl(t, "", "set", "image", "deployment/web", "web=nginx:2")
	out := e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=60s")
	if !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Fatalf("rollout status said %q", out)
	}
	e.waitRolledOut(t, "web", 20)
	for _, p := range e.activePods(t, "web") {
		if img := p.Spec.Containers[0].Image; img != "nginx:2" {
			t.Fatalf("pod %s runs %s after the rollout", p.Name, img)
		}
	}
	stop()
	b := <-done
	t.Logf("%d pod events; min available %d, max pods %d", b.events, b.minAvailable, b.maxPods)
	if b.events < 40 {
		t.Fatalf("saw only %d pod events", b.events)
	}
	if b.minAvailable < 20 || b.maxPods > 25 {
		t.Fatalf("rollout went out of bounds: min available %d (want >= 20), max pods %d (want <= 25)", b.minAvailable, b.maxPods)
	}
}

func TestRolloutHistoryUndoRestart(t *testing.T) {
	testsvc.Slow(t, "rollouts through an API server and the real kubectl")
	e := start(t, 0)
	e.kubectl(t, "", "create", "deployment", "web", "--image=nginx:1", "--replicas=3")
	e.waitRolledOut(t, "web", 3)
	e.kubectl(t, "", "set", "image", "deployment/web", "nginx=nginx:2")
	// As in Kubernetes, the change cause goes to the current ReplicaSet.
	e.kubectl(t, "", "annotate", "deployment/web", "kubernetes.io/change-cause=image 2")
	if out := e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=30s"); !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("rollout status: %q", out)
	}
	e.waitRolledOut(t, "web", 3)
	var hist string
	controllertest.Eventually(t, 10*time.Second, "change cause on revision 2", func() bool {
		hist = e.kubectl(t, "", "rollout", "history", "deployment/web")
		return regexpLine(hist, "2", "image 2")
	})
	if !strings.Contains(hist, "REVISION") || !regexpLine(hist, "1", "<none>") || !regexpLine(hist, "2", "image 2") {
		t.Fatalf("rollout history:\n%s", hist)
	}

	e.kubectl(t, "", "rollout", "undo", "deployment/web")
	e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=30s")
	e.waitRolledOut(t, "web", 3)
	image := func() string {
		d, err := e.c.Deployments("default").Get(e.ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Spec.Containers[0].Image
	}
	if got := image(); got != "nginx:1" {
		t.Fatalf("image after undo = %s", got)
	}
	for _, p := range e.activePods(t, "web") {
		if p.Spec.Containers[0].Image != "nginx:1" {
			t.Fatalf("pod %s runs %s after undo", p.Name, p.Spec.Containers[0].Image)
		}
	}
	hist = e.kubectl(t, "", "rollout", "history", "deployment/web")
	if regexpLine(hist, "1", "") || !regexpLine(hist, "2", "") || !regexpLine(hist, "3", "") {
		t.Fatalf("rollout history after undo (want revisions 2 and 3):\n%s", hist)
	}
	rss, _, err := e.c.ReplicaSets("default").List(e.ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 2 {
		t.Fatalf("%d replica sets after undo, want 2 (undo reuses the old one)", len(rss))
	}

	e.kubectl(t, "", "rollout", "restart", "deployment/web")
	e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=30s")
	e.waitRolledOut(t, "web", 3)
	d, err := e.c.Deployments("default").Get(e.ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if d.Annotations[api.RevisionAnnotation] != "4" {
		t.Fatalf("deployment revision after restart = %q, want 4", d.Annotations[api.RevisionAnnotation])
	}
	desc := e.kubectl(t, "", "describe", "deployment", "web")
	if !strings.Contains(desc, "ScalingReplicaSet") || !strings.Contains(desc, "NewReplicaSetAvailable") {
		t.Fatalf("describe lacks events or conditions:\n%s", desc)
	}
}

// regexpLine reports whether text has a line whose first field is first
// and which contains rest.
func regexpLine(text, first, rest string) bool {
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == first && strings.Contains(l, rest) {
			return true
		}
	}
	return false
}

// rsReplicas returns the spec replicas of the deployment's ReplicaSets
// by image.
func (e *env) rsReplicasByImage(t *testing.T) map[string]int32 {
	t.Helper()
	rss, _, err := e.c.ReplicaSets("default").List(e.ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, rs := range rss {
		out[rs.Spec.Template.Spec.Containers[0].Image] = *rs.Spec.Replicas
	}
	return out
}

func (e *env) waitReplicas(t *testing.T, want map[string]int32) {
	t.Helper()
	var got map[string]int32
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = e.rsReplicasByImage(t)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica sets by image: got %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const stuckManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 10
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 3, maxUnavailable: 2}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
`

// A rollout stuck on pods that never become ready is scaled in
// proportion, paused, scaled again while paused and resumed.
func TestProportionalScalingAndPause(t *testing.T) {
	testsvc.Slow(t, "rollouts through an API server")
	e := start(t, 0)
	e.kubectl(t, stuckManifest, "apply", "-f", "-")
	e.waitRolledOut(t, "web", 10)
	// The new template's pods never become ready: the rollout stops at
	// 8 old + 5 new (13 = 10 + maxSurge, 8 = 10 - maxUnavailable).
	patch := `{"spec":{"template":{"metadata":{"labels":{"` + controllertest.NeverReadyLabel + `":"yes"}},"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}`
	e.kubectl(t, "", "patch", "deployment/web", "-p", patch)
	e.waitReplicas(t, map[string]int32{"nginx:1": 8, "nginx:2": 5})

	// Scale to 20 mid-rollout: 10 more (23 = 20 + 3 allowed) shared 8:5.
	e.kubectl(t, "", "scale", "deployment/web", "--replicas=20")
	e.waitReplicas(t, map[string]int32{"nginx:1": 14, "nginx:2": 9})

	// Paused: a new template rolls nothing out, but scaling still applies.
	e.kubectl(t, "", "rollout", "pause", "deployment/web")
	e.kubectl(t, "", "set", "image", "deployment/web", "web=nginx:3")
	e.kubectl(t, "", "patch", "deployment/web", "-p", `{"spec":{"template":{"metadata":{"labels":{"`+controllertest.NeverReadyLabel+`":null}}}}}`)
	e.kubectl(t, "", "scale", "deployment/web", "--replicas=10")
	// 13 allowed, 23 now: -10 shared 14:9 → -6 and -4.
	e.waitReplicas(t, map[string]int32{"nginx:1": 8, "nginx:2": 5})
	d, err := e.c.Deployments("default").Get(e.ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if c := findCondition(d, api.DeploymentProgressing); c == nil || c.Reason != deployment.ReasonDeploymentPaused {
		t.Fatalf("Progressing condition while paused: %+v", c)
	}

	// Resumed, the new template (whose pods become ready) takes over.
	e.kubectl(t, "", "rollout", "resume", "deployment/web")
	e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=30s")
	e.waitRolledOut(t, "web", 10)
	e.waitReplicas(t, map[string]int32{"nginx:1": 0, "nginx:2": 0, "nginx:3": 10})
}

func findCondition(d *api.Deployment, t api.DeploymentConditionType) *api.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

const recreateManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4
  revisionHistoryLimit: 1
  selector:
    matchLabels: {app: web}
  strategy: {type: Recreate}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
`

// Recreate never runs old and new pods together, and old ReplicaSets
// beyond revisionHistoryLimit go.
func TestRecreateAndHistoryLimit(t *testing.T) {
	e := start(t, 20*time.Millisecond)
	e.kubectl(t, recreateManifest, "apply", "-f", "-")
	e.waitRolledOut(t, "web", 4)

	_, rv, err := e.c.Pods("default").List(e.ctx, client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(e.ctx)
	defer stop()
	ch, err := e.c.Pods("default").Watch(wctx, client.ListOptions{LabelSelector: "app=web"}, rv)
	if err != nil {
		t.Fatal(err)
	}
	mixed := make(chan string, 1)
	go func() {
		images := map[string]string{} // pod → image, pods that exist
		for ev := range ch {
			if ev.Err != nil || ev.Object == nil {
				continue
			}
			if ev.Type == client.Deleted {
				delete(images, ev.Object.Name)
			} else {
				images[ev.Object.Name] = ev.Object.Spec.Containers[0].Image
			}
			seen := map[string]bool{}
			for _, img := range images {
				seen[img] = true
			}
			if len(seen) > 1 {
				select {
				case mixed <- fmt.Sprint(images):
				default:
				}
			}
		}
		close(mixed)
	}()

	for _, img := range []string{"nginx:2", "nginx:3"} {
		e.kubectl(t, "", "set", "image", "deployment/web", "web="+img)
		e.kubectl(t, "", "rollout", "status", "deployment/web", "--timeout=30s")
		e.waitRolledOut(t, "web", 4)
	}
	stop()
	if m, ok := <-mixed; ok {
		t.Fatalf("old and new pods ran together: %s", m)
	}
	// History limit 1: the current ReplicaSet and one old one.
	e.waitReplicas(t, map[string]int32{"nginx:2": 0, "nginx:3": 4})
}

const stalledManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
spec:
  replicas: 2
  progressDeadlineSeconds: 2
  selector:
    matchLabels: {app: stuck}
  template:
    metadata:
      labels: {app: stuck, ` + controllertest.NeverReadyLabel + `: "yes"}
    spec:
      containers:
      - name: web
        image: nginx:1
`

func TestProgressDeadlineExceeded(t *testing.T) {
	testsvc.Slow(t, "waits out a progress deadline")
	e := start(t, 0)
	e.kubectl(t, stalledManifest, "apply", "-f", "-")
	out, err := e.s.Kubectl(t, "", "rollout", "status", "deployment/stuck", "--timeout=20s")
	if err == nil || !strings.Contains(out, `deployment "stuck" exceeded its progress deadline`) {
		t.Fatalf("rollout status: err %v, output %q", err, out)
	}
	d, err := e.c.Deployments("default").Get(e.ctx, "stuck")
	if err != nil {
		t.Fatal(err)
	}
	p, a := findCondition(d, api.DeploymentProgressing), findCondition(d, api.DeploymentAvailable)
	if p == nil || p.Status != api.ConditionFalse || p.Reason != deployment.ReasonProgressDeadlineExceeded {
		t.Fatalf("Progressing = %+v", p)
	}
	if a == nil || a.Status != api.ConditionFalse || a.Reason != deployment.ReasonMinimumReplicasUnavailable {
		t.Fatalf("Available = %+v", a)
	}
}
