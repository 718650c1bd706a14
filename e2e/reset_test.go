package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// TestResetRemovesDockerContainers runs a cluster on Docker, stops it with
// Ctrl-C (which leaves the pods' containers running and says how to remove
// them), and runs `minik8s reset`: it refuses while the cluster runs, then
// removes that cluster's containers and its data dir, and leaves alone a
// container of another cluster whose node has the same name.
func TestResetRemovesDockerContainers(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildTestImage(t)

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	node := "e2e-reset-" + hex.EncodeToString(b)
	nodes := []string{node}
	t.Cleanup(func() { removeContainers(t, nodes) })
	c := startCluster(t, clusterOptions{nodeName: node, args: []string{"--runtime", "docker", "--nodes", "1"}})

	// Another cluster's container on a node of the same name.
	other, err := exec.Command("docker", "create", "--label", docker.LabelNode+"="+node,
		"--label", docker.LabelCluster+"=another-cluster", testImage).Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	otherID := strings.TrimSpace(string(other))

	c.kubectl("create", "deployment", "web", "--image="+testImage, "--replicas=2")
	c.waitRunning(2, "-l", "app=web")

	reset := func() (string, int) {
		cmd := exec.Command(binPath, "reset", "--data-dir", c.dataDir)
		cmd.Env = cleanEnv()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		return out.String(), cmd.ProcessState.ExitCode()
	}
	if out, code := reset(); code == 0 || !strings.Contains(out, "is running") {
		t.Errorf("reset of a running cluster: exit %d, %q; want a refusal", code, out)
	}

	if code := c.interrupt(); code != 0 {
		t.Fatalf("exit code %d after Ctrl-C", code)
	}
	if want := "reset --data-dir " + c.dataDir; !strings.Contains(c.stdout.String(), want) {
		t.Errorf("after Ctrl-C, stdout does not say %q:\n%s", want, c.stdout.String())
	}
	running := containers(t, nodes, "running")
	if len(running) != 4 {
		t.Errorf("%d containers running after Ctrl-C, want 4 (2 pods: sandbox and app each)", len(running))
	}

	out, code := reset()
	if code != 0 {
		t.Fatalf("reset: exit %d\n%s", code, out)
	}
	for _, want := range []string{"removed container k8s_POD_web-", "removed container k8s_e2e-testapp_web-",
		"removed 4 Docker container(s) of cluster ", "removed data dir " + c.dataDir} {
		if !strings.Contains(out, want) {
			t.Errorf("reset output lacks %q:\n%s", want, out)
		}
	}
	if left := containers(t, nodes, ""); len(left) != 1 || !strings.HasPrefix(otherID, left[0]) {
		t.Errorf("containers of node %s after reset: %v, want only the other cluster's %.12s", node, left, otherID)
	}
	if _, err := os.Stat(c.dataDir); !os.IsNotExist(err) {
		t.Errorf("data dir after reset: %v, want it gone", err)
	}
	if out, code := reset(); code != 0 || !strings.Contains(out, "nothing to reset") {
		t.Errorf("second reset: exit %d, %q; want nothing to reset", code, out)
	}
}
