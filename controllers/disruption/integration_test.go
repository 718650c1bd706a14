package disruption_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/disruption"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

const podsManifest = `apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, labels: {app: web}}
spec: {nodeName: n2, containers: [{name: c, image: nginx}]}
`

// TestDrainRespectsBudget runs the disruption controller against an API
// server and drains a node with the real kubectl: the drain is refused
// while the budget allows no disruption, and goes through once it allows
// two.
func TestDrainRespectsBudget(t *testing.T) {
	testsvc.Slow(t, "an API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	in := controllertest.StartInformers(ctx, t, c)
	pdbs := informer.New(client.ListWatch(c.PodDisruptionBudgets(""), client.ListOptions{}), time.Minute,
		controllerutil.Indexers[*api.PodDisruptionBudget]()...)
	wg.Go(func() { _ = pdbs.Run(ctx) })
	dc, err := disruption.New(disruption.Deps{Client: c, Pods: in.Pods, PDBs: pdbs, ReplicaSets: in.ReplicaSets,
		Deployments: in.Deployments, Events: controllertest.StartEvents(ctx, c)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = dc.Run(ctx, 1) })
	controllertest.RunKubelet(ctx, c, in.Pods, 0)

	for _, n := range []string{"n1", "n2"} {
		kubectl(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"`+n+`"}}`, "create", "-f", "-")
	}
	kubectl(podsManifest, "create", "-f", "-")
	kubectl("", "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=3")
	status := func() api.PodDisruptionBudgetStatus {
		p, err := c.PodDisruptionBudgets("default").Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return p.Status
	}
	controllertest.Eventually(t, 10*time.Second, "the budget's status", func() bool {
		st := status()
		return st.CurrentHealthy == 3 && st.DesiredHealthy == 3 && st.ExpectedPods == 3
	})
	if st := status(); st.DisruptionsAllowed != 0 {
		t.Fatalf("disruptionsAllowed = %d, want 0", st.DisruptionsAllowed)
	}
	if out := kubectl("", "get", "pdb", "web"); !strings.Contains(out, "web    3               N/A               0") {
		t.Errorf("kubectl get pdb:\n%s", out)
	}

	out, err := s.Kubectl(t, "", "drain", "n1", "--force", "--grace-period=0", "--timeout=3s")
	if err == nil || !strings.Contains(out, "Cannot evict pod as it would violate the pod's disruption budget.") {
		t.Fatalf("drain with a budget at its minimum: %v\n%s", err, out)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := c.Pods("default").Get(ctx, name); err != nil {
			t.Errorf("pod %s after a refused drain: %v", name, err)
		}
	}

	kubectl("", "patch", "pdb", "web", "--type=merge", "-p", `{"spec":{"minAvailable":1}}`)
	controllertest.Eventually(t, 10*time.Second, "two disruptions allowed", func() bool { return status().DisruptionsAllowed == 2 })
	out = kubectl("", "drain", "n1", "--force", "--grace-period=0", "--timeout=30s")
	if !strings.Contains(out, "node/n1 drained") {
		t.Errorf("drain:\n%s", out)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := c.Pods("default").Get(ctx, name); !client.IsNotFound(err) {
			t.Errorf("pod %s after the drain: %v, want not found", name, err)
		}
	}
	controllertest.Eventually(t, 10*time.Second, "the budget recomputed after the drain", func() bool {
		st := status()
		return st.CurrentHealthy == 1 && st.ExpectedPods == 1 && st.DisruptionsAllowed == 0 && len(st.DisruptedPods) == 0
	})
}
