// Package registry describes every resource the API server serves: its
// group, version, kind and plural name, whether it is namespaced, its
// subresources, its Go type (the schema for strict decoding, validation and
// OpenAPI), its defaulting and validation, the fields it can be selected by,
// and the columns kubectl prints for it. The API server's handlers are
// generic; everything resource-specific is here.
package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// Resource describes one served resource.
type Resource struct {
	Group        string // "" for core
	Version      string
	Kind         string
	Name         string // plural, lower case: "pods"
	Singular     string
	Namespaced   bool
	ShortNames   []string
	Categories   []string // "all" for kubectl get all
	Subresources []string // "status", "scale", "binding", "log"

	// New returns a pointer to the Go type of the resource: the schema for
	// strict decoding, validation and OpenAPI.
	New func() any
	// Default fills in defaults on the decoded JSON object; may be nil.
	Default func(obj map[string]any)
	// Validate checks a typed object (New's type) on create (old == nil) and
	// on update; may be nil.
	Validate func(obj, old any) field.ErrorList
	// ResetStatusOnCreate drops any status a client sent on create; set for
	// kinds whose status only controllers write.
	ResetStatusOnCreate bool
	// InitialStatus, if set, is the status a new object starts with.
	InitialStatus func(obj map[string]any) map[string]any
	// Fields lists the field selector keys beyond metadata.name and
	// metadata.namespace, each with its JSON path in the object.
	Fields map[string][]string
	// Columns are the server-side table columns (after NAME).
	Columns []Column
}

// Column is one server-side table column: kubectl get prints NAME, then
// these (those with Priority > 0 only with -o wide).
type Column struct {
	Name        string
	Type        string // string, integer, date, ...
	Format      string // "name", "date", ...
	Description string
	Priority    int32
	// Cell computes the cell from the object.
	Cell func(obj map[string]any, now time.Time) any
}

// GroupVersion is "v1" for core and "group/version" otherwise.
func (r *Resource) GroupVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

// StoreName is the resource's name in the store: "pods",
// "deployments.apps".
func (r *Resource) StoreName() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

// HasSubresource reports whether sub is served for the resource.
func (r *Resource) HasSubresource(sub string) bool {
	for _, s := range r.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// typed adapts a typed validation function to Resource.Validate.
func typed[T any](f func(obj, old *T) field.ErrorList) func(obj, old any) field.ErrorList {
	return func(obj, old any) field.ErrorList {
		o, _ := old.(*T)
		return f(obj.(*T), o)
	}
}

var all = []*Resource{
	{
		Version: "v1", Kind: "Namespace", Name: "namespaces", Singular: "namespace",
		ShortNames: []string{"ns"}, Subresources: []string{"status"},
		New: func() any { return &api.Namespace{} }, Default: defaults.Namespace,
		Validate: typed(validation.ValidateNamespace),
		Fields:   map[string][]string{"status.phase": {"status", "phase"}},
	},
	{
		Version: "v1", Kind: "Node", Name: "nodes", Singular: "node",
		ShortNames: []string{"no"}, Subresources: []string{"status"},
		New: func() any { return &api.Node{} }, Default: defaults.Node,
		Validate: typed(validation.ValidateNode),
		Fields:   map[string][]string{"spec.unschedulable": {"spec", "unschedulable"}},
	},
	{
		Version: "v1", Kind: "Pod", Name: "pods", Singular: "pod", Namespaced: true,
		ShortNames: []string{"po"}, Categories: []string{"all"},
		Subresources: []string{"status", "binding", "log", "exec", "attach", "portforward"},
		New:          func() any { return &api.Pod{} }, Default: defaults.Pod,
		Validate:            typed(validation.ValidatePod),
		ResetStatusOnCreate: true,
		InitialStatus: func(map[string]any) map[string]any {
			return map[string]any{"phase": "Pending", "qosClass": "BestEffort"}
		},
		Fields: map[string][]string{
			"spec.nodeName":            {"spec", "nodeName"},
			"spec.schedulerName":       {"spec", "schedulerName"},
			"spec.restartPolicy":       {"spec", "restartPolicy"},
			"spec.serviceAccountName":  {"spec", "serviceAccountName"},
			"status.phase":             {"status", "phase"},
			"status.podIP":             {"status", "podIP"},
			"status.nominatedNodeName": {"status", "nominatedNodeName"},
		},
	},
	{
		Version: "v1", Kind: "Event", Name: "events", Singular: "event", Namespaced: true,
		ShortNames: []string{"ev"},
		New:        func() any { return &api.Event{} },
		Validate:   typed(validation.ValidateEvent),
		Fields: map[string][]string{
			"involvedObject.kind":            {"involvedObject", "kind"},
			"involvedObject.namespace":       {"involvedObject", "namespace"},
			"involvedObject.name":            {"involvedObject", "name"},
			"involvedObject.uid":             {"involvedObject", "uid"},
			"involvedObject.apiVersion":      {"involvedObject", "apiVersion"},
			"involvedObject.resourceVersion": {"involvedObject", "resourceVersion"},
			"involvedObject.fieldPath":       {"involvedObject", "fieldPath"},
			"reason":                         {"reason"},
			"reportingComponent":             {"reportingComponent"},
			"source":                         {"source", "component"},
			"type":                           {"type"},
		},
	},
	{
		Group: "apps", Version: "v1", Kind: "ReplicaSet", Name: "replicasets", Singular: "replicaset",
		Namespaced: true, ShortNames: []string{"rs"}, Categories: []string{"all"},
		Subresources: []string{"status", "scale"},
		New:          func() any { return &api.ReplicaSet{} }, Default: defaults.ReplicaSet,
		Validate:            typed(validation.ValidateReplicaSet),
		ResetStatusOnCreate: true,
		Fields:              map[string][]string{"status.replicas": {"status", "replicas"}},
	},
	{
		Group: "apps", Version: "v1", Kind: "Deployment", Name: "deployments", Singular: "deployment",
		Namespaced: true, ShortNames: []string{"deploy"}, Categories: []string{"all"},
		Subresources: []string{"status", "scale"},
		New:          func() any { return &api.Deployment{} }, Default: defaults.Deployment,
		Validate:            typed(validation.ValidateDeployment),
		ResetStatusOnCreate: true,
	},
	{
		Group: "coordination.k8s.io", Version: "v1", Kind: "Lease", Name: "leases", Singular: "lease",
		Namespaced: true,
		New:        func() any { return &api.Lease{} },
		Validate:   typed(validation.ValidateLease),
	},
}

func init() {
	for _, r := range all {
		r.Columns = columns[r.Kind]
	}
}

// All returns every served resource, in a stable order.
func All() []*Resource { return all }

// Lookup finds a resource by group, version and plural name.
func Lookup(group, version, name string) (*Resource, bool) {
	for _, r := range all {
		if r.Group == group && r.Version == version && r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// ByKind finds a resource by its kind.
func ByKind(kind string) (*Resource, bool) {
	for _, r := range all {
		if r.Kind == kind {
			return r, true
		}
	}
	return nil, false
}
