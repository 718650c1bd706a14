package registry

import (
	"fmt"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// horizontalPodAutoscalers: autoscaling/v2 HorizontalPodAutoscaler. Only
// v2 is served; the v1 form (kubectl autoscale) converts with
// api.HPAToV1 and api.HPAFromV1 once the pipeline serves a kind at
// several versions. Its status is the autoscaler's.
var horizontalPodAutoscalers = &Resource{
	Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler", Name: "horizontalpodautoscalers",
	Singular: "horizontalpodautoscaler", Namespaced: true, ShortNames: []string{"hpa"}, Categories: []string{"all"},
	Subresources: []string{"status"},
	Schema:       GoType[api.HorizontalPodAutoscaler](),
	Strategy: Strategy{
		Default:          defaults.HorizontalPodAutoscaler,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateHorizontalPodAutoscaler),
	},
	Columns: []Column{
		{Name: "Reference", Type: "string", Description: "Reference to the object the autoscaler scales.",
			Cell: func(o map[string]any, _ time.Time) any {
				return str(o, "spec", "scaleTargetRef", "kind") + "/" + str(o, "spec", "scaleTargetRef", "name")
			}},
		{Name: "Targets", Type: "string", Description: "The metrics' current values and targets.",
			Cell: func(o map[string]any, _ time.Time) any { return hpaTargets(o) }},
		{Name: "MinPods", Type: "string", Description: "The lower limit of the number of pods.",
			Cell: func(o map[string]any, _ time.Time) any {
				if n, ok := toInt(value(o, "spec", "minReplicas")); ok {
					return fmt.Sprint(n)
				}
				return "<unset>"
			}},
		{Name: "MaxPods", Type: "integer", Description: "The upper limit of the number of pods.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "spec", "maxReplicas") }},
		{Name: "Replicas", Type: "integer", Description: "The current number of replicas.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "currentReplicas") }},
		ageColumn,
	},
	GroupTypes: []string{"CrossVersionObjectReference", "MetricSpec", "MetricStatus", "MetricTarget",
		"MetricIdentifier", "MetricValueStatus", "ObjectMetricSource", "PodsMetricSource", "ResourceMetricSource",
		"ContainerResourceMetricSource", "ExternalMetricSource", "ObjectMetricStatus", "PodsMetricStatus",
		"ResourceMetricStatus", "ContainerResourceMetricStatus", "ExternalMetricStatus", "HPAScalingRules", "HPAScalingPolicy"},
	Docs: map[string]string{
		"HorizontalPodAutoscaler":                    "HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.",
		"HorizontalPodAutoscaler.spec":               "spec is the specification for the behaviour of the autoscaler.",
		"HorizontalPodAutoscaler.status":             "status is the current information about the autoscaler.",
		"HorizontalPodAutoscalerSpec":                "HorizontalPodAutoscalerSpec describes the desired functionality of the HorizontalPodAutoscaler.",
		"HorizontalPodAutoscalerSpec.scaleTargetRef": "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.",
		"HorizontalPodAutoscalerSpec.minReplicas":    "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod.",
		"HorizontalPodAutoscalerSpec.maxReplicas":    "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.",
		"HorizontalPodAutoscalerSpec.metrics":        "metrics contains the specifications for which to use to calculate the desired replica count. If not set, the default metric will be set to 80% average CPU utilization.",
		"HorizontalPodAutoscalerSpec.behavior":       "behavior configures the scaling behavior of the target in both Up and Down directions (scaleUp and scaleDown fields respectively).",
		"HorizontalPodAutoscalerStatus":              "HorizontalPodAutoscalerStatus describes the current status of a horizontal pod autoscaler.",
	},
}

func init() { register(horizontalPodAutoscalers) }

// hpaTargets renders the Targets cell as kubectl's printer does: each
// metric as "current/target" ("cpu: 40%/80%"), <unknown> for a value not
// yet read, at most two then "+ N more...", <none> without metrics.
func hpaTargets(o map[string]any) string {
	specs := list(o, "spec", "metrics")
	if len(specs) == 0 {
		return "<none>"
	}
	statuses := list(o, "status", "currentMetrics")
	var out []string
	for i, s := range specs {
		s, _ := s.(map[string]any)
		var st map[string]any
		if i < len(statuses) {
			st, _ = statuses[i].(map[string]any)
		}
		out = append(out, hpaTarget(s, st))
	}
	const most = 2
	if len(out) > most {
		return fmt.Sprintf("%s + %d more...", strings.Join(out[:most], ", "), len(out)-most)
	}
	return strings.Join(out, ", ")
}

func hpaTarget(spec, status map[string]any) string {
	typ := str(spec, "type")
	src := strings.ToLower(typ[:min(1, len(typ))]) + typ[min(1, len(typ)):]
	target := mapAt(spec, src, "target")
	current := mapAt(status, src, "current")
	cur := func(key string) string {
		if current == nil || value(current, key) == nil {
			return "<unknown>"
		}
		if key == "averageUtilization" {
			return fmt.Sprintf("%d%%", num(current, key))
		}
		return fmt.Sprint(value(current, key))
	}
	switch typ {
	case api.ResourceMetricSourceType, api.ContainerResourceMetricSourceType:
		name := str(spec, src, "name")
		if v := value(target, "averageValue"); v != nil {
			return fmt.Sprintf("%s: %s/%v", name, cur("averageValue"), v)
		}
		t := "<auto>"
		if value(target, "averageUtilization") != nil {
			t = fmt.Sprintf("%d%%", num(target, "averageUtilization"))
		}
		return fmt.Sprintf("%s: %s/%s", name, cur("averageUtilization"), t)
	case api.PodsMetricSourceType:
		return fmt.Sprintf("%s/%v", cur("averageValue"), value(target, "averageValue"))
	case api.ObjectMetricSourceType, api.ExternalMetricSourceType:
		if v := value(target, "averageValue"); v != nil {
			return fmt.Sprintf("%s/%v (avg)", cur("averageValue"), v)
		}
		return fmt.Sprintf("%s/%v", cur("value"), value(target, "value"))
	}
	return "<unknown type>"
}
