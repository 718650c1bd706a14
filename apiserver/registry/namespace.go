package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// namespaces: core/v1 Namespace. A new namespace is Active, with the
// "kubernetes" finalizer in spec.finalizers (see defaults.Namespace), so
// that deleting it makes it Terminating and waits for the namespace
// controller to empty it and remove the finalizer. As in Kubernetes,
// namespaces cannot be deleted as a collection.
var namespaces = &Resource{
	Version: "v1", Kind: "Namespace", Name: "namespaces", Singular: "namespace",
	ShortNames: []string{"ns"}, Subresources: []string{"status"},
	Verbs:  []string{"create", "delete", "get", "list", "patch", "update", "watch"},
	Schema: GoType[api.Namespace](),
	Strategy: Strategy{
		Default: defaults.Namespace,
		PrepareForCreate: func(o Object) {
			o["status"] = map[string]any{"phase": api.NamespaceActive}
		},
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateNamespace),
		Finalizing: func(o Object) bool {
			spec, _ := o["spec"].(map[string]any)
			fs, _ := spec["finalizers"].([]any)
			return len(fs) > 0
		},
		PrepareForDelete: func(o Object) {
			status, ok := o["status"].(map[string]any)
			if !ok {
				status = map[string]any{}
				o["status"] = status
			}
			status["phase"] = api.NamespaceTerminating
		},
	},
	Bootstrap: systemNamespaces("default", "kube-system", "kube-public", "kube-node-lease"),
	Fields:    map[string][]string{"status.phase": {"status", "phase"}},
	Columns: []Column{
		{Name: "Status", Type: "string", Description: "The current phase of the namespace.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "phase") }},
	},
}

func init() { register(namespaces) }

// systemNamespaces are the namespaces of every Kubernetes cluster.
func systemNamespaces(names ...string) []Object {
	out := make([]Object, len(names))
	for i, ns := range names {
		out[i] = Object{
			"metadata": map[string]any{"name": ns, "labels": map[string]any{"kubernetes.io/metadata.name": ns}},
			"spec":     map[string]any{},
			"status":   map[string]any{"phase": api.NamespaceActive},
		}
	}
	return out
}
