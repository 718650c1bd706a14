package apiserver

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/structural"
)

var rawMessageType = reflect.TypeOf(json.RawMessage{})

// fieldSchema is what the unknown-field walk needs to know of a kind's
// schema. A built-in kind's Go type is one (goSchema); a custom resource's
// structural schema is another, with properties as an object's fields,
// additionalProperties as a map's values, items as a list's elements, and
// x-kubernetes-preserve-unknown-fields as shapeAny.
type fieldSchema interface {
	// Shape says what JSON a value of this schema holds.
	Shape() shape
	// Field returns the schema of an object's field (shapeObject only);
	// ok is false for a field the schema does not declare.
	Field(name string) (s fieldSchema, ok bool)
	// Elem returns the schema of a list's elements or of a map's values
	// (shapeList and shapeMap only).
	Elem() fieldSchema
}

// shape is the JSON a schema describes, as far as unknown fields go.
type shape int

const (
	// shapeAny is not looked into: scalars, raw JSON, values that decode
	// themselves (times, quantities, int-or-string).
	shapeAny shape = iota
	// shapeObject has a fixed set of fields.
	shapeObject
	// shapeList is a list of elements of one schema.
	shapeList
	// shapeMap has any keys, with values of one schema.
	shapeMap
)

// schemaFor is the schema source of a resource: for built-in kinds, the Go
// type its New returns; for custom resources, the structural schema.
func schemaFor(s registry.Schema) fieldSchema {
	if s.Structural != nil {
		return viewSchema{s.Structural.Schema.FieldView()}
	}
	return goSchemaOf(s.Go)
}

var objectMetaSchema = goSchemaOf(reflect.TypeFor[api.ObjectMeta]())

// viewSchema is a custom resource's structural schema as the walk sees it
// (package structural's FieldView, which agrees with its pruning); the
// metadata of a resource is walked as ObjectMeta.
type viewSchema struct{ v structural.FieldView }

func (s viewSchema) Shape() shape {
	switch s.v.Shape() {
	case structural.ShapeObject:
		return shapeObject
	case structural.ShapeList:
		return shapeList
	case structural.ShapeMap:
		return shapeMap
	}
	return shapeAny
}

func (s viewSchema) Field(name string) (fieldSchema, bool) {
	f, ok := s.v.Field(name)
	if !ok {
		return nil, false
	}
	if f.ObjectMeta() {
		return objectMetaSchema, true
	}
	return viewSchema{f}, true
}

func (s viewSchema) Elem() fieldSchema {
	e := s.v.Elem()
	if e.ObjectMeta() {
		return objectMetaSchema
	}
	return viewSchema{e}
}

// goSchema is the schema of a Go type of package api, read from its JSON
// tags. One exists per type (goSchemaOf), its shape worked out once: every
// write walks its object through these, and asking reflect each time cost
// more than the walk.
type goSchema struct {
	t     reflect.Type
	shape shape
	// fields and elem are filled on first use (types can be recursive).
	fields atomic.Pointer[map[string]*goSchema]
	elem   atomic.Pointer[goSchema]
}

// goSchemas caches goSchemaOf.
var goSchemas sync.Map // reflect.Type → *goSchema

// goSchemaOf returns the schema of t (pointers are looked through). Safe
// for concurrent use.
func goSchemaOf(t reflect.Type) *goSchema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if g, ok := goSchemas.Load(t); ok {
		return g.(*goSchema)
	}
	g, _ := goSchemas.LoadOrStore(t, &goSchema{t: t, shape: goShape(t)})
	return g.(*goSchema)
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

func goShape(t reflect.Type) shape {
	if t == rawMessageType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return shapeAny
	}
	switch t.Kind() {
	case reflect.Struct:
		return shapeObject
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return shapeAny // []byte: base64 text
		}
		return shapeList
	case reflect.Map:
		return shapeMap
	}
	return shapeAny
}

func (g *goSchema) Shape() shape { return g.shape }

func (g *goSchema) Field(name string) (fieldSchema, bool) {
	fields := g.fields.Load()
	if fields == nil {
		m := map[string]*goSchema{}
		for k, ft := range jsonFields(g.t) {
			m[k] = goSchemaOf(ft)
		}
		fields = &m
		g.fields.Store(fields)
	}
	f, ok := (*fields)[name]
	if !ok {
		return nil, false
	}
	return f, true
}

func (g *goSchema) Elem() fieldSchema {
	e := g.elem.Load()
	if e == nil {
		e = goSchemaOf(g.t.Elem())
		g.elem.Store(e)
	}
	return e
}

// unknownFields lists the JSON paths in v that the schema s does not
// declare, as Kubernetes' strict decoding reports them ("spec.foo",
// "spec.containers[0].foo"), sorted; path prefixes them. With prune, it
// also deletes them from v, as decoding into the kind's type (or pruning
// by a structural schema) does.
func unknownFields(v any, s fieldSchema, path string, prune bool) []string {
	w := unknownWalk{prune: prune}
	if path != "" {
		w.at = append(w.at, pathStep{key: path, index: -1})
	}
	w.walk(v, s)
	sort.Strings(w.out)
	return w.out
}

