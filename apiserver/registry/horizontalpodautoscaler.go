package registry

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// horizontalPodAutoscalers: autoscaling/v2 HorizontalPodAutoscaler, the
// preferred and storage version; autoscaling/v1 (hpaV1) is served from
// the same objects. Its status is the autoscaler's.
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
	Convert: func(o Object, from string) error { return ConvertTyped(o, api.HPAFromV1) },
	Columns: hpaColumns(hpaTargets),
	GroupTypes: []string{"CrossVersionObjectReference", "MetricSpec", "MetricStatus", "MetricTarget",
		"MetricIdentifier", "MetricValueStatus", "ObjectMetricSource", "PodsMetricSource", "ResourceMetricSource",
		"ContainerResourceMetricSource", "ExternalMetricSource", "ObjectMetricStatus", "PodsMetricStatus",
		"ResourceMetricStatus", "ContainerResourceMetricStatus", "ExternalMetricStatus", "HPAScalingRules", "HPAScalingPolicy"},
	Docs: hpaDocs,
}

// hpaV1 is autoscaling/v1 HorizontalPodAutoscaler (what older clients and
// kubectl autoscale may use): one CPU utilization target, the rest of the
// v2 object in annotations (api.HPAToV1, api.HPAFromV1). Objects are
// stored at v2; defaulting, validation and the status rules are v2's,
// applied to the object converted, as Kubernetes applies them to its
// internal form.
var hpaV1 = &Resource{
	Group: "autoscaling", Version: "v1", Kind: "HorizontalPodAutoscaler", Name: "horizontalpodautoscalers",
	Singular: "horizontalpodautoscaler", Namespaced: true, ShortNames: []string{"hpa"}, Categories: []string{"all"},
	Subresources: []string{"status"},
	Schema:       GoType[api.HorizontalPodAutoscalerV1](),
	Strategy: Strategy{
		Default:          hpaAsV2(horizontalPodAutoscalers.Strategy.Default),
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: func(next, cur Object) {
			c, ok := hpaV2Of(cur)
			if !ok {
				KeepStatus(next, cur)
				return
			}
			hpaAsV2(func(n Object) { KeepStatus(n, c) })(next)
		},
		// What v1 keeps in annotations (behavior, other metrics) is spec.
		GenerationChanged: func(next, cur Object) bool {
			n, ok1 := hpaV2Of(next)
			c, ok2 := hpaV2Of(cur)
			if !ok1 || !ok2 {
				return !JSONEqual(next["spec"], cur["spec"])
			}
			return !JSONEqual(n["spec"], c["spec"])
		},
		Validate: Typed(func(o, old *api.HorizontalPodAutoscalerV1) field.ErrorList {
			return validation.ValidateHorizontalPodAutoscaler(api.HPAFromV1(o), nil)
		}),
	},
	Storage: horizontalPodAutoscalers,
	Convert: func(o Object, from string) error { return ConvertTyped(o, api.HPAToV1) },
	Columns: hpaColumns(func(o map[string]any) string {
		c, ok := hpaV2Of(o)
		if !ok {
			return "<unknown>"
		}
		return hpaTargets(c)
	}),
	Docs: map[string]string{
		"HorizontalPodAutoscaler":                                       "configuration of a horizontal pod autoscaler.",
		"HorizontalPodAutoscaler.spec":                                  "spec defines the behaviour of autoscaler.",
		"HorizontalPodAutoscaler.status":                                "status is the current information about the autoscaler.",
		"HorizontalPodAutoscalerSpec":                                   "specification of a horizontal pod autoscaler.",
		"HorizontalPodAutoscalerSpec.scaleTargetRef":                    "reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.",
		"HorizontalPodAutoscalerSpec.minReplicas":                       "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod.",
		"HorizontalPodAutoscalerSpec.maxReplicas":                       "maxReplicas is the upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.",
		"HorizontalPodAutoscalerSpec.targetCPUUtilizationPercentage":    "targetCPUUtilizationPercentage is the target average CPU utilization (represented as a percentage of requested CPU) over all the pods; if not specified the default autoscaling policy will be used.",
		"HorizontalPodAutoscalerStatus":                                 "current status of a horizontal pod autoscaler",
		"HorizontalPodAutoscalerStatus.currentCPUUtilizationPercentage": "currentCPUUtilizationPercentage is the current average CPU utilization over all pods, represented as a percentage of requested CPU, e.g. 70 means that an average pod is using now 70% of its requested CPU.",
	},
}

// hpaAsV2 applies f, a rule written for the v2 object, to a v1 object: o
// is converted to v2, f applied, and the result converted back. An object
// that is not a valid v1 autoscaler is left alone (its decoding fails
// later, with the error the client gets).
func hpaAsV2(f func(Object)) func(Object) {
	return func(o Object) {
		v2, ok := hpaV2Of(o)
		if !ok {
			return
		}
		f(v2)
		if ConvertTyped(v2, api.HPAToV1) == nil {
			clear(o)
			maps.Copy(o, v2)
		}
	}
}

// hpaV2Of is a v2 copy of the v1 object o; false if o is not a valid v1
// autoscaler.
func hpaV2Of(o Object) (Object, bool) {
	c := DeepCopy(o).(Object)
	return c, ConvertTyped(c, api.HPAFromV1) == nil
}

// hpaColumns are kubectl's columns for autoscalers, at either version:
// only the Targets cell, computed by targets, differs.
func hpaColumns(targets func(map[string]any) string) []Column {
	return []Column{
		{Name: "Reference", Type: "string", Description: "Reference to the object the autoscaler scales.",
			Cell: func(o map[string]any, _ time.Time) any {
				return str(o, "spec", "scaleTargetRef", "kind") + "/" + str(o, "spec", "scaleTargetRef", "name")
			}},
		{Name: "Targets", Type: "string", Description: "The metrics' current values and targets.",
			Cell: func(o map[string]any, _ time.Time) any { return targets(o) }},
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
	}
}

var hpaDocs = map[string]string{
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
}

func init() {
	register(horizontalPodAutoscalers) // first: ByKind finds the preferred version
	register(hpaV1)
}

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
