package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
)

// componentStatuses: core v1 ComponentStatus, deprecated in Kubernetes
// since 1.19 and still served, so that `kubectl get cs` of the tutorials
// works. Worked out on each get and list (Probed), never stored.
var componentStatuses = &Resource{
	Version: "v1", Kind: "ComponentStatus", Name: "componentstatuses", Singular: "componentstatus",
	ShortNames: []string{"cs"}, Verbs: []string{"get", "list"}, Probed: true,
	Deprecation: "v1 ComponentStatus is deprecated in v1.19+",
	Schema:      GoType[api.ComponentStatus](),
	GroupTypes:  []string{"ComponentStatusList", "ComponentCondition"},
	// Kubernetes' columns: no AGE, as the objects have no creation time.
	Columns: []Column{
		nameColumn,
		{Name: "Status", Type: "string", Description: "Whether the component is healthy.",
			Cell: func(o map[string]any, _ time.Time) any { s, _, _ := healthy(o); return s }},
		{Name: "Message", Type: "string", Description: "What was found when healthy.",
			Cell: func(o map[string]any, _ time.Time) any { _, m, _ := healthy(o); return m }},
		{Name: "Error", Type: "string", Description: "What is wrong when not.",
			Cell: func(o map[string]any, _ time.Time) any { _, _, e := healthy(o); return e }},
	},
	Docs: map[string]string{
		"ComponentStatus":            "ComponentStatus (and ComponentStatusList) holds the cluster validation info. Deprecated: This API is deprecated in v1.19+",
		"ComponentStatus.conditions": "List of component conditions observed",
	},
}

func init() { register(componentStatuses) }

// healthy reads a ComponentStatus's Healthy condition as Kubernetes'
// table printer does: Healthy when True, Unhealthy otherwise, Unknown
// without the condition.
func healthy(o map[string]any) (status, message, err string) {
	for _, c := range list(o, "conditions") {
		m, _ := c.(map[string]any)
		if str(m, "type") != api.ComponentHealthy {
			continue
		}
		status = "Unhealthy"
		if str(m, "status") == string(api.ConditionTrue) {
			status = "Healthy"
		}
		return status, str(m, "message"), str(m, "error")
	}
	return "Unknown", "", ""
}
