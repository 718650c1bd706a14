package discovery

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// Definition name prefixes, as Kubernetes names its OpenAPI definitions.
const (
	defCore        = "io.k8s.api.core.v1."
	defApps        = "io.k8s.api.apps.v1."
	defAutoscaling = "io.k8s.api.autoscaling.v1."
	defMeta        = "io.k8s.apimachinery.pkg.apis.meta.v1."
	defQuantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	defIntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	defPatch       = defMeta + "Patch"
)

var (
	timeType        = reflect.TypeFor[api.Time]()
	microTimeType   = reflect.TypeFor[api.MicroTime]()
	durationType    = reflect.TypeFor[api.Duration]()
	quantityType    = reflect.TypeFor[api.Quantity]()
	intOrStringType = reflect.TypeFor[api.IntOrString]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	apiPkg          = timeType.PkgPath()
)

// metaTypes are the api types that Kubernetes defines in meta/v1.
var metaTypes = map[string]bool{
	"ObjectMeta": true, "ListMeta": true, "OwnerReference": true,
	"LabelSelector": true, "LabelSelectorRequirement": true,
	"Status": true, "StatusDetails": true, "StatusCause": true,
	"DeleteOptions": true, "Preconditions": true,
	"Condition": true,
}

// defName is the Kubernetes definition name of a named api struct type:
// io.k8s.api.core.v1.Pod, io.k8s.api.apps.v1.DeploymentSpec, ... The api
// package is flat, so a type's group is that of the kind that owns it
// (registry.Resource.OwnsType), core when no kind does.
func (g *schemaGen) defName(t reflect.Type) string {
	switch t {
	case timeType:
		return defMeta + "Time"
	case microTimeType:
		return defMeta + "MicroTime"
	case durationType:
		return defMeta + "Duration"
	case quantityType:
		return defQuantity
	case intOrStringType:
		return defIntOrString
	}
	n := t.Name()
	switch {
	case metaTypes[n]:
		return defMeta + n
	case strings.HasPrefix(n, "Scale"):
		return defAutoscaling + n
	}
	if r := g.owner(n); r != nil {
		return defPrefix(r.Group, r.Version) + strings.TrimSuffix(n, r.TypeSuffix())
	}
	return defCore + n
}

// defPrefix is the definition name prefix of a group version:
// "io.k8s.api.apps.v1.", "io.k8s.api.coordination.v1.".
func defPrefix(group, version string) string {
	if group == "" {
		group = "core"
	}
	group, _, _ = strings.Cut(group, ".")
	return "io.k8s.api." + group + "." + version + "."
}

// owner is the served kind that owns the api type named typeName, the one
// with the longest name when several do; nil if none does.
func (g *schemaGen) owner(typeName string) *registry.Resource {
	var best *registry.Resource
	for _, r := range g.resources {
		if !r.OwnsType(typeName) || best != nil && len(r.Kind) < len(best.Kind) {
			continue
		}
		// Of one kind's versions, the one whose types carry its suffix.
		if best == nil || len(r.Kind) > len(best.Kind) || len(r.TypeSuffix()) > len(best.TypeSuffix()) {
			best = r
		}
	}
	return best
}

// shortName is the type name at the end of a definition name.
func shortName(def string) string { return def[strings.LastIndex(def, ".")+1:] }

// schemaGen builds the OpenAPI definitions of Go types by reflection, in
// the Swagger 2.0 (v3 false) or the OpenAPI 3.0 form. The forms differ in
// where references point, in how a described reference is written (v3
// wraps it in allOf, as Kubernetes does) and in how int-or-string values
// are typed.
type schemaGen struct {
	v3        bool
	defs      map[string]map[string]any
	resources []*registry.Resource // every served kind: the owners of types
}

func newSchemaGen(v3 bool, resources []*registry.Resource) *schemaGen {
	return &schemaGen{v3: v3, defs: map[string]map[string]any{}, resources: resources}
}

func (g *schemaGen) ref(def string) map[string]any {
	if g.v3 {
		return map[string]any{"$ref": "#/components/schemas/" + def}
	}
	return map[string]any{"$ref": "#/definitions/" + def}
}

