package hpa_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/hpa"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// fixedMetrics answers PodMetrics with the usage the test sets.
type fixedMetrics struct {
	mu    sync.Mutex
	usage map[string]string // pod → cpu
}

func (f *fixedMetrics) set(usage map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.usage = usage
}

func (f *fixedMetrics) podMetrics(_ context.Context, ns, _ string) (*api.PodMetricsList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	usage := f.usage
	{
		l := &api.PodMetricsList{}
		for name, cpu := range usage {
			l.Items = append(l.Items, api.PodMetrics{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns},
				Containers: []api.ContainerMetrics{{Name: "c", Usage: api.ResourceList{api.ResourceCPU: api.MustParse(cpu)}}}})
		}
		return l, nil
	}
}

// TestCustomResourceScale runs the controller against an API server
// serving a CustomResourceDefinition with a scale subresource: the kind
// is found through discovery, and the HPA scales the custom resource
// through /scale, with its status and a SuccessfulRescale event.
func TestCustomResourceScale(t *testing.T) {
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
	crd, err := os.ReadFile("../../examples/crontab-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kubectl(string(crd), "apply", "-f", "-")
	kubectl("", "wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=30s")
	kubectl(`{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"nightly"},"spec":{"cronSpec":"* * * * */5","replicas":2}}`, "create", "-f", "-")
	kubectl("", "patch", "crontab", "nightly", "--subresource=status", "--type=merge", "-p", `{"status":{"replicas":2,"selector":"app=ct"}}`)
	for _, n := range []string{"a", "b"} {
		kubectl(fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"ct"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"100m"}}}]}}`, n), "create", "-f", "-")
	}

	in := controllertest.StartInformers(ctx, t, c)
	controllertest.RunKubelet(ctx, c, in.Pods, 0)
	hpas := informer.New(client.ListWatch(client.Resource[api.HorizontalPodAutoscaler](c, client.HorizontalPodAutoscalers, ""), client.ListOptions{}), time.Minute)
	wg.Go(func() { _ = hpas.Run(ctx) })
	ev := controllertest.StartEvents(ctx, c)
	cfg := hpa.DefaultConfig()
	cfg.SyncPeriod = 100 * time.Millisecond
	hc, err := hpa.New(cfg, hpa.Deps{Client: c, Pods: in.Pods, HPAs: hpas, Events: ev}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	fm := &fixedMetrics{}
	fm.set(map[string]string{"a": "100m", "b": "100m"})
	hpa.SetPodMetrics(hc, fm.podMetrics)
	wg.Go(func() { _ = hc.Run(ctx, 2) })

	kubectl(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ct}
spec:
  scaleTargetRef: {apiVersion: stable.example.com/v1, kind: CronTab, name: nightly}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`, "create", "-f", "-")
	// 100% of the requests against a 50% target: twice the pods.
	defer func() {
		if t.Failed() {
			t.Log(kubectl("", "get", "hpa", "ct", "-o", "yaml"))
			t.Log(kubectl("", "get", "crontab", "nightly", "-o", "yaml"))
			t.Log(kubectl("", "get", "pods", "-o", "wide"))
		}
	}()
	controllertest.Eventually(t, 30*time.Second, "the CronTab scaled to 4", func() bool {
		return strings.TrimSpace(kubectl("", "get", "crontab", "nightly", "-o", "jsonpath={.spec.replicas}")) == "4"
	})
	h, err := client.Resource[api.HorizontalPodAutoscaler](c, client.HorizontalPodAutoscalers, "default").Get(ctx, "ct")
	if err != nil {
		t.Fatal(err)
	}
	if h.Status.DesiredReplicas != 4 || h.Status.LastScaleTime == nil || len(h.Status.CurrentMetrics) != 1 ||
		*h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization != 100 {
		t.Errorf("status: %+v", h.Status)
	}
	conds := map[string]string{}
	for _, cd := range h.Status.Conditions {
		conds[cd.Type] = string(cd.Status) + "/" + cd.Reason
	}
	if conds["ScalingActive"] != "True/ValidMetricFound" || !strings.HasPrefix(conds["AbleToScale"], "True/") {
		t.Errorf("conditions: %v", conds)
	}
	controllertest.Eventually(t, 10*time.Second, "a SuccessfulRescale event", func() bool {
		return strings.Contains(kubectl("", "get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={.items[*].message}"),
			"reason: cpu resource utilization (percentage of request) above target")
	})
	// Idle: the default 300s scale-down window holds the recommendation.
	fm.set(map[string]string{"a": "1m", "b": "1m"})
	controllertest.Eventually(t, 10*time.Second, "ScaleDownStabilized", func() bool {
		return strings.Contains(kubectl("", "get", "hpa", "ct", "-o", "jsonpath={.status.conditions[?(@.type=='AbleToScale')].reason}"), "ScaleDownStabilized")
	})
	if r := strings.TrimSpace(kubectl("", "get", "crontab", "nightly", "-o", "jsonpath={.spec.replicas}")); r != "4" {
		t.Errorf("scaled down within the stabilisation window: %s replicas", r)
	}
}
