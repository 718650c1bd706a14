package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubelet/runtimetest"
)

// testImage is the image TestDockerRuntime builds: testapp, FROM scratch.
const testImage = "minik8s/e2e-testapp:1"

// TestDockerRuntime runs `minik8s all --runtime docker --nodes 2` and a
// 3-replica Deployment of an image the test builds (no registry here): 3
// containers Running with IPs, kubectl logs shows what they printed, and
// describe pod shows the kubelet's events. It fails when
// MINIK8S_TEST_DOCKER is unset or no engine answers.
func TestDockerRuntime(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildTestImage(t)

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "e2e-" + hex.EncodeToString(b)
	nodes := []string{base + "-1", base + "-2"}
	// Registered first, so it runs after the cluster has stopped.
	t.Cleanup(func() { removeContainers(t, nodes) })
	c := startCluster(t, clusterOptions{nodeName: base, args: []string{"--runtime", "docker", "--nodes", "2"}})
	if out := c.stdout.String(); !strings.Contains(out, "node agents         2, docker runtime") {
		t.Errorf("banner does not say the nodes run Docker:\n%s", out)
	}

	out := c.kubectl("create", "deployment", "web", "--image="+testImage, "--replicas=3",
		"--", "/testapp", "-print=hello from e2e", "-print=second line")
	if strings.TrimSpace(out) != "deployment.apps/web created" {
		t.Fatalf("create deployment: %q", out)
	}
	pods := c.waitRunning(3, "-l", "app=web")
	for _, p := range pods {
		if ip, err := netip.ParseAddr(p.ip); err != nil || !ip.Is4() {
			t.Errorf("pod %s has IP %q, want an IPv4 address", p.name, p.ip)
		}
		if p.node != nodes[0] && p.node != nodes[1] {
			t.Errorf("pod %s is on %q, want one of %v", p.name, p.node, nodes)
		}
	}
	if n := len(containers(t, nodes, "running")); n != 6 {
		t.Errorf("%d running containers of the nodes, want 6 (3 pods: sandbox and app each)", n)
	}

	eventually(t, testTimeout, "the containers' output in kubectl logs", func() string {
		if out := c.kubectl("logs", pods[0].name); out != "hello from e2e\nsecond line\n" {
			return out
		}
		return ""
	})

	out = c.kubectl("describe", "pod", pods[0].name)
	for _, want := range []string{
		`Container image "` + testImage + `" already present on machine`,
		"Created container " + "e2e-testapp", "Started container e2e-testapp",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe pod lacks %q", want)
		}
	}
	if !hasField(out, "Container ID", "docker://") {
		t.Error("describe pod: no Container ID: docker://...")
	}
	if t.Failed() {
		t.Log(out)
	}

	c.kubectl("delete", "deployment", "web")
	eventually(t, testTimeout, "the pods' containers removed", func() string {
		if ids := containers(t, nodes, "running"); len(ids) > 0 {
			return strings.Join(ids, " ")
		}
		return ""
	})
}

// buildTestImage builds testImage from runtimetest's testapp.
func buildTestImage(t *testing.T) {
	t.Helper()
	buildImage(t, testImage, runtimetest.TestAppDockerfile, map[string]string{"testapp": runtimetest.BuildTestApp(t)})
}

// buildImage builds tag on the engine from dockerfile and files (see
// docker.Runtime.BuildImage).
func buildImage(t *testing.T, tag, dockerfile string, files map[string]string) {
	t.Helper()
	cfg := docker.DefaultConfig()
	cfg.NodeName = "e2e-image-builder" // required, though building uses no node
	rt, err := docker.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := rt.BuildImage(ctx, tag, dockerfile, files); err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
}

// containers returns the IDs of the containers the nodes made that have
// status ("" for any).
func containers(t *testing.T, nodes []string, status string) []string {
	t.Helper()
	var ids []string
	for _, n := range nodes {
		args := []string{"ps", "-aq", "--filter", "label=" + docker.LabelNode + "=" + n}
		if status != "" {
			args = append(args, "--filter", "status="+status)
		}
		out, err := exec.Command("docker", args...).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		ids = append(ids, strings.Fields(string(out))...)
	}
	return ids
}

// removeContainers removes every container the nodes made.
func removeContainers(t *testing.T, nodes []string) {
	if ids := containers(t, nodes, ""); len(ids) > 0 {
		if out, err := exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).CombinedOutput(); err != nil {
			t.Errorf("remove containers: %v\n%s", err, out)
		}
	}
}