// define adds the definition of struct type t (and of every type it
// refers to) and returns its name.
func (g *schemaGen) define(t reflect.Type) (string, error) {
	name := g.defName(t)
	if _, ok := g.defs[name]; ok {
		return name, nil
	}
	if s, ok := g.special(t); ok {
		g.defs[name] = s
		return name, nil
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != apiPkg {
		return "", fmt.Errorf("describe %v: not a struct of package api", t)
	}
	// Reserve the name first: types may refer to themselves.
	s := map[string]any{"type": "object", "description": g.typeDescription(name, t.Name())}
	g.defs[name] = s
	props := map[string]any{}
	var required []string
	if err := g.addFields(t, t.Name(), props, &required); err != nil {
		return "", err
	}
	s["properties"] = props
	if len(required) > 0 {
		s["required"] = required
	}
	return name, nil
}

// special is the definition of a type with its own JSON form.
func (g *schemaGen) special(t reflect.Type) (map[string]any, bool) {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time",
			"description": "Time is a timestamp in RFC 3339 form with second precision, such as 2024-01-02T15:04:05Z."}, true
	case microTimeType:
		return map[string]any{"type": "string", "format": "date-time",
			"description": "MicroTime is a timestamp in RFC 3339 form with microsecond precision."}, true
	case durationType:
		return map[string]any{"type": "string",
			"description": "Duration is a time interval as Go writes it, such as 15s or 1m30.5s."}, true
	case quantityType:
		s := map[string]any{"description": "Quantity is a fixed-point number with an optional suffix: " +
			"a decimal SI suffix (m, k, M, G, T, P, E), a binary one (Ki, Mi, Gi, Ti, Pi, Ei) or an exponent (1e3). " +
			"Examples: 100m (0.1 CPU), 64Mi, 1.5, 2G."}
		if g.v3 {
			s["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}
		} else {
			s["type"] = "string"
		}
		return s, true
	case intOrStringType:
		s := map[string]any{"description": "IntOrString is an integer or a string, such as a port number or name, " +
			"or a count or percentage of replicas."}
		if g.v3 {
			s["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
			s["x-kubernetes-int-or-string"] = true
		} else {
			s["type"], s["format"] = "string", "int-or-string"
		}
		return s, true
	}
	return nil, false
}

// addFields adds the JSON properties of struct t to props, flattening
// embedded structs without a JSON name as encoding/json does. typ names
// the type the properties belong to (for descriptions).
func (g *schemaGen) addFields(t reflect.Type, typ string, props map[string]any, required *[]string) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := g.addFields(ft, typ, props, required); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s, err := g.schema(f.Type)
		if err != nil {
			return fmt.Errorf("describe %s.%s: %w", typ, f.Name, err)
		}
		if _, isRef := s["$ref"]; isRef && g.v3 {
			// A sibling of $ref is ignored in OpenAPI 3.0; wrap it so that
			// the description counts.
			s = map[string]any{"allOf": []any{s}}
		}
		s["description"] = g.fieldDescription(typ, name)
		if v := f.Tag.Get("patchStrategy"); v != "" {
			s["x-kubernetes-patch-strategy"] = v
		}
		if v := f.Tag.Get("patchMergeKey"); v != "" {
			s["x-kubernetes-patch-merge-key"] = v
		}
		props[name] = s
		if isRequired(typ, name, opts) {
			*required = append(*required, name)
		}
	}
	return nil
}

// schema is the schema of a field of type t: inline for scalars, arrays and
// maps, a reference for structs and the special types.
func (g *schemaGen) schema(t reflect.Type) (map[string]any, error) {
	if t == rawMessageType {
		return map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}, nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, ok := g.special(t); ok || t.Kind() == reflect.Struct {
		name, err := g.define(t)
		if err != nil {
			return nil, err
		}
		return g.ref(name), nil
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return map[string]any{"type": "integer", "format": "int32"}, nil
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}, nil
		}
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "array", "items": items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key %v is not a string", t.Key())
		}
		values, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": values}, nil
	case reflect.Interface:
		return map[string]any{"x-kubernetes-preserve-unknown-fields": true}, nil
	}
	return nil, fmt.Errorf("type %v has no OpenAPI form", t)
}

// defineKind adds the definition of a served kind's objects and returns
// its name: from its Go type, or, for a custom resource, the definitions
// package structural renders from its schema.
func (g *schemaGen) defineKind(r *registry.Resource) (string, error) {
	st := r.Schema.Structural
	if st == nil {
		return g.define(r.Schema.Go)
	}
	if _, err := g.define(reflect.TypeFor[api.ObjectMeta]()); err != nil {
		return "", err
	}
	o := structural.OpenAPIOptions{Group: r.Group, Version: r.Version, Kind: r.Kind, ListKind: st.ListKind, Plural: r.Name}
	for f := range r.Fields {
		o.SelectableFields = append(o.SelectableFields, "."+f)
	}
	slices.Sort(o.SelectableFields)
	defs := structural.OpenAPIV2Definitions(st.Schema, o)
	if g.v3 {
		defs = structural.OpenAPIV3Definitions(st.Schema, o)
	}
	for name, d := range defs {
		g.defs[name] = d
	}
	return structural.ModelName(r.Group, r.Version, r.Kind), nil
}
