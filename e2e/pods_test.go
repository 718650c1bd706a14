package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// TestPodsOnSimNodes runs the kubelet issue's kubectl commands on 3
// simulated nodes: nodes Ready, a Deployment's pods Running with IPs and
// nodes, logs, logs -f, and the kubelet's events in describe pod.
func TestPodsOnSimNodes(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--nodes", "3", "--runtime", "sim"}})

	out := c.kubectl("get", "nodes", "--no-headers")
	var nodes []string
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if f[1] != "Ready" {
			t.Errorf("node %s is %s, want Ready", f[0], f[1])
		}
		nodes = append(nodes, f[0])
	}
	if len(nodes) != 3 {
		t.Fatalf("get nodes: want 3 nodes:\n%s", out)
	}

	c.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3")
	pods := c.waitRunning(3, "-l", "app=web")
	ips := map[string]bool{}
	for _, p := range pods {
		if ip, err := netip.ParseAddr(p.ip); err != nil || !ip.Is4() {
			t.Errorf("pod %s has IP %q, want an IPv4 address", p.name, p.ip)
		}
		ips[p.ip] = true
		if !slices.Contains(nodes, p.node) {
			t.Errorf("pod %s is on %q, not one of the nodes %v", p.name, p.node, nodes)
		}
	}
	if len(ips) != 3 {
		t.Errorf("3 pods share IPs: %v", pods)
	}
	pod := pods[0].name

	t.Run("Logs", func(t *testing.T) {
		c := c.on(t)
		if out := c.kubectl("logs", pod); out != "simulated container nginx started (attempt 0)\n" {
			t.Errorf("logs %s = %q", pod, out)
		}
		if out := c.kubectl("logs", "deployment/web", "-c", "nginx", "--tail=1"); !strings.HasPrefix(out, "simulated container nginx started") {
			t.Errorf("logs deployment/web = %q", out)
		}
	})

	t.Run("LogsFollow", func(t *testing.T) {
		c := c.on(t)
		// A running container: -f prints its log and keeps following.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		follow := &syncbuf.Buffer{}
		done := make(chan result, 1)
		go func() {
			done <- runKubectlTo(ctx, follow, []string{"KUBECONFIG=" + c.kubeconfig}, "logs", "-f", pod)
		}()
		eventually(t, testTimeout, "logs -f printing the log", func() string {
			if out := follow.String(); out != "simulated container nginx started (attempt 0)\n" {
				return fmt.Sprintf("%q so far", out)
			}
			return ""
		})
		select {
		case r := <-done:
			t.Errorf("logs -f of a running container returned by itself: %v", r)
		case <-time.After(time.Second):
		}
		cancel()

		// A container that exits after 3s: -f returns when it ends.
		c.kubectl("apply", "-f", filepath.Join("testdata", "talker.yaml"))
		c.waitRunning(1, "--field-selector", "metadata.name=talker")
		out := c.kubectl("logs", "-f", "talker")
		returned := time.Now()
		if out != "first line\nsecond line\n" {
			t.Errorf("logs -f talker = %q", out)
		}
		var finished time.Time
		eventually(t, testTimeout, "talker Succeeded", func() string {
			out := c.kubectl("get", "pod", "talker", "-o", "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.finishedAt}")
			phase, at, _ := strings.Cut(out, " ")
			if phase != "Succeeded" {
				return out
			}
			var err error
			if finished, err = time.Parse(time.RFC3339, at); err != nil {
				return "finishedAt: " + err.Error()
			}
			return ""
		})
		// finishedAt has second precision.
		if returned.Before(finished.Add(-time.Second)) {
			t.Errorf("logs -f returned at %s, before talker finished at %s: it did not follow", returned.Format(time.RFC3339Nano), finished)
		}
	})

	t.Run("DescribeStartEvents", func(t *testing.T) {
		c := c.on(t)
		out := c.kubectl("describe", "pod", pod)
		for key, value := range map[string]string{"Node": pods[0].node + "/", "Status": "Running", "IP": pods[0].ip} {
			if !hasField(out, key, value) {
				t.Errorf("describe pod: no %s: %s", key, value)
			}
		}
		for _, want := range []string{
			"default-scheduler  Successfully assigned default/" + pod,
			"Pulled", "Created", "Started", "kubelet", "Started container nginx",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("describe pod lacks %q", want)
			}
		}
		if t.Failed() {
			t.Log(out)
		}
	})

	t.Run("DescribeKilling", func(t *testing.T) {
		c := c.on(t)
		c.kubectl("apply", "-f", filepath.Join("testdata", "slow-stop.yaml"))
		c.waitRunning(1, "--field-selector", "metadata.name=slow-stop")
		if out := c.kubectl("delete", "pod", "slow-stop", "--wait=false"); !strings.Contains(out, `pod "slow-stop" deleted`) {
			t.Fatalf("delete: %q", out)
		}
		// The container ignores SIGTERM: the pod stays for its 30s grace.
		eventually(t, 20*time.Second, "a Killing event while slow-stop terminates", func() string {
			out := c.kubectl("describe", "pod", "slow-stop")
			if !strings.Contains(out, "Killing") || !strings.Contains(out, "Stopping container app") {
				return out
			}
			if !strings.Contains(out, "Terminating (lasts ") {
				return "describe does not show the pod terminating:\n" + out
			}
			return ""
		})
		if r := c.kubectlRun("", "delete", "pod", "slow-stop", "--grace-period=0", "--force"); r.code != 0 {
			t.Errorf("force delete: %v", r)
		}
		if r := c.kubectlRun("", "get", "pod", "slow-stop"); r.code != 1 {
			t.Errorf("slow-stop is still there after a forced delete: %v", r)
		}
	})

	t.Run("DescribeBackOff", func(t *testing.T) {
		c := c.on(t)
		c.kubectl("apply", "-f", filepath.Join(repoRoot, "examples", "crashing-pod.yaml"))
		eventually(t, 30*time.Second, "crasher in CrashLoopBackOff with a BackOff event", func() string {
			out := c.kubectl("describe", "pod", "crasher")
			if !strings.Contains(out, "BackOff") || !strings.Contains(out, "Back-off restarting failed container app") {
				return out
			}
			return ""
		})
		eventually(t, 30*time.Second, "crasher's status", func() string {
			rows := c.getPods("--field-selector", "metadata.name=crasher")
			if len(rows) != 1 || rows[0].status != "CrashLoopBackOff" && rows[0].restarts == "0" {
				return "want CrashLoopBackOff or a restart: " + strings.Join(strings.Fields(c.kubectl("get", "pod", "crasher", "--no-headers")), " ")
			}
			return ""
		})
		out := c.kubectl("get", "pod", "crasher", "-o", "jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode}")
		if out != "1" {
			t.Errorf("crasher's last exit code = %q, want 1", out)
		}
		c.kubectl("delete", "pod", "crasher", "--wait=false")
	})
}
