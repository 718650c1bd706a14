package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/runtimetest"
)

// The tests need a Docker engine: they fail when MINIK8S_TEST_DOCKER is
// unset or no engine answers. The test binary
// must be static (CGO_ENABLED=0, as the Makefile sets) since it serves as
// the pause image when that is absent.

var (
	imageOnce sync.Once
	imageErr  error
)

// newRuntime returns a runtime for a node of its own, whose containers
// are all removed when t ends, and makes sure the testapp image exists.
func newRuntime(t *testing.T, node string) *Runtime {
	t.Helper()
	testsvc.Require(t, testsvc.Docker)
	if !Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	cfg := DefaultConfig()
	cfg.NodeName = node
	r, err := New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	imageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		imageErr = r.BuildImage(ctx, runtimetest.TestAppImage, runtimetest.TestAppDockerfile,
			map[string]string{"testapp": runtimetest.BuildTestApp(t)})
	})
	if imageErr != nil {
		t.Fatalf("build test image: %v", imageErr)
	}
	return r
}

// testNode returns a fresh node name and removes every container of that
// node when t ends, failing t if RemovePod left any behind.
func testNode(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	node := "rtt-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		cli, err := newClient("")
		if err != nil {
			return
		}
		defer cli.Close()
		ctx := context.Background()
		f := make(client.Filters).Add("label", LabelNode+"="+node)
		res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			t.Errorf("cleanup: list containers: %v", err)
			return
		}
		for _, c := range res.Items {
			t.Errorf("container %s (%v) left behind", c.Names, c.Labels)
			cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
	})
	return node
}

func TestConformance(t *testing.T) {
	var nodes sync.Map // *testing.T → node name: a second call is the same node restarted
	runtimetest.Run(t, runtimetest.TestAppImage, func(t *testing.T) runtime.Runtime {
		node, ok := nodes.Load(t)
		if !ok {
			node, _ = nodes.LoadOrStore(t, testNode(t))
		}
		return newRuntime(t, node.(string))
	})
}

func testPod(name string, c api.Container) *api.Pod {
	b := make([]byte, 8)
	rand.Read(b)
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "dockertest", Name: name, UID: hex.EncodeToString(b)},
		Spec:       api.PodSpec{Containers: []api.Container{c}},
	}
}

func startPod(t *testing.T, r *Runtime, p *api.Pod) (runtime.Sandbox, string) {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { r.RemovePod(context.Background(), p.UID) })
	sb, err := r.EnsureSandbox(ctx, p)
	if err != nil {
		t.Fatalf("EnsureSandbox: %v", err)
	}
	id, err := r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0)
	if err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	return sb, id
}