// unknownWalk is one walk of unknownFields. The path to the value being
// walked is kept as steps and spelled out only for an unknown field: most
// objects have none, and building every field's path cost more than
// checking it.
type unknownWalk struct {
	prune bool
	at    []pathStep
	out   []string
}

// pathStep is an object's field or map's key (index -1), or a list's
// element.
type pathStep struct {
	key   string
	index int
}

func (w *unknownWalk) walk(v any, s fieldSchema) {
	switch s.Shape() {
	case shapeObject:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, e := range m {
			fs, ok := s.Field(k)
			if !ok {
				w.out = append(w.out, w.path(k))
				if w.prune {
					delete(m, k) // safe while ranging over m
				}
				continue
			}
			if fs.Shape() != shapeAny {
				w.at = append(w.at, pathStep{key: k, index: -1})
				w.walk(e, fs)
				w.at = w.at[:len(w.at)-1]
			}
		}
	case shapeList:
		l, ok := v.([]any)
		if !ok {
			return
		}
		es := s.Elem()
		for i, e := range l {
			w.at = append(w.at, pathStep{index: i})
			w.walk(e, es)
			w.at = w.at[:len(w.at)-1]
		}
	case shapeMap:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		es := s.Elem()
		if es.Shape() == shapeAny {
			return // labels, annotations, resource lists: nothing inside
		}
		for k, e := range m {
			w.at = append(w.at, pathStep{key: k, index: -1})
			w.walk(e, es)
			w.at = w.at[:len(w.at)-1]
		}
	}
}

// path spells out the path of field k of the value being walked.
func (w *unknownWalk) path(k string) string {
	var b strings.Builder
	for _, st := range w.at {
		if st.index >= 0 {
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(st.key)
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(k)
	return b.String()
}

// fieldsByType caches jsonFields: every write checks its object against
// the Go type, and reflecting on the type's fields each time cost more
// than the checks themselves.
var fieldsByType sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps a struct's JSON names to field types, flattening inline
// (embedded or ",inline") fields. The map is shared by every caller: it
// must not be modified. Safe for concurrent use.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldsByType.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m, _ := fieldsByType.LoadOrStore(t, structFields(t))
	return m.(map[string]reflect.Type)
}

func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if (f.Anonymous && name == "") || strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

var quantityType = reflect.TypeOf(api.Quantity{})

// quantityHolders caches holdsQuantity by type.
var quantityHolders sync.Map // reflect.Type → bool

// holdsQuantity reports whether a value of type t can contain a resource
// quantity anywhere, so that quantityErrors skips what cannot (metadata,
// most of a status). Safe for concurrent use.
// quantityFields are the JSON fields of struct type t that hold a
// quantity, the only ones quantityErrors walks: a pod's are its
// containers' resources and its overhead.
func quantityFields(t reflect.Type) []namedType {
	if fs, ok := quantityFieldsByType.Load(t); ok {
		return fs.([]namedType)
	}
	var fs []namedType
	for name, ft := range jsonFields(t) {
		if holdsQuantity(ft) {
			fs = append(fs, namedType{name, ft})
		}
	}
	quantityFieldsByType.Store(t, fs)
	return fs
}

type namedType struct {
	name string
	t    reflect.Type
}

var quantityFieldsByType sync.Map // reflect.Type -> []namedType

func holdsQuantity(t reflect.Type) bool {
	if b, ok := quantityHolders.Load(t); ok {
		return b.(bool)
	}
	b := findQuantity(t, map[reflect.Type]bool{})
	quantityHolders.Store(t, b)
	return b
}

// findQuantity searches t's fields and elements for a quantity, once per
// type: a type met again (a recursive type) adds nothing new.
func findQuantity(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == quantityType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for _, ft := range jsonFields(t) {
			if findQuantity(ft, seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		return findQuantity(t.Elem(), seen)
	}
	return false
}

// quantityErrors finds the resource quantities in v (by the Go type t)
// that do not parse, as field errors, so that "cpu: lots" is a 422 naming
// the field rather than a decoding failure.
func quantityErrors(v any, t reflect.Type, path *field.Path) field.ErrorList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !holdsQuantity(t) {
		return nil
	}
	if t == quantityType {
		var s string
		switch q := v.(type) {
		case string:
			s = q
		case json.Number:
			s = q.String()
		default:
			return field.ErrorList{field.Invalid(path, v, "must be a quantity, e.g. 100m or 64Mi")}
		}
		if _, err := api.ParseQuantity(s); err != nil {
			return field.ErrorList{field.Invalid(path, s, "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")}
		}
		return nil
	}
	var errs field.ErrorList
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, f := range quantityFields(t) {
			if e, ok := m[f.name]; ok {
				errs = append(errs, quantityErrors(e, f.t, childPath(path, f.name))...)
			}
		}
	case reflect.Slice:
		l, _ := v.([]any)
		for i, e := range l {
			errs = append(errs, quantityErrors(e, t.Elem(), path.Index(i))...)
		}
	case reflect.Map:
		m, _ := v.(map[string]any)
		for k, e := range m {
			errs = append(errs, quantityErrors(e, t.Elem(), path.Key(k))...)
		}
	}
	return errs
}

func childPath(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}
