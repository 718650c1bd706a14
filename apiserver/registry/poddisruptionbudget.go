package registry

import (
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// podDisruptionBudgets: policy/v1 PodDisruptionBudget. Its status is
// written by the disruption controller (currentHealthy, desiredHealthy,
// expectedPods, disruptionsAllowed) and by evictions (disruptedPods, and
// disruptionsAllowed decremented); see eviction.go in package apiserver.
var podDisruptionBudgets = &Resource{
	Group: "policy", Version: "v1", Kind: "PodDisruptionBudget", Name: "poddisruptionbudgets", Singular: "poddisruptionbudget",
	Namespaced: true, ShortNames: []string{"pdb"},
	Subresources: []string{"status"},
	Schema:       GoType[api.PodDisruptionBudget](),
	Strategy: Strategy{
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidatePodDisruptionBudget),
	},
	Columns: []Column{
		{Name: "Min Available", Type: "string", Description: "The minimum number of pods that must be available.",
			Cell: func(o map[string]any, _ time.Time) any { return intOrNA(value(o, "spec", "minAvailable")) }},
		{Name: "Max Unavailable", Type: "string", Description: "The maximum number of pods that may be unavailable.",
			Cell: func(o map[string]any, _ time.Time) any { return intOrNA(value(o, "spec", "maxUnavailable")) }},
		{Name: "Allowed Disruptions", Type: "integer", Description: "Calculated number of pods that may be disrupted at this time.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "disruptionsAllowed") }},
		ageColumn,
	},
	GroupTypes: []string{"Eviction"},
	Docs: map[string]string{
		"PodDisruptionBudget":                                "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods",
		"PodDisruptionBudget.spec":                           "Specification of the desired behavior of the PodDisruptionBudget.",
		"PodDisruptionBudget.status":                         "Most recently observed status of the PodDisruptionBudget.",
		"PodDisruptionBudgetSpec":                            "PodDisruptionBudgetSpec is a description of a PodDisruptionBudget.",
		"PodDisruptionBudgetSpec.minAvailable":               "An eviction is allowed if at least \"minAvailable\" pods selected by \"selector\" will still be available after the eviction, i.e. even in the absence of the evicted pod. So for example you can prevent all voluntary evictions by specifying \"100%\".",
		"PodDisruptionBudgetSpec.maxUnavailable":             "An eviction is allowed if at most \"maxUnavailable\" pods selected by \"selector\" are unavailable after the eviction, i.e. even in absence of the evicted pod. For example, one can prevent all voluntary evictions by specifying 0. This is a mutually exclusive setting with \"minAvailable\".",
		"PodDisruptionBudgetSpec.selector":                   "Label query over pods whose evictions are managed by the disruption budget. A null selector will match no pods, while an empty ({}) selector will select all pods within the namespace.",
		"PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy": "UnhealthyPodEvictionPolicy defines the criteria for when unhealthy pods should be considered for eviction: IfHealthyBudget (the default) or AlwaysAllow.",
		"PodDisruptionBudgetStatus":                          "PodDisruptionBudgetStatus represents information about the status of a PodDisruptionBudget. Status may trail the actual state of a system.",
		"PodDisruptionBudgetStatus.disruptedPods":            "DisruptedPods contains information about pods whose eviction was processed by the API server eviction subresource handler but has not yet been observed by the PodDisruptionBudget controller.",
		"PodDisruptionBudgetStatus.disruptionsAllowed":       "Number of pod disruptions that are currently allowed.",
		"PodDisruptionBudgetStatus.currentHealthy":           "current number of healthy pods",
		"PodDisruptionBudgetStatus.desiredHealthy":           "minimum desired number of healthy pods",
		"PodDisruptionBudgetStatus.expectedPods":             "total number of pods counted by this disruption budget",
		"PodDisruptionBudgetStatus.observedGeneration":       "Most recent generation observed when updating this PDB status.",
		"Eviction":                             "Eviction evicts a pod from its node subject to certain policies and safety constraints. This is a subresource of Pod. A request to cause such an eviction is created by POSTing to .../pods/<pod name>/eviction.",
		"Eviction.deleteOptions":               "DeleteOptions may be provided",
		"PodDisruptionBudgetStatus.conditions": "Conditions contain conditions for PDB. The disruption controller sets the DisruptionAllowed condition.",
	},
}

func init() { register(podDisruptionBudgets) }

// intOrNA renders an optional int-or-string, "N/A" when unset.
func intOrNA(v any) string {
	if v == nil {
		return "N/A"
	}
	return fmt.Sprint(v)
}