// TestContainerConfig checks how a container spec becomes Docker's
// configuration, and that command, args, env and workingDir reach the
// process.
func TestContainerConfig(t *testing.T) {
	r := newRuntime(t, testNode(t))
	ctx := context.Background()
	p := testPod("config", api.Container{
		Name:       "app",
		Image:      runtimetest.TestAppImage,
		Command:    []string{"/testapp", "-listen="},
		Args:       []string{"-env=GREETING", "-wd"},
		Env:        []api.EnvVar{{Name: "GREETING", Value: "hello world"}},
		WorkingDir: "/work",
		Ports:      []api.ContainerPort{{ContainerPort: 8080, HostPort: 18080}},
		Resources: api.ResourceRequirements{
			Limits:   api.ResourceList{api.ResourceCPU: api.MustParse("500m"), api.ResourceMemory: api.MustParse("64Mi")},
			Requests: api.ResourceList{api.ResourceCPU: api.MustParse("250m")},
		},
	})
	sb, id := startPod(t, r, p)

	ins, err := r.cli.ContainerInspect(ctx, dockerID(id), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := ins.Container
	if want := []string{"/testapp", "-listen="}; !slices.Equal(c.Config.Entrypoint, want) {
		t.Errorf("Entrypoint = %q, want %q", c.Config.Entrypoint, want)
	}
	if want := []string{"-env=GREETING", "-wd"}; !slices.Equal(c.Config.Cmd, want) {
		t.Errorf("Cmd = %q, want %q", c.Config.Cmd, want)
	}
	if got, want := string(c.HostConfig.NetworkMode), "container:"+dockerID(sb.ID); got != want {
		t.Errorf("NetworkMode = %q, want %q", got, want)
	}
	if res := c.HostConfig.Resources; res.NanoCPUs != 5e8 || res.Memory != 64<<20 || res.CPUShares != 256 {
		t.Errorf("NanoCPUs %d, Memory %d, CPUShares %d; want 5e8, 64Mi, 256", res.NanoCPUs, res.Memory, res.CPUShares)
	}
	for k, want := range map[string]string{
		LabelNode: r.cfg.NodeName, LabelPodNamespace: "dockertest", LabelPodName: "config",
		LabelPodUID: p.UID, LabelType: typeContainer, LabelContainerName: "app", LabelAttempt: "0",
	} {
		if got := c.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}

	sbx, err := r.cli.ContainerInspect(ctx, dockerID(sb.ID), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sbx.Container.Config.Hostname != "config" {
		t.Errorf("sandbox hostname = %q, want the pod's name", sbx.Container.Config.Hostname)
	}
	if got := sbx.Container.HostConfig.PortBindings; len(got) != 1 || got[mustPort(t, "8080/tcp")][0].HostPort != "18080" {
		t.Errorf("sandbox port bindings = %v, want 8080/tcp on 18080", got)
	}

	deadline := time.Now().Add(10 * time.Second)
	want := "GREETING=hello world\nwd=/work\n"
	for {
		var buf bytes.Buffer
		if err := r.Logs(ctx, p.UID, "app", runtime.LogOptions{}, &buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs = %q, want %q", buf.String(), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLogsStderr checks that Logs interleaves stderr with stdout.
func TestLogsStderr(t *testing.T) {
	r := newRuntime(t, testNode(t))
	p := testPod("stderr", api.Container{
		Name: "app", Image: runtimetest.TestAppImage,
		Args: []string{"-listen=", "-print=out", "-stderr=err", "-exit=0"},
	})
	startPod(t, r, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := r.Logs(ctx, p.UID, "app", runtime.LogOptions{Follow: true}, &buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
		t.Errorf("logs = %q, want both out and err", got)
	}
}

// TestSandboxReplaced kills a pod's pause container behind the runtime's
// back: EnsureSandbox makes a new one and stops the containers that lost
// their network.
func TestSandboxReplaced(t *testing.T) {
	r := newRuntime(t, testNode(t))
	ctx := context.Background()
	p := testPod("phoenix", api.Container{Name: "app", Image: runtimetest.TestAppImage})
	sb, id := startPod(t, r, p)
	if _, err := r.cli.ContainerKill(ctx, dockerID(sb.ID), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	waitSandboxDown(t, r, p.UID)

	sb2, err := r.EnsureSandbox(ctx, p)
	if err != nil {
		t.Fatalf("EnsureSandbox: %v", err)
	}
	if sb2.ID == sb.ID || sb2.IP == "" {
		t.Errorf("EnsureSandbox = %+v after %+v died, want a new running sandbox", sb2, sb)
	}
	st, err := r.PodStatus(ctx, p.UID)
	if err != nil {
		t.Fatal(err)
	}
	if st.SandboxID != sb2.ID || !st.SandboxReady || st.IP != sb2.IP {
		t.Errorf("pod status sandbox %q ready=%v ip %q, want %+v", st.SandboxID, st.SandboxReady, st.IP, sb2)
	}
	if c := st.Latest("app"); c == nil || c.ID != id || c.State != runtime.StateExited {
		t.Errorf("container in the dead sandbox = %+v, want %s exited", c, id)
	}
}

func waitSandboxDown(t *testing.T, r *Runtime, uid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := r.PodStatus(context.Background(), uid)
		if err != nil {
			t.Fatal(err)
		}
		if !st.SandboxReady {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("sandbox still running after kill")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNodesAreIsolated(t *testing.T) {
	a, b := newRuntime(t, testNode(t)), newRuntime(t, testNode(t))
	p := testPod("mine", api.Container{Name: "app", Image: runtimetest.TestAppImage})
	startPod(t, a, p)
	pods, err := b.ListPods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 0 {
		t.Errorf("another node's ListPods = %+v, want nothing", pods)
	}
	if st, _ := b.PodStatus(context.Background(), p.UID); st.SandboxID != "" || len(st.Containers) != 0 {
		t.Errorf("another node's PodStatus = %+v, want nothing", st)
	}
}

// TestClustersAreIsolated checks that two clusters whose nodes have the
// same name on one engine see only their own containers, and that
// RemoveCluster removes one cluster's containers and nothing else.
func TestClustersAreIsolated(t *testing.T) {
	node := testNode(t)
	a, b := newRuntime(t, node), newRuntime(t, node)
	a.cfg.Cluster, b.cfg.Cluster = "test-a-"+node, "test-b-"+node
	pa := testPod("in-a", api.Container{Name: "app", Image: runtimetest.TestAppImage})
	pb := testPod("in-b", api.Container{Name: "app", Image: runtimetest.TestAppImage})
	startPod(t, a, pa)
	startPod(t, b, pb)
	ctx := context.Background()
	pods, err := b.ListPods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 || pods[0].UID != pb.UID {
		t.Errorf("cluster b's ListPods = %+v, want its own pod %s alone", pods, pb.UID)
	}

	removed, err := RemoveCluster(ctx, "", a.cfg.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range removed {
		names = append(names, r.Name)
		if r.Node != node {
			t.Errorf("removed %s of node %q, want %q", r.Name, r.Node, node)
		}
	}
	// The sandbox and the app container of pa: k8s_POD_in-a_… and k8s_app_in-a_….
	if len(removed) != 2 || !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "k8s_app_in-a_") }) {
		t.Errorf("RemoveCluster removed %q, want the sandbox and app container of in-a", names)
	}
	if st, _ := a.PodStatus(ctx, pa.UID); st.SandboxID != "" || len(st.Containers) != 0 {
		t.Errorf("cluster a's pod after RemoveCluster: %+v, want nothing", st)
	}
	if st, _ := b.PodStatus(ctx, pb.UID); st.SandboxID == "" || len(st.Containers) != 1 {
		t.Errorf("cluster b's pod after removing cluster a: %+v, want its sandbox and container", st)
	}
	if removed, err := RemoveCluster(ctx, "", a.cfg.Cluster); err != nil || len(removed) != 0 {
		t.Errorf("RemoveCluster again = %v, %v; want nothing", removed, err)
	}
	if _, err := RemoveCluster(ctx, "", ""); err == nil {
		t.Error("RemoveCluster without a cluster ID: no error")
	}
}

func TestAvailableUnreachable(t *testing.T) {
	if Available(context.Background(), "unix:///nonexistent/docker.sock") {
		t.Error("Available reported an engine at a missing socket")
	}
}

func TestCheckStatic(t *testing.T) {
	testsvc.Slow(t, "builds a test program")
	if err := checkStatic(runtimetest.BuildTestApp(t)); err != nil {
		t.Errorf("static testapp: %v", err)
	}
	if _, err := os.Stat("/bin/sh"); err == nil {
		if err := checkStatic("/bin/sh"); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
			t.Errorf("dynamic /bin/sh: %v, want a CGO_ENABLED hint", err)
		}
	}
}

func TestNewRequiresNodeName(t *testing.T) {
	if _, err := New(DefaultConfig(), zerolog.Nop()); err == nil {
		t.Error("New accepted a config without a node name")
	}
}

func mustPort(t *testing.T, s string) network.Port {
	t.Helper()
	p, err := network.ParsePort(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExec runs commands in a running container, as exec probes do, and
// reports their exit codes.
func TestExec(t *testing.T) {
	r := newRuntime(t, testNode(t))
	p := testPod("exec", api.Container{Name: "app", Image: runtimetest.TestAppImage})
	_, id := startPod(t, r, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		cmd  []string
		want int
	}{
		{[]string{"/testapp", "-listen=", "-exit=0"}, 0},
		{[]string{"/testapp", "-listen=", "-exit=3"}, 3},
	} {
		code, err := r.Exec(ctx, id, tc.cmd)
		if err != nil || code != tc.want {
			t.Errorf("Exec(%v) = %d, %v; want %d", tc.cmd, code, err, tc.want)
		}
	}
	if _, err := r.Exec(ctx, id, []string{"/no/such/program"}); err == nil {
		// Docker reports a missing program as exit code 126 or 127, or as
		// an error, depending on the engine; either way not a success.
		if code, _ := r.Exec(ctx, id, []string{"/no/such/program"}); code == 0 {
			t.Error("Exec of a missing program succeeded")
		}
	}
}
