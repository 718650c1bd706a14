package kubelet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/kubelet"
)

// scenario is the kubelet's behaviour the issue asks for, run against
// every runtime: the node registers and stays alive, pods run and report
// status, restart, fail, log and go away, with events.
func scenario(t *testing.T, h *harness) {
	h.start()
	ctx := context.Background()
	var port int

	t.Run("NodeReadyAndLeaseRenewed", func(t *testing.T) {
		deadline := time.Now().Add(waitTimeout)
		for {
			n, err := h.c.Nodes().Get(ctx, h.node)
			if err == nil && api.IsNodeReady(n) && n.Status.DaemonEndpoints.KubeletEndpoint.Port != 0 {
				port = int(n.Status.DaemonEndpoints.KubeletEndpoint.Port)
				if port != h.k.Port() {
					t.Errorf("node publishes kubelet port %d, kubelet serves on %d", port, h.k.Port())
				}
				ready := api.NodeReadyCondition(n)
				if ready.Reason != "KubeletReady" || ready.Message != "kubelet is posting ready status" || ready.LastHeartbeatTime.IsZero() {
					t.Errorf("Ready condition %+v", ready)
				}
				if n.Labels[kubelet.LabelHostname] != h.node || n.Labels[kubelet.LabelOS] != "linux" || n.Labels[kubelet.LabelArch] == "" {
					t.Errorf("labels %v", n.Labels)
				}
				if pods := n.Status.Capacity[api.ResourcePods]; pods.Value() != 110 || n.Status.Allocatable.Cpu().IsZero() {
					t.Errorf("capacity %v allocatable %v", n.Status.Capacity, n.Status.Allocatable)
				}
				if n.Status.NodeInfo.KubeletVersion != kubelet.KubeletVersion || n.Status.NodeInfo.ContainerRuntimeVersion == "" {
					t.Errorf("nodeInfo %+v", n.Status.NodeInfo)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s not Ready: %v %+v", h.node, err, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		first := renewTime(t, h, ctx)
		deadline = time.Now().Add(waitTimeout)
		for renewTime(t, h, ctx).Equal(first) {
			if time.Now().After(deadline) {
				t.Fatal("lease not renewed")
			}
			time.Sleep(100 * time.Millisecond)
		}
		out := h.kubectl("get", "nodes")
		if !strings.Contains(out, h.node) || !strings.Contains(out, "Ready") {
			t.Errorf("kubectl get nodes:\n%s", out)
		}
	})

	web := h.run(h.pod("web", behaviour{print: []string{"hello", "world"}, exit: -1}))
	t.Run("RunningWithIPAndStatus", func(t *testing.T) {
		p := h.waitPod("web", "Running and Ready", isRunningReady)
		cs := container(p, "app")
		prefix := "docker://"
		if h.simulated {
			prefix = "sim://"
		}
		if cs == nil || cs.State.Running == nil || !cs.Ready || cs.RestartCount != 0 || !strings.HasPrefix(cs.ContainerID, prefix) ||
			cs.ImageID == "" || cs.Image == "" || cs.Started == nil || !*cs.Started {
			t.Errorf("container status %+v", cs)
		}
		if p.Status.HostIP != "127.0.0.1" || p.Status.StartTime == nil || len(p.Status.PodIPs) != 1 {
			t.Errorf("status: hostIP %q startTime %v podIPs %v", p.Status.HostIP, p.Status.StartTime, p.Status.PodIPs)
		}
		for _, ct := range []api.PodConditionType{api.PodScheduled, api.PodInitialized, api.ContainersReady, api.PodReady} {
			if c := api.GetPodCondition(&p.Status, ct); c == nil || c.Status != api.ConditionTrue || c.LastTransitionTime.IsZero() {
				t.Errorf("condition %s: %+v", ct, c)
			}
		}
		out := h.kubectl("get", "pods", "-o", "wide")
		if !strings.Contains(out, "web") || !strings.Contains(out, "Running") || !strings.Contains(out, p.Status.PodIP) {
			t.Errorf("kubectl get pods -o wide:\n%s", out)
		}
	})

	t.Run("Logs", func(t *testing.T) {
		if out := h.kubectl("logs", "web"); out != "hello\nworld\n" {
			t.Errorf("kubectl logs web = %q", out)
		}
		if out := h.kubectl("logs", "web", "--tail=1", "-c", "app"); out != "world\n" {
			t.Errorf("kubectl logs --tail=1 -c app = %q", out)
		}
		if out, err := h.s.Kubectl(t, "", "logs", "web", "--previous"); err == nil || !strings.Contains(out, "previous terminated container") {
			t.Errorf("kubectl logs --previous without a previous container: %v %q", err, out)
		}
	})

	t.Run("KilledContainerRestarts", func(t *testing.T) {
		h.kill(t, web, "app")
		p := h.waitPod("web", "restarted", func(p *api.Pod) bool {
			cs := container(p, "app")
			return cs != nil && cs.RestartCount == 1 && cs.State.Running != nil && isRunningReady(p)
		})
		last := container(p, "app").LastTerminationState.Terminated
		if last == nil || last.ExitCode == 0 || last.FinishedAt.IsZero() {
			t.Errorf("lastState %+v", last)
		}
		if out := h.kubectl("logs", "web", "--previous"); out != "hello\nworld\n" {
			t.Errorf("kubectl logs --previous = %q", out)
		}
	})

	h.run(h.pod("fail", behaviour{print: []string{"bye"}, exit: 3, after: 1500 * time.Millisecond}))
	t.Run("NeverRestartedPodFails", func(t *testing.T) {
		h.waitPod("fail", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
		// logs -f streams until the container exits.
		fctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		out, err := h.s.KubectlContext(fctx, t, "", "logs", "-f", "fail")
		if err != nil || out != "bye\n" {
			t.Errorf("kubectl logs -f fail = %q, %v", out, err)
		}
		p := h.waitPod("fail", "Failed", func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
		term := container(p, "app").State.Terminated
		if term == nil || term.ExitCode != 3 || term.Reason != "Error" {
			t.Errorf("terminated state %+v", term)
		}
		if c := api.GetPodCondition(&p.Status, api.PodReady); c == nil || c.Status != api.ConditionFalse || c.Reason != "PodCompleted" {
			t.Errorf("Ready condition of a failed pod: %+v", c)
		}
	})

	h.run(h.pod("crash", behaviour{exit: 1}))
	t.Run("CrashLoopBackOff", func(t *testing.T) {
		h.waitPod("crash", "in CrashLoopBackOff", func(p *api.Pod) bool {
			cs := container(p, "app")
			return cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason == kubelet.ReasonCrashLoopBackOff &&
				cs.RestartCount >= 1 && cs.LastTerminationState.Terminated != nil
		})
		deadline := time.Now().Add(waitTimeout)
		for {
			out := h.kubectl("describe", "pod", "crash")
			ok := true
			for _, want := range []string{"Pulled", "Created", "Started", "BackOff", "Back-off restarting failed container", "kubelet"} {
				ok = ok && strings.Contains(out, want)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kubectl describe pod crash lacks the kubelet's events:\n%s", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("DeleteRemovesContainers", func(t *testing.T) {
		start := time.Now()
		h.kubectl("delete", "pod", "web", "--wait=false")
		h.waitGone("web", 20*time.Second)
		h.waitRuntimeEmpty(web.UID, 5*time.Second)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("deletion took %s", d)
		}
		// The kubelet's Killing event outlives the pod.
		deadline := time.Now().Add(waitTimeout)
		for !hasEvent(t, h, "web", kubelet.EventKilling) {
			if time.Now().After(deadline) {
				t.Fatal("no Killing event for web")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func renewTime(t *testing.T, h *harness, ctx context.Context) time.Time {
	t.Helper()
	l, err := h.c.Leases(kubelet.NodeLeaseNamespace).Get(ctx, h.node)
	if err != nil {
		return time.Time{}
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != h.node || l.Spec.LeaseDurationSeconds == nil || *l.Spec.LeaseDurationSeconds != 40 {
		t.Errorf("lease spec %+v", l.Spec)
	}
	if l.Spec.RenewTime == nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Time
}

func hasEvent(t *testing.T, h *harness, pod, reason string) bool {
	t.Helper()
	evs, _, err := h.c.Events("default").List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.InvolvedObject.Name == pod && e.Reason == reason && e.Source.Component == "kubelet" && e.Source.Host == h.node {
			return true
		}
	}
	return false
}

// reconcile checks that a restarted kubelet removes the containers of a
// pod deleted while it was down, and leaves a pod that still exists
// running as it was.
func reconcile(t *testing.T, h *harness) {
	h.start()
	p := h.run(h.pod("gone", behaviour{print: []string{"x"}, exit: -1}))
	h.run(h.pod("kept", behaviour{print: []string{"y"}, exit: -1}))
	h.waitPod("gone", "Running", isRunningReady)
	before := container(h.waitPod("kept", "Running", isRunningReady), "app").ContainerID
	h.stop()
	zero := int64(0)
	if err := h.c.Pods("default").Delete(context.Background(), "gone", api.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := h.rt.PodStatus(context.Background(), p.UID); len(ps.Containers) == 0 {
		t.Fatal("the pod's containers are gone before the kubelet restarted")
	}
	h.start()
	h.waitRuntimeEmpty(p.UID, waitTimeout)
	kept := h.waitPod("kept", "Running", isRunningReady)
	if cs := container(kept, "app"); cs.ContainerID != before || cs.RestartCount != 0 {
		t.Errorf("the restarted kubelet replaced a running container: %s (restarts %d), was %s", cs.ContainerID, cs.RestartCount, before)
	}
}
