package registry

import (
	"sort"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// nodes: core/v1 Node. A kubelet registers its node with a status, which
// create keeps (as in Kubernetes); afterwards status changes through
// /status only.
var nodes = &Resource{
	Version: "v1", Kind: "Node", Name: "nodes", Singular: "node",
	ShortNames: []string{"no"}, Subresources: []string{"status", "proxy"},
	Schema: GoType[api.Node](),
	Strategy: Strategy{
		Default:          defaults.Node,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateNode),
	},
	Fields: map[string][]string{"spec.unschedulable": {"spec", "unschedulable"}},
	Columns: []Column{
		{Name: "Status", Type: "string", Description: "The readiness of the node and whether it accepts new pods.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeStatus(o) }},
		{Name: "Roles", Type: "string", Description: "The roles of the node, from its node-role.kubernetes.io/ labels.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeRoles(o) }},
		ageColumn,
		{Name: "Version", Type: "string", Description: "Kubelet version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "nodeInfo", "kubeletVersion") }},
		{Name: "Internal-IP", Type: "string", Priority: 1, Description: "The node's first InternalIP address.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeAddress(o, "InternalIP") }},
		{Name: "External-IP", Type: "string", Priority: 1, Description: "The node's first ExternalIP address.",
			Cell: func(o map[string]any, _ time.Time) any { return nodeAddress(o, "ExternalIP") }},
		{Name: "OS-Image", Type: "string", Priority: 1, Description: "OS image reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any { return orUnknown(str(o, "status", "nodeInfo", "osImage")) }},
		{Name: "Kernel-Version", Type: "string", Priority: 1, Description: "Kernel version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orUnknown(str(o, "status", "nodeInfo", "kernelVersion"))
			}},
		{Name: "Container-Runtime", Type: "string", Priority: 1, Description: "Container runtime version reported by the node.",
			Cell: func(o map[string]any, _ time.Time) any {
				return orUnknown(str(o, "status", "nodeInfo", "containerRuntimeVersion"))
			}},
	},
}

func init() { register(nodes) }

// nodeStatus is "Ready", "NotReady" or "Unknown" (no Ready condition),
// followed by ",SchedulingDisabled" for a cordoned node.
func nodeStatus(o map[string]any) string {
	status := "Unknown"
	for _, c := range list(o, "status", "conditions") {
		c, _ := c.(map[string]any)
		if str(c, "type") == "Ready" {
			status = "NotReady"
			if str(c, "status") == "True" {
				status = "Ready"
			}
			break
		}
	}
	if b, _ := value(o, "spec", "unschedulable").(bool); b {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles lists, sorted, the roles named by node-role.kubernetes.io/<role>
// labels and by the kubernetes.io/role label, or <none>.
func nodeRoles(o map[string]any) string {
	set := map[string]bool{}
	for k, v := range mapAt(o, "metadata", "labels") {
		v, _ := v.(string)
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				set[role] = true
			}
		case k == "kubernetes.io/role" && v != "":
			set[v] = true
		}
	}
	if len(set) == 0 {
		return "<none>"
	}
	roles := make([]string, 0, len(set))
	for r := range set {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

// nodeAddress is the node's first address of type typ, or <none>.
func nodeAddress(o map[string]any, typ string) string {
	for _, a := range list(o, "status", "addresses") {
		a, _ := a.(map[string]any)
		if str(a, "type") == typ {
			return str(a, "address")
		}
	}
	return "<none>"
}
