package kubelet_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet"
	"github.com/minik8s/minik8s/kubelet/sim"
)

func newSimHarness(t *testing.T) (*harness, *sim.Runtime) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 20*time.Millisecond, 20*time.Millisecond
	rt, err := sim.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "sim-node", rt, true)
	h.pod = func(name string, b behaviour) *api.Pod {
		a := map[string]string{sim.AnnotationLog: strings.Join(b.print, "\n")}
		if b.exit >= 0 {
			a[sim.AnnotationExitCode] = strconv.Itoa(b.exit)
			a[sim.AnnotationExitAfter] = b.after.String()
		}
		return &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: name, Annotations: a},
			Spec: api.PodSpec{
				RestartPolicy: restartPolicy(b),
				Containers:    []api.Container{{Name: "app", Image: "minik8s/testapp:1"}},
			},
		}
	}
	h.kill = func(t *testing.T, p *api.Pod, container string) {
		if err := rt.Kill(p.UID, container, 137); err != nil {
			t.Fatal(err)
		}
	}
	return h, rt
}

// restartPolicy is Never for a container told to exit with a code other
// than 1 (the crash loop's), Always otherwise.
func restartPolicy(b behaviour) api.RestartPolicy {
	if b.exit >= 0 && b.exit != 1 {
		return api.RestartPolicyNever
	}
	return api.RestartPolicyAlways
}

func TestSimScenario(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	scenario(t, h)
}

func TestSimReconcileAfterRestart(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	reconcile(t, h)
}

// TestSimProbes checks readiness and liveness on a simulated node, where
// AnnotationProbeFail makes probes fail.
func TestSimProbes(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	probe := &api.Probe{PeriodSeconds: 1, FailureThreshold: 1,
		ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Port: api.FromInt(8080)}}}
	unready := h.pod("unready", behaviour{exit: -1})
	unready.Annotations[kubelet.AnnotationProbeFail] = "readiness"
	unready.Spec.Containers[0].ReadinessProbe = probe
	h.run(unready)
	unhealthy := h.pod("unhealthy", behaviour{exit: -1})
	unhealthy.Annotations[kubelet.AnnotationProbeFail] = "liveness"
	unhealthy.Spec.Containers[0].LivenessProbe = probe
	h.run(unhealthy)

	h.waitPod("unready", "Running but not ready", func(p *api.Pod) bool {
		cs := container(p, "app")
		return p.Status.Phase == api.PodRunning && cs != nil && cs.State.Running != nil && !cs.Ready && !api.IsPodReady(p)
	})
	h.waitPod("unhealthy", "restarted by its liveness probe", func(p *api.Pod) bool {
		cs := container(p, "app")
		return cs != nil && cs.RestartCount >= 1
	})
	out := h.kubectl("describe", "pod", "unhealthy")
	for _, want := range []string{"Unhealthy", "Liveness probe failed", "Killing", "failed liveness probe, will be restarted"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl describe pod unhealthy lacks %q:\n%s", want, out)
		}
	}
}

// TestSimPullFailureMessages checks that the event of a failed pull names
// the image once, as Kubernetes words it: `Failed to pull image "x":
// <reason>` (the runtime conformance suite checks the error itself).
func TestSimPullFailureMessages(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	p := h.pod("absent", behaviour{exit: -1})
	p.Annotations[sim.AnnotationImageAbsent] = "true"
	want := fmt.Sprintf("Failed to pull image %q: simulated node has no registry", p.Spec.Containers[0].Image)
	h.run(p)
	var msgs []string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the pod's Failed events: %q", msgs)
		}
	})
	controllertest.Eventually(t, waitTimeout, "the Failed event "+want, func() bool {
		evs, _, err := h.c.Events("default").List(context.Background(), client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		msgs = msgs[:0]
		for _, e := range evs {
			if e.InvolvedObject.Name == "absent" && e.Reason == kubelet.EventFailed {
				if e.Message == want {
					return true
				}
				msgs = append(msgs, e.Message)
			}
		}
		return false
	})
}

// TestSimNodeReregisters checks that a node deleted while its kubelet
// runs comes back.
func TestSimNodeReregisters(t *testing.T) {
	t.Parallel()
	h, _ := newSimHarness(t)
	h.start()
	ctx := context.Background()
	waitNode := func(what string) {
		t.Helper()
		deadline := time.Now().Add(waitTimeout)
		for {
			n, err := h.c.Nodes().Get(ctx, h.node)
			if err == nil && api.IsNodeReady(n) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s not Ready %s", h.node, what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitNode("at start")
	if err := h.c.Nodes().Delete(ctx, h.node, api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNode("after it was deleted")
}

// TestSimManyNodes runs many simulated nodes in one kubelet, with pods
// spread over them.
func TestSimManyNodes(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "hundreds of pods on many simulated nodes")
	const nodes, pods = 50, 100
	h := newHarness(t, "", nil, true)
	h.publishRootCA()
	var deps []kubelet.Node
	for i := range nodes {
		cfg := sim.DefaultConfig()
		cfg.PodCIDR = sim.NodePodCIDR(i)
		rt, err := sim.New(cfg, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		deps = append(deps, kubelet.Node{Name: fmt.Sprintf("n%d", i), Runtime: rt, Simulated: true})
	}
	cfg := kubelet.DefaultConfig()
	cfg.Port = 0
	k, err := kubelet.New(cfg, kubelet.Deps{Client: h.c, Nodes: deps, TLS: h.tls()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	for i := range pods {
		h.node = fmt.Sprintf("n%d", i%nodes)
		h.run(&api.Pod{
			ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", i)},
			Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "img:1"}}},
		})
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		list, _, err := h.c.Pods("default").List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, p := range list {
			if isRunningReady(p) {
				running++
			}
		}
		nl, _, err := h.c.Nodes().List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, n := range nl {
			if api.IsNodeReady(n) {
				ready++
			}
		}
		if running == pods && ready == nodes {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pods running, %d of %d nodes ready", running, pods, ready, nodes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSimSurvivesAPIServerRestart stops the API server under a running
// kubelet and starts it again on the same port and data: the kubelet
// renews its Lease again and runs pods created afterwards.
func TestSimSurvivesAPIServerRestart(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "restarts an API server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	opts := testenv.Options{DataDir: dir, Configure: func(c *app.Config) { c.APIServer.Listen = addr }}
	h, _ := newSimHarness(t)
	h.s.Stop()
	h.s = testenv.StartAPIServer(t, opts)
	if h.c, err = client.FromKubeconfig(h.s.Kubeconfig, -1, 0); err != nil {
		t.Fatal(err)
	}
	h.start()
	ctx := context.Background()
	waitRenewal := func() {
		t.Helper()
		first := renewTime(t, h, ctx)
		deadline := time.Now().Add(waitTimeout)
		for t2 := renewTime(t, h, ctx); t2.IsZero() || t2.Equal(first); t2 = renewTime(t, h, ctx) {
			if time.Now().After(deadline) {
				t.Fatal("lease not renewed")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitRenewal()
	h.s.Stop()
	time.Sleep(2 * time.Second) // several failed heartbeats
	h.s = testenv.StartAPIServer(t, opts)
	waitRenewal()
	h.run(h.pod("after", behaviour{exit: -1}))
	h.waitPod("after", "Running after the API server came back", isRunningReady)
}
