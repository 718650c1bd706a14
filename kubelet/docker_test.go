package kubelet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubelet/runtimetest"
)

// The Docker tests need an engine: they fail when MINIK8S_TEST_DOCKER is
// unset or no engine answers. The test binary
// must be static (CGO_ENABLED=0, as the Makefile sets), since it serves as
// the pause image when that is absent.

func newDockerHarness(t *testing.T, node string) *harness {
	t.Helper()
	testsvc.Require(t, testsvc.Docker)
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	cfg := docker.DefaultConfig()
	cfg.NodeName = node
	rt, err := docker.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := rt.BuildImage(ctx, runtimetest.TestAppImage, runtimetest.TestAppDockerfile,
		map[string]string{"testapp": runtimetest.BuildTestApp(t)}); err != nil {
		t.Fatalf("build test image: %v", err)
	}
	t.Cleanup(func() {
		removeNodeContainers(t, node)
		rt.Close()
	})
	h := newHarness(t, node, rt, false)
	h.pod = func(name string, b behaviour) *api.Pod {
		var args []string
		for _, l := range b.print {
			args = append(args, "-print", l)
		}
		if b.exit >= 0 {
			args = append(args, "-listen=", "-exit", strconv.Itoa(b.exit), "-after", b.after.String())
		}
		c := api.Container{Name: "app", Image: runtimetest.TestAppImage, Args: args, ImagePullPolicy: api.PullNever}
		if b.exit < 0 {
			// testapp serves HTTP on 8080: probe it on the pod's IP.
			c.ReadinessProbe = &api.Probe{PeriodSeconds: 1,
				ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/", Port: api.FromInt(8080)}}}
		}
		return &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: name},
			Spec:       api.PodSpec{RestartPolicy: restartPolicy(b), Containers: []api.Container{c}},
		}
	}
	h.kill = func(t *testing.T, p *api.Pod, container string) {
		cur, err := h.c.Pods("default").Get(context.Background(), p.Name)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimPrefix(containerStatus(cur, container).ContainerID, "docker://")
		if out, err := exec.Command("docker", "kill", id).CombinedOutput(); err != nil {
			t.Fatalf("docker kill: %v\n%s", err, out)
		}
	}
	return h
}

func containerStatus(p *api.Pod, name string) *api.ContainerStatus {
	if cs := container(p, name); cs != nil {
		return cs
	}
	return &api.ContainerStatus{}
}

// testNode returns a fresh node name, so that tests sharing the engine do
// not see each other's containers.
func testNode(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// removeNodeContainers removes every container the runtime made for
// node, failing t if the kubelet left any running.
func removeNodeContainers(t *testing.T, node string) {
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+docker.LabelNode+"="+node).Output()
	if err != nil {
		t.Errorf("list containers of %s: %v", node, err)
		return
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
}

func TestDockerScenario(t *testing.T) {
	h := newDockerHarness(t, testNode("kl"))
	scenario(t, h)
}

func TestDockerReconcileAfterRestart(t *testing.T) {
	h := newDockerHarness(t, testNode("klr"))
	reconcile(t, h)
}

// An exec readiness probe on Docker: a command that exits 0 makes the pod
// Ready, one that exits non-zero keeps it running but not Ready.
func TestDockerExecProbe(t *testing.T) {
	h := newDockerHarness(t, testNode("kle"))
	h.start()
	defer h.stop()
	probe := func(exit string) *api.Probe {
		return &api.Probe{PeriodSeconds: 1, ProbeHandler: api.ProbeHandler{
			Exec: &api.ExecAction{Command: []string{"/testapp", "-listen=", "-exit=" + exit}}}}
	}
	pod := func(name, exit string) *api.Pod {
		return &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: name},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: runtimetest.TestAppImage,
				ImagePullPolicy: api.PullNever, ReadinessProbe: probe(exit)}}},
		}
	}
	h.run(pod("exec-ok", "0"))
	h.run(pod("exec-fail", "1"))
	h.waitPod("exec-ok", "Running and Ready", isRunningReady)
	p := h.waitPod("exec-fail", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	time.Sleep(2500 * time.Millisecond) // a few probe periods
	if p = h.waitPod("exec-fail", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning }); api.IsPodReady(p) {
		t.Fatalf("pod whose exec probe fails is Ready: %s", describeStatus(p))
	}
}

// A Docker node reports the engine's images in status.images, with their
// sizes: the test image the harness built among them.
func TestDockerNodeReportsImages(t *testing.T) {
	h := newDockerHarness(t, testNode("kli"))
	h.start()
	defer h.stop()
	want := runtimetest.TestAppImage
	if !strings.Contains(want[strings.LastIndex(want, "/")+1:], ":") {
		want += ":latest"
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		n, err := h.c.Nodes().Get(context.Background(), h.node)
		if err == nil {
			for _, img := range n.Status.Images {
				if slices.Contains(img.Names, want) {
					if img.SizeBytes <= 0 {
						t.Fatalf("image %v has size %d", img.Names, img.SizeBytes)
					}
					if len(n.Status.Images) > 50 {
						t.Fatalf("%d images reported, want at most 50", len(n.Status.Images))
					}
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: %s not in status.images within %s (err %v)", h.node, want, waitTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
