package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
)

// Node heartbeats and the node monitor of the node-agent case: a node
// silent for nodeGrace is Ready=Unknown; its pods tolerate that for 2 s.
const (
	nodeHeartbeat = 500 * time.Millisecond
	nodeGrace     = 4 * time.Second
)

// A node agent process is SIGKILLed while its node runs every pod of a
// Deployment: the node goes Ready=Unknown within the grace period, and
// the pods are recreated and Running on the other node; none is lost,
// none runs twice. API server, scheduler, controller manager and the two
// node agents are each a process of their own.
func TestNodeAgentKilled(t *testing.T) {
	r := newRow(t, "node agent SIGKILL")
	replicas := pick(10, 50)
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	srv, err := env.StartServer(ctx, bench.ServerOptions{})
	must(t, err)
	_, err = env.StartProcessOn(srv, "scheduler", append([]string{"--port", "0"}, electionArgs()...)...)
	must(t, err)
	_, err = env.StartProcessOn(srv, "controller-manager", append([]string{"--port", "0", "--node-monitor-period", "500ms",
		"--node-monitor-grace-period", nodeGrace.String()}, electionArgs()...)...)
	must(t, err)
	kubelet := func(name string) *bench.Process {
		p, err := env.StartProcessOn(srv, "kubelet", "--node-name", name, "--runtime", "sim", "--port", "0",
			"--node-lease-renew-interval", nodeHeartbeat.String(), "--node-status-update-interval", nodeHeartbeat.String())
		must(t, err)
		return p
	}
	c := newClient(t, srv)
	nodeReady := func(name string) string {
		n, err := c.Nodes().Get(ctx, name)
		if err != nil {
			return ""
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == api.NodeReady {
				return string(cond.Status)
			}
		}
		return ""
	}

	// Every pod on the doomed node: it is the only node when they are made.
	doomed := kubelet("doomed")
	controllertest.Eventually(t, time.Minute, "node doomed Ready", func() bool { return nodeReady("doomed") == "True" })
	must(t, bench.WaitLeaders(ctx, srv, time.Minute, "kube-scheduler", "kube-controller-manager"))
	must(t, bench.CreateNamespace(ctx, srv, ns))
	pods := trackPods(t, c, ns)
	_, err = srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apps/v1/namespaces/"+ns+"/deployments", moverJSON(ns, replicas))
	must(t, err)
	onDoomed := func(n string) bool { return n == "doomed" }
	elsewhere := func(n string) bool { return n != "doomed" }
	controllertest.Eventually(t, time.Minute, fmt.Sprintf("%d pods Running on doomed", replicas), func() bool {
		_, running := pods.counts(onDoomed)
		return running == replicas
	})
	kubelet("spare")
	controllertest.Eventually(t, time.Minute, "node spare Ready", func() bool { return nodeReady("spare") == "True" })

	must(t, doomed.Kill())
	killed := time.Now()
	controllertest.Eventually(t, time.Minute, "node doomed Ready=Unknown", func() bool { return nodeReady("doomed") == "Unknown" })
	unknown := time.Since(killed)
	controllertest.Eventually(t, 2*time.Minute, fmt.Sprintf("%d pods Running elsewhere", replicas), func() bool {
		live, running := pods.counts(elsewhere)
		return live == replicas && running == replicas
	})
	moved := time.Since(killed)

	list, _, err := c.Pods(ns).List(ctx, client.ListOptions{})
	must(t, err)
	live, runningElsewhere := 0, 0
	for _, p := range list {
		if p.DeletionTimestamp != nil {
			continue
		}
		live++
		if p.Spec.NodeName != "doomed" && p.Status.Phase == api.PodRunning {
			runningElsewhere++
		}
	}
	twice := pods.boundTwice()
	r.load = fmt.Sprintf("%d pods on the killed node, grace %s, toleration 2s", replicas, nodeGrace)
	r.lost = fmt.Sprint(max(0, replicas-runningElsewhere))
	r.dup = fmt.Sprint(max(0, live-replicas) + len(twice))
	r.recovery = fmt.Sprintf("Unknown after %.1fs, pods Running elsewhere after %.1fs", unknown.Seconds(), moved.Seconds())
	if rss, err := srv.PeakRSS(); err == nil {
		r.rss = mib(rss) + " (API server)"
	}
	r.check(runningElsewhere == replicas && live == replicas, "%d live pods, %d Running elsewhere; want %d", live, runningElsewhere, replicas)
	r.check(len(twice) == 0, "pods bound twice: %v", twice)
	r.check(unknown <= nodeGrace+2*time.Second, "node Unknown %.1fs after the kill, grace %s", unknown.Seconds(), nodeGrace)
}

// moverJSON is a Deployment whose pods tolerate an unreachable node for
// 2 s only (the default is 300 s), so that they move soon after their
// node goes silent.
func moverJSON(ns string, replicas int) []byte {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "mover", "namespace": ns},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "mover"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "mover"}},
				"spec": map[string]any{
					"tolerations": []any{map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
						"effect": "NoExecute", "tolerationSeconds": 2}},
					"containers": []any{map[string]any{"name": "app", "image": "registry.k8s.io/pause:3.10"}},
				},
			},
		},
	})
	return b
}
