// Package registry declares every kind the API server serves. A kind is
// one declaration, a *Resource, in one file named after it (pod.go,
// configmap.go), in the manner of kube-apiserver's registry strategies:
// its names and scope, its schema (a Go type of package api: the source
// for strict field checks, OpenAPI, protobuf bodies and strategic-merge
// keys), its Strategy (defaulting, what create, update and /status may
// change, validation, deletion), its selectable fields, its subresources
// and its table columns. The API server's request pipeline is generic over
// these declarations and knows nothing about any kind.
//
// The pipeline works on one representation, the decoded JSON object
// (Object), so that fields a kind's Go type does not model survive. A
// Strategy's hooks take Objects; validation takes the Go type, and As is
// the one conversion from the first to the second.
//
// Adding a built-in kind: write its Go type in package api, and one file
// here that declares it and calls register from init. Nothing else needs
// to know about it.
package registry

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/minik8s/minik8s/apiserver/structural"
)

// Resource declares one served kind.
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
	// Verbs are the Kubernetes verbs served for the kind; nil means all of
	// them (AllVerbs).
	Verbs []string
	// Ephemeral kinds are answered on create and never stored (the
	// authorization.k8s.io reviews, SelfSubjectReview): the API server
	// fills in their status.
	Ephemeral bool
	// Measured kinds are the resource metrics (metrics.k8s.io): get and
	// list answered from what the node agents measure, never stored.
	Measured bool
	// Probed kinds are the control plane's health (ComponentStatus): get
	// and list worked out on each read, never stored.
	Probed bool

	// Schema is the shape of the kind's objects.
	Schema Schema
	// Strategy holds what the pipeline does with the kind's objects on
	// each write.
	Strategy Strategy

	// Fields lists the field selector keys beyond metadata.name and
	// metadata.namespace, each with its JSON path in the object.
	Fields map[string][]string
	// WatchIndex is one of Fields that the watch fan-out indexes watchers
	// by, as Kubernetes' watch cache does with a trigger function: a
	// watcher whose field selector requires it to equal a value is offered
	// only the changes of objects with that value, before or after the
	// change (a pod's spec.nodeName: a node agent hears of its own pods,
	// not of every node's).
	WatchIndex string
	// Columns are the server-side table columns (after NAME).
	Columns []Column
	// Bootstrap are objects every cluster has: the API server creates
	// those missing when it starts (as stored, without server-set
	// metadata).
	Bootstrap []Object
	// GroupTypes names the Go types of the kind's API group that are not
	// named after the kind (RollingUpdateDeployment); see OwnsType.
	GroupTypes []string
	// Scale says where /scale reads and writes; nil is
	// DefaultScalePaths.
	Scale *ScalePaths

	// Storage is the declaration of the version objects of the kind are
	// stored at, when the kind is served at several versions: each
	// version is a Resource of its own, all with the same StoreName, and
	// the pipeline converts objects to Storage's version on the way in and
	// back to the request's on the way out (see ConvertTo). nil means this
	// Resource itself.
	Storage *Resource
	// TableAsStored says the table is Storage's, its columns read from
	// each object converted to Storage's version (events.k8s.io/v1
	// events show core/v1's, as Kubernetes serves both from one storage).
	TableAsStored bool
	// Convert converts o, an object of the kind at apiVersion from, to
	// this Resource's version, in place (ConvertTo then sets apiVersion).
	// nil is Kubernetes' conversion "None": only apiVersion changes.
	Convert func(o Object, from string) error
	// Removed, if set, is closed when the kind stops being served (its
	// CRD is gone): watches of it end then, as in Kubernetes.
	Removed <-chan struct{}
	// Deprecation, if set, is the warning every request for this version
	// gets (a CRD version marked deprecated).
	Deprecation string
	// Terminating reports whether the kind is going away (its CRD is
	// being deleted): its objects may be read and deleted, not created.
	Terminating func() bool

	// Docs describes the kind's OpenAPI definitions for kubectl explain:
	// "ConfigMap" the type, "ConfigMap.data" one of its fields. The
	// descriptions of the older kinds are in package discovery.
	Docs map[string]string
}

// AllVerbs are the verbs of a kind that declares none.
var AllVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// Schema is where the shape of a kind's objects comes from. Built-in kinds
// have a Go type (GoType[T]()). A custom resource, declared by a
// CustomResourceDefinition, has a structural schema instead (Structural)
// and no Go type: strict field checks (pruning), defaulting, validation
// and the OpenAPI definition then come from that schema, while protobuf
// bodies and strategic merge patches, which need a Go type, are refused
// with 415 as Kubernetes refuses them for custom resources. Every
// consumer asks Schema, never the Go type directly.
type Schema struct {
	// Go is the kind's Go struct type (not a pointer); nil for a custom
	// resource.
	Go reflect.Type
	// Structural is a custom resource version's schema; nil for a
	// built-in kind.
	Structural *Structural
}

// Structural is the schema of one version of a custom resource.
type Structural struct {
	// Schema is the version's openAPIV3Schema, parsed and checked: what
	// pruning, defaulting, validation and OpenAPI use.
	Schema *structural.Schema
	// Defaults reports whether the schema declares any default, so that
	// objects read from the store need them applied.
	Defaults bool
	// ListKind is the kind of the resource's lists.
	ListKind string
}

