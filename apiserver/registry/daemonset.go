package registry

import (
	"sort"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// daemonSets: apps/v1 DaemonSet. Its status is the controller's: create
// drops what a client sends and spec writes keep it.
var daemonSets = &Resource{
	Group: "apps", Version: "v1", Kind: "DaemonSet", Name: "daemonsets", Singular: "daemonset",
	Namespaced: true, ShortNames: []string{"ds"}, Categories: []string{"all"},
	Subresources: []string{"status"},
	Schema:       GoType[api.DaemonSet](),
	Strategy: Strategy{
		Default:          defaults.DaemonSet,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateDaemonSet),
	},
	Columns: []Column{
		{Name: "Desired", Type: "integer", Description: "The number of nodes that should be running the daemon pod.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "desiredNumberScheduled") }},
		{Name: "Current", Type: "integer", Description: "The number of nodes running at least one daemon pod that are supposed to.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "currentNumberScheduled") }},
		{Name: "Ready", Type: "integer", Description: "The number of nodes whose daemon pod is ready.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "numberReady") }},
		{Name: "Up-to-date", Type: "integer", Description: "The number of nodes running the updated daemon pod.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "updatedNumberScheduled") }},
		{Name: "Available", Type: "integer", Description: "The number of nodes whose daemon pod is available.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "numberAvailable") }},
		{Name: "Node Selector", Type: "string", Description: "The node selector of the daemon pods.",
			Cell: func(o map[string]any, _ time.Time) any {
				return formatLabels(mapAt(o, "spec", "template", "spec", "nodeSelector"))
			}},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
	GroupTypes: []string{"RollingUpdateDaemonSet"},
	Docs: map[string]string{
		"DaemonSet":                          "DaemonSet represents the configuration of a daemon set.",
		"DaemonSet.spec":                     "The desired behavior of this daemon set.",
		"DaemonSet.status":                   "The current status of this daemon set. This data may be out of date by some window of time.",
		"DaemonSetSpec":                      "DaemonSetSpec is the specification of a daemon set.",
		"DaemonSetSpec.selector":             "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels.",
		"DaemonSetSpec.template":             "An object that describes the pod that will be created. The DaemonSet will create exactly one copy of this pod on every node that matches the template's node selector (or on every node if no node selector is specified).",
		"DaemonSetSpec.updateStrategy":       "An update strategy to replace existing DaemonSet pods with new pods.",
		"DaemonSetSpec.minReadySeconds":      "The minimum number of seconds for which a newly created DaemonSet pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0.",
		"DaemonSetSpec.revisionHistoryLimit": "The number of old history to retain to allow rollback. Defaults to 10.",
		"DaemonSetUpdateStrategy":            "DaemonSetUpdateStrategy is a struct used to control the update strategy for a DaemonSet.",
		"DaemonSetUpdateStrategy.type":       "Type of daemon set update. Can be \"RollingUpdate\" or \"OnDelete\". Default is RollingUpdate.",
		"DaemonSetStatus":                    "DaemonSetStatus represents the current status of a daemon set.",
	},
}

func init() { register(daemonSets) }

// formatLabels renders a label map as kubectl does: "a=b,c=d" sorted by
// key, "<none>" when empty.
func formatLabels(m map[string]any) string {
	if len(m) == 0 {
		return "<none>"
	}
	pairs := make([]string, 0, len(m))
	for k, v := range m {
		s, _ := v.(string)
		pairs = append(pairs, k+"="+s)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}
