package registry

import (
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// controllerRevisions: apps/v1 ControllerRevision, the immutable
// snapshots of DaemonSet and StatefulSet templates that their controllers
// keep for rollbacks. Data cannot change once written.
var controllerRevisions = &Resource{
	Group: "apps", Version: "v1", Kind: "ControllerRevision", Name: "controllerrevisions", Singular: "controllerrevision",
	Namespaced: true,
	Schema:     GoType[api.ControllerRevision](),
	Strategy:   Strategy{Validate: Typed(validation.ValidateControllerRevision)},
	Columns: []Column{
		{Name: "Controller", Type: "string", Description: "Controller of the object.",
			Cell: func(o map[string]any, _ time.Time) any { return controllerOf(o) }},
		{Name: "Revision", Type: "integer", Description: "Revision indicates the revision of the state represented by Data.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "revision") }},
		ageColumn,
	},
	Docs: map[string]string{
		"ControllerRevision":          "ControllerRevision implements an immutable snapshot of state data. Clients are responsible for serializing and deserializing the objects that contain their internal state. Once a ControllerRevision has been successfully created, it can not be updated.",
		"ControllerRevision.data":     "Data is the serialized representation of the state.",
		"ControllerRevision.revision": "Revision indicates the revision of the state represented by Data.",
	},
}

func init() { register(controllerRevisions) }

// controllerOf renders the object's controller as kubectl does:
// "daemonset.apps/web", or "<none>".
func controllerOf(o map[string]any) string {
	for _, r := range list(o, "metadata", "ownerReferences") {
		r, _ := r.(map[string]any)
		if c, _ := r["controller"].(bool); !c {
			continue
		}
		group, _, found := strings.Cut(str(r, "apiVersion"), "/")
		kind := strings.ToLower(str(r, "kind"))
		if found && group != "" {
			kind += "." + group
		}
		return kind + "/" + str(r, "name")
	}
	return "<none>"
}
