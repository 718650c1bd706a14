package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// Three controller-manager replicas run a rolling update of 20 replicas
// (maxSurge 25%, maxUnavailable 0) on real components — a scheduler and
// simulated kubelets — and the leader is stopped mid-rollout. The rollout
// still converges, and at no point does the Deployment have more than
// replicas + maxSurge = 25 pods (counted from a watch).
func TestRolloutSurvivesControllerManagerFailover(t *testing.T) {
	testsvc.Slow(t, "a rollout across a failover")
	s := testenv.StartAPIServer(t, testenv.Options{})
	cfg := fastElection(t, s.DataDir)
	cfg.Kubelet.Sim.StartDelay, cfg.Kubelet.Sim.StartJitter = 50*time.Millisecond, 100*time.Millisecond
	stopCM := runCluster(t, cfg, 4, 3)
	bg := context.Background()

	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	holder := func() string {
		l, err := c.Leases("kube-system").Get(bg, "kube-controller-manager")
		if err != nil || l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}

	// Count the Deployment's pods from a watch, all along.
	var (
		mu      sync.Mutex
		live    = map[string]bool{} // name → not terminating
		maxLive int
		history []string // the events, to show when the bound is broken
		atMax   int      // len(history) when maxLive was reached
	)
	wctx, wcancel := context.WithCancel(bg)
	defer wcancel()
	events, err := c.Pods("default").Watch(wctx, client.ListOptions{LabelSelector: "app=web"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev := range events {
			if ev.Err != nil || ev.Type == client.Bookmark {
				continue
			}
			p := ev.Object
			mu.Lock()
			if ev.Type == client.Deleted || p.DeletionTimestamp != nil {
				delete(live, p.Name)
			} else {
				live[p.Name] = true
			}
			history = append(history, fmt.Sprintf("%s %s (%s) rv=%s deleting=%t → %d live",
				ev.Type, p.Name, p.Labels["pod-template-hash"], p.ResourceVersion, p.DeletionTimestamp != nil, len(live)))
			if len(live) > maxLive {
				maxLive, atMax = len(live), len(history)
			}
			mu.Unlock()
		}
	}()

	if _, err := s.Kubectl(t, deployment("nginx:1.27"), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, c, "nginx:1.27")

	first := holder()
	if _, err := s.Kubectl(t, "", "set", "image", "deployment/web", "app=nginx:1.28"); err != nil {
		t.Fatal(err)
	}
	// Stop the leader once the new ReplicaSet has pods, mid-rollout.
	eventually(t, 20*time.Second, "the rollout to start", func() bool { return countImage(t, c, "nginx:1.28") > 0 })
	var idx int
	if _, err := fmt.Sscanf(first[strings.LastIndex(first, "_cm")+3:], "%d", &idx); err != nil {
		t.Fatalf("leader identity %q: %v", first, err)
	}
	if err := stopCM[idx](); err != nil {
		t.Errorf("leader: %v", err)
	}
	eventually(t, 10*time.Second, "a standby to take over", func() bool { h := holder(); return h != "" && h != first })
	waitRolledOut(t, c, "nginx:1.28")

	mu.Lock()
	defer mu.Unlock()
	if maxLive > 25 {
		t.Logf("the pods' events up to the peak:\n%s", strings.Join(history[max(0, atMax-60):atMax], "\n"))
		t.Fatalf("the Deployment had %d pods at once, more than replicas + maxSurge = 25", maxLive)
	}
	t.Logf("leader %s stopped mid-rollout; %s finished it; at most %d pods at once", first, holder(), maxLive)
}

func deployment(image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 20
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: ` + image + "\n"
}

// countImage counts the running, ready, not terminating pods of image.
func countImage(t *testing.T, c *client.Client, image string) int {
	t.Helper()
	ps, _, err := c.Pods("default").List(context.Background(), client.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image && api.IsPodReady(p) {
			n++
		}
	}
	return n
}

// waitRolledOut waits until the Deployment runs 20 ready pods of image and
// nothing else, and its status says so.
func waitRolledOut(t *testing.T, c *client.Client, image string) {
	t.Helper()
	eventually(t, 60*time.Second, "20 ready pods of "+image, func() bool {
		ps, _, err := c.Pods("default").List(context.Background(), client.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 20 || countImage(t, c, image) != 20 {
			return false
		}
		d, err := c.Deployments("default").Get(context.Background(), "web")
		return err == nil && d.Status.UpdatedReplicas == 20 && d.Status.AvailableReplicas == 20 && d.Status.Replicas == 20
	})
}