// GoType is the schema of kinds whose objects are a T of package api.
func GoType[T any]() Schema { return Schema{Go: reflect.TypeFor[T]()} }

// New returns a pointer to a new zero object of the schema's Go type.
func (s Schema) New() any { return reflect.New(s.Go).Interface() }

// Typed reports whether the schema is a Go type, which protobuf bodies and
// strategic merge patches need.
func (s Schema) Typed() bool { return s.Go != nil }

// ScalePaths says where the scale subresource reads and writes, as JSON
// field paths.
type ScalePaths struct {
	SpecReplicas   []string
	StatusReplicas []string
	// LabelSelector holds the selector: a label selector object
	// (Deployments' spec.selector) or its serialized form (custom
	// resources' labelSelectorPath); nil for none.
	LabelSelector []string
}

// DefaultScalePaths are the scale paths of the built-in workload kinds.
var DefaultScalePaths = ScalePaths{
	SpecReplicas:   []string{"spec", "replicas"},
	StatusReplicas: []string{"status", "replicas"},
	LabelSelector:  []string{"spec", "selector"},
}

// ScaleAt returns where the resource's scale subresource reads and writes.
func (r *Resource) ScaleAt() ScalePaths {
	if r.Scale != nil {
		return *r.Scale
	}
	return DefaultScalePaths
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
// "deployments.apps"; that of its storage version, for a kind served at
// several (events.k8s.io/v1 events are stored as core/v1 "events").
func (r *Resource) StoreName() string {
	st := r.StorageResource()
	if st.Group == "" {
		return st.Name
	}
	return st.Name + "." + st.Group
}

// StorageResource is the declaration of the version the kind's objects
// are stored at.
func (r *Resource) StorageResource() *Resource {
	if r.Storage == nil {
		return r
	}
	return r.Storage
}

// StoredAsServed reports whether objects are stored at this version, so
// that stored JSON can be served as it is.
func (r *Resource) StoredAsServed() bool { return r.Storage == nil || r.Storage == r }

// ConvertTo converts o, an object of the kind at any of its versions, to
// r's version, in place: apiVersion changes, and r.Convert (if any) does
// the rest.
func (r *Resource) ConvertTo(o Object) error {
	gv := r.GroupVersion()
	from, _ := o["apiVersion"].(string)
	if from == gv {
		return nil
	}
	if r.Convert != nil {
		if err := r.Convert(o, from); err != nil {
			return err
		}
	}
	o["apiVersion"] = gv
	return nil
}

// IsTerminating reports whether the kind is going away.
func (r *Resource) IsTerminating() bool { return r.Terminating != nil && r.Terminating() }

// HasSubresource reports whether sub is served for the resource.
func (r *Resource) HasSubresource(sub string) bool { return slices.Contains(r.Subresources, sub) }

// AllowedVerbs are the verbs served for the kind.
func (r *Resource) AllowedVerbs() []string {
	if r.Verbs == nil {
		return AllVerbs
	}
	return r.Verbs
}

// HasVerb reports whether verb is served for the kind.
func (r *Resource) HasVerb(verb string) bool { return slices.Contains(r.AllowedVerbs(), verb) }

var all []*Resource

// register adds a declaration; each kind's file calls it from init.
func register(r *Resource) {
	if r.TableAsStored && r.Storage == nil {
		panic(fmt.Sprintf("registry: %s: TableAsStored without a Storage version", r.Name))
	}
	if _, ok := r.Fields[r.WatchIndex]; r.WatchIndex != "" && !ok {
		panic(fmt.Sprintf("registry: %s: WatchIndex %q is not one of its Fields", r.Name, r.WatchIndex))
	}
	all = append(all, r)
	// A stable order whatever the order of the files: core first, then by
	// group, then by name.
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if (a.Group == "") != (b.Group == "") {
			return a.Group == ""
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Name < b.Name
	})
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

// ByStoreName finds a resource by its name in the store (StoreName): the
// declaration of the version its objects are stored at.
func ByStoreName(name string) (*Resource, bool) {
	for _, r := range all {
		if r.StoreName() == name {
			return r.StorageResource(), true
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

// OwnsType reports whether the Go type named typeName belongs to the
// kind's API group: its own type and those named after it
// (DeploymentSpec) and its GroupTypes, as Kubernetes names its OpenAPI definitions.
//
// A kind served at an older version as well has Go types for it named
// with the version as suffix (HorizontalPodAutoscalerV1,
// HorizontalPodAutoscalerSpecV1): that version's declaration owns those,
// and TypeSuffix is what its definition names leave out.
func (r *Resource) OwnsType(typeName string) bool {
	if suffix := r.TypeSuffix(); suffix != "" {
		base, ok := strings.CutSuffix(typeName, suffix)
		return ok && (strings.HasPrefix(base, r.Kind) || slices.Contains(r.GroupTypes, base))
	}
	return r.Schema.Go != nil && strings.HasPrefix(typeName, r.Schema.Go.Name()) ||
		slices.Contains(r.GroupTypes, typeName)
}

// TypeSuffix is the version suffix of the kind's Go type names ("V1" for
// HorizontalPodAutoscalerV1), "" for the usual kind named after its Go
// type.
func (r *Resource) TypeSuffix() string {
	if r.Schema.Go == nil {
		return ""
	}
	return strings.TrimPrefix(r.Schema.Go.Name(), r.Kind)
}
