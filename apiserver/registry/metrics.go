package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
)

// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics (singular names as
// kubectl derives them from the kinds, so `kubectl get podmetrics` works
// as with metrics-server): usage measured by the
// node agents, answered on get and list and never stored (Measured), as
// metrics-server serves them in Kubernetes. `kubectl top` reads them, and
// so does the HorizontalPodAutoscaler controller.
var (
	nodeMetrics = &Resource{
		Group: api.MetricsGroup, Version: "v1beta1", Kind: "NodeMetrics", Name: "nodes", Singular: "nodemetrics",
		Verbs: []string{"get", "list"}, Measured: true,
		Schema:     GoType[api.NodeMetrics](),
		GroupTypes: []string{"NodeMetricsList", "PodMetrics", "PodMetricsList", "ContainerMetrics"},
		Columns:    metricsColumns(func(o map[string]any) []map[string]any { return []map[string]any{o} }),
		Docs: map[string]string{
			"NodeMetrics":        "NodeMetrics sets resource usage metrics of a node.",
			"NodeMetrics.window": "The interval the CPU usage is averaged over, ending at timestamp.",
			"NodeMetrics.usage":  "The memory (working set) and CPU usage.",
		},
	}
	podMetrics = &Resource{
		Group: api.MetricsGroup, Version: "v1beta1", Kind: "PodMetrics", Name: "pods", Singular: "podmetrics",
		Namespaced: true, Verbs: []string{"get", "list"}, Measured: true,
		Schema: GoType[api.PodMetrics](),
		Columns: metricsColumns(func(o map[string]any) []map[string]any {
			var out []map[string]any
			for _, c := range list(o, "containers") {
				if m, ok := c.(map[string]any); ok {
					out = append(out, m)
				}
			}
			return out
		}),
		Docs: map[string]string{
			"PodMetrics":            "PodMetrics sets resource usage metrics of a pod.",
			"PodMetrics.containers": "Metrics for all containers are collected within the same time window.",
		},
	}
)

func init() {
	register(nodeMetrics)
	register(podMetrics)
}

// metricsColumns are metrics-server's columns: CPU, Memory (summed over
// what usages returns) and Window.
func metricsColumns(usages func(o map[string]any) []map[string]any) []Column {
	sum := func(o map[string]any, res string) any {
		var total api.Quantity
		for _, u := range usages(o) {
			usage, _ := u["usage"].(map[string]any)
			s, _ := usage[res].(string)
			if q, err := api.ParseQuantity(s); err == nil {
				total.Add(q)
			}
		}
		return total.String()
	}
	return []Column{
		{Name: "CPU", Type: "string", Description: "CPU usage in cores", Cell: func(o map[string]any, _ time.Time) any { return sum(o, "cpu") }},
		{Name: "Memory", Type: "string", Description: "Memory (working set) usage in bytes", Cell: func(o map[string]any, _ time.Time) any { return sum(o, "memory") }},
		{Name: "Window", Type: "string", Description: "The interval the CPU usage is averaged over", Cell: func(o map[string]any, _ time.Time) any { return str(o, "window") }},
	}
}
