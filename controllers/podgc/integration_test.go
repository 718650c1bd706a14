package podgc_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/podgc"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// TestPodGC runs the collector against an API server: pods of a deleted
// node go (marked Failed first), those of a live node stay, and
// terminated pods beyond the threshold go oldest first.
func TestPodGC(t *testing.T) {
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
	for _, n := range []string{"live", "dead"} {
		kubectl(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"`+n+`"}}`, "create", "-f", "-")
	}
	pod := func(name, node string) {
		kubectl(fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},"spec":{"nodeName":%q,"containers":[{"name":"c","image":"x"}]}}`, name, node), "create", "-f", "-")
	}
	pod("on-live", "live")
	pod("on-dead", "dead")
	for i := range 3 {
		name := fmt.Sprintf("done-%d", i)
		pod(name, "live")
		kubectl("", "patch", "pod", name, "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Succeeded"}}`)
	}

	pods := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{}), time.Minute)
	nodes := informer.New(client.ListWatch(c.Nodes(), client.ListOptions{}), time.Minute)
	// Watch what the collector writes before it deletes.
	var mu sync.Mutex
	failed := map[string]bool{}
	pods.AddHandler(informer.HandlerFuncs[*api.Pod]{UpdateFunc: func(_, p *api.Pod) {
		for _, cd := range p.Status.Conditions {
			if cd.Type == api.DisruptionTarget && cd.Reason == "DeletionByPodGC" && p.Status.Phase == api.PodFailed {
				mu.Lock()
				failed[p.Name] = true
				mu.Unlock()
			}
		}
	}})
	wg.Go(func() { _ = pods.Run(ctx) })
	wg.Go(func() { _ = nodes.Run(ctx) })
	gc, err := podgc.New(podgc.Config{Period: 100 * time.Millisecond, TerminatedPodThreshold: 1, Quarantine: 300 * time.Millisecond},
		podgc.Deps{Client: c, Pods: pods, Nodes: nodes}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = gc.Run(ctx) })

	names := func() string {
		out := strings.Fields(kubectl("", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"))
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	controllertest.Eventually(t, 10*time.Second, "the two oldest terminated pods deleted", func() bool {
		return names() == "done-2 on-dead on-live"
	})
	kubectl("", "delete", "node", "dead")
	controllertest.Eventually(t, 10*time.Second, "the orphaned pod deleted", func() bool {
		return names() == "done-2 on-live"
	})
	mu.Lock()
	defer mu.Unlock()
	if !failed["on-dead"] {
		t.Error("the orphaned pod was not marked Failed with a DisruptionTarget condition before its deletion")
	}
}
