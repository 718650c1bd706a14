package fieldmanager

import (
	"encoding/json"
	"reflect"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v6/schema"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// The untyped types of Kubernetes' schemas: a value of any shape, a
// deduced one merging maps field by field, an atomic one replaced whole.
const (
	untypedDeduced = "__untyped_deduced_"
	untypedAtomic  = "__untyped_atomic_"
)

// atomicStructs are the api struct types Kubernetes marks
// +structType=atomic: an apply replaces them whole, and one manager owns
// them whole.
var atomicStructs = map[string]bool{
	"LabelSelector":        true,
	"LocalObjectReference": true,
	"ObjectReference":      true,
	"NodeSelector":         true,
}

var (
	timeType        = reflect.TypeFor[api.Time]()
	microTimeType   = reflect.TypeFor[api.MicroTime]()
	quantityType    = reflect.TypeFor[api.Quantity]()
	intOrStringType = reflect.TypeFor[api.IntOrString]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

func named(n string) schema.TypeRef { return schema.TypeRef{NamedType: &n} }

func untypedTypes() []schema.TypeDef {
	return []schema.TypeDef{
		{Name: untypedAtomic, Atom: schema.Atom{
			Scalar: ptr(schema.Untyped),
			List:   &schema.List{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic},
			Map:    &schema.Map{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic},
		}},
		{Name: untypedDeduced, Atom: schema.Atom{
			Scalar: ptr(schema.Untyped),
			List:   &schema.List{ElementType: named(untypedAtomic), ElementRelationship: schema.Atomic},
			Map:    &schema.Map{ElementType: named(untypedDeduced), ElementRelationship: schema.Separable},
		}},
	}
}

func ptr[T any](v T) *T { return &v }

// goSchema builds the structured-merge-diff schema of Go types of package
// api by reflection, as Kubernetes builds its own from the OpenAPI its
// types generate: lists are atomic unless their field says otherwise
// (listType:"map" with listMapKeys, listType:"set", or, as Kubernetes'
// schema conversion reads them, patchStrategy:"merge" with a
// patchMergeKey), maps are granular, and a field's default:"…" is the
// value a missing list map key stands for.
type goSchema struct {
	types []schema.TypeDef
	seen  map[reflect.Type]string
}

// schemaForGo returns the schema of Go type t and the name of t's type in it.
func schemaForGo(t reflect.Type) (*schema.Schema, string) {
	g := &goSchema{seen: map[reflect.Type]string{}}
	ref := g.ref(t)
	g.types = append(g.types, untypedTypes()...)
	return &schema.Schema{Types: g.types}, *ref.NamedType
}

// typeName is a unique name for a named Go type.
func typeName(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// ref returns the reference of a field of type t.
func (g *goSchema) ref(t reflect.Type) schema.TypeRef {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType, microTimeType, quantityType, intOrStringType:
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Untyped)}}
	case rawMessageType:
		return named(untypedDeduced)
	}
	switch t.Kind() {
	case reflect.String:
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}}
	case reflect.Bool:
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Boolean)}}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Numeric)}}
	case reflect.Interface:
		return named(untypedDeduced)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}}
		}
		return schema.TypeRef{Inlined: schema.Atom{List: &schema.List{ElementType: g.ref(t.Elem()), ElementRelationship: schema.Atomic}}}
	case reflect.Map:
		return schema.TypeRef{Inlined: schema.Atom{Map: &schema.Map{ElementType: g.ref(t.Elem()), ElementRelationship: schema.Separable}}}
	case reflect.Struct:
		return named(g.define(t))
	}
	return named(untypedDeduced)
}

// define adds the named struct type t.
func (g *goSchema) define(t reflect.Type) string {
	if n, ok := g.seen[t]; ok {
		return n
	}
	name := typeName(t)
	g.seen[t] = name
	m := &schema.Map{}
	if atomicStructs[t.Name()] {
		m.ElementRelationship = schema.Atomic
	}
	idx := len(g.types)
	g.types = append(g.types, schema.TypeDef{Name: name})
	g.fields(t, m)
	g.types[idx].Atom = schema.Atom{Map: m}
	return name
}

// fields adds the JSON fields of struct t to m, flattening embedded
// structs as encoding/json does.
func (g *goSchema) fields(t reflect.Type, m *schema.Map) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, m)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if hasField(m, name) {
			continue
		}
		ref := g.ref(f.Type)
		if l := ref.Inlined.List; l != nil {
			listMarkers(f, l)
		}
		sf := schema.StructField{Name: name, Type: ref}
		if d := f.Tag.Get("default"); d != "" {
			sf.Default = d
		}
		m.Fields = append(m.Fields, sf)
	}
}

// listMarkers sets a list field's element relationship from its tags.
func listMarkers(f reflect.StructField, l *schema.List) {
	switch f.Tag.Get("listType") {
	case "map":
		l.ElementRelationship = schema.Associative
		l.Keys = strings.Split(f.Tag.Get("listMapKeys"), ",")
		return
	case "set":
		l.ElementRelationship = schema.Associative
		return
	case "atomic":
		return
	}
	strategy := f.Tag.Get("patchStrategy")
	if strategy == "merge" || strategy == "merge,retainKeys" {
		l.ElementRelationship = schema.Associative
		if k := f.Tag.Get("patchMergeKey"); k != "" {
			l.Keys = []string{k}
		}
	}
}

// schemaForStructural returns the schema of a custom resource from its
// structural schema, with the metadata of the Go ObjectMeta, and the name
// of its root type.
func schemaForStructural(s *structural.Schema) (*schema.Schema, string) {
	g := &goSchema{seen: map[reflect.Type]string{}}
	meta := g.ref(reflect.TypeFor[api.ObjectMeta]())
	root := structuralRef(s)
	m := root.Inlined.Map
	if m == nil {
		m = &schema.Map{ElementType: named(untypedDeduced), ElementRelationship: schema.Separable}
	}
	setField(m, "apiVersion", schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}})
	setField(m, "kind", schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}})
	setField(m, "metadata", meta)
	const rootName = "__custom_resource"
	types := append(g.types, schema.TypeDef{Name: rootName, Atom: schema.Atom{Map: m}})
	types = append(types, untypedTypes()...)
	return &schema.Schema{Types: types}, rootName
}

// hasField reports whether m has a field called name. (Map.FindField
// caches its first answer, so it must not be used while m is built.)
func hasField(m *schema.Map, name string) bool {
	for _, f := range m.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// setField sets or replaces the field called name of m.
func setField(m *schema.Map, name string, ref schema.TypeRef) {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			m.Fields[i].Type = ref
			return
		}
	}
	m.Fields = append(m.Fields, schema.StructField{Name: name, Type: ref})
}

// structuralRef is the inlined type of a structural schema node, read as
// Kubernetes reads x-kubernetes-list-type, -list-map-keys and -map-type.
func structuralRef(s *structural.Schema) schema.TypeRef {
	if s == nil {
		return named(untypedDeduced)
	}
	if s.IntOrString {
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Untyped)}}
	}
	switch s.Type {
	case "string":
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}}
	case "boolean":
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Boolean)}}
	case "integer", "number":
		return schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.Numeric)}}
	case "array":
		l := &schema.List{ElementType: structuralRef(s.Items), ElementRelationship: schema.Atomic}
		switch s.ListType {
		case "set":
			l.ElementRelationship = schema.Associative
		case "map":
			l.ElementRelationship = schema.Associative
			l.Keys = s.ListMapKeys
		}
		return schema.TypeRef{Inlined: schema.Atom{List: l}}
	case "object":
		m := &schema.Map{ElementRelationship: schema.Separable}
		if s.MapType == "atomic" {
			m.ElementRelationship = schema.Atomic
		}
		for name, p := range s.Properties {
			sf := schema.StructField{Name: name, Type: structuralRef(p)}
			if p.HasDefault {
				sf.Default = p.Default
			}
			m.Fields = append(m.Fields, sf)
		}
		switch {
		case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
			m.ElementType = structuralRef(s.AdditionalProperties.Schema)
		case s.PreserveUnknownFields || s.AdditionalProperties != nil && s.AdditionalProperties.Allows:
			m.ElementType = named(untypedDeduced)
		}
		if s.EmbeddedResource {
			for _, f := range []string{"apiVersion", "kind"} {
				if !hasField(m, f) {
					m.Fields = append(m.Fields, schema.StructField{Name: f, Type: schema.TypeRef{Inlined: schema.Atom{Scalar: ptr(schema.String)}}})
				}
			}
			if !hasField(m, "metadata") {
				m.Fields = append(m.Fields, schema.StructField{Name: "metadata", Type: named(untypedDeduced)})
			}
		}
		return schema.TypeRef{Inlined: schema.Atom{Map: m}}
	}
	return named(untypedDeduced)
}
