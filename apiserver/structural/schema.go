package structural

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Schema is one node of a parsed openAPIV3Schema. The same type holds the
// structural part of a schema (type, properties, items,
// additionalProperties) and the value validations under allOf, anyOf,
// oneOf and not. A Schema returned by New is never modified afterwards and
// is safe for concurrent use.
type Schema struct {
	Type         string
	Format       string
	Title        string
	Description  string
	Nullable     bool
	Default      any // meaningful when HasDefault
	HasDefault   bool
	Example      any
	HasExample   bool
	ExternalDocs map[string]any

	Properties           map[string]*Schema
	Items                *Schema
	AdditionalProperties *AdditionalProperties
	Required             []string

	Enum             []any
	Pattern          string
	Maximum          *float64
	ExclusiveMaximum bool
	Minimum          *float64
	ExclusiveMinimum bool
	MultipleOf       *float64
	MaxLength        *int64
	MinLength        *int64
	MaxItems         *int64
	MinItems         *int64
	UniqueItems      bool
	MaxProperties    *int64
	MinProperties    *int64

	AllOf []*Schema
	AnyOf []*Schema
	OneOf []*Schema
	Not   *Schema

	// PreserveUnknownFields is x-kubernetes-preserve-unknown-fields.
	PreserveUnknownFields bool
	// EmbeddedResource is x-kubernetes-embedded-resource: the value is an
	// object with apiVersion, kind and metadata.
	EmbeddedResource bool
	// IntOrString is x-kubernetes-int-or-string.
	IntOrString bool
	// ListType is x-kubernetes-list-type ("" when unset).
	ListType string
	// ListMapKeys is x-kubernetes-list-map-keys.
	ListMapKeys []string
	// MapType is x-kubernetes-map-type ("" when unset).
	MapType string
	// Validations is x-kubernetes-validations as given (CEL rules are
	// checked for their form only, not evaluated).
	Validations []any

	pattern *regexp.Regexp // Pattern compiled; nil if it does not compile
	rules   []*celRule     // Validations compiled, by New
}

// AdditionalProperties is additionalProperties: a boolean, or a schema
// (Allows is then true).
type AdditionalProperties struct {
	Allows bool
	Schema *Schema
}

// DecodeError is a schema that Kubernetes cannot even decode into its
// JSONSchemaProps type: a keyword with a value of the wrong JSON type. The
// API server answers it with 400 BadRequest, as kube-apiserver does for a
// CustomResourceDefinition it cannot decode.
type DecodeError struct {
	// Field is the Go-style field path, such as
	// "spec.versions.schema.openAPIV3Schema.properties.type".
	Field string
	// Value is the JSON type found ("number", "string", ...), GoType the
	// one Kubernetes expects ("string", "int64", ...).
	Value, GoType string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("json: cannot unmarshal %s into Go struct field JSONSchemaProps.%s of type %s", e.Value, e.Field, e.GoType)
}

// decoder turns the JSON form of a schema into Schemas, stopping at the
// first value of the wrong JSON type.
type decoder struct {
	err *DecodeError
	// unsupported is the first keyword that Kubernetes' structural schema
	// conversion refuses ($schema); reported only when nothing else is wrong.
	unsupported string
	// seen keeps what was set, per node, for the structural checks.
	seen map[*Schema]*setKeys
}

// setKeys records keywords whose mere presence matters to the structural
// rules, and those Kubernetes does not support at all.
type setKeys struct {
	unsupported       []string // id, $ref, patternProperties, ...
	itemsArray        bool
	preserveFalse     bool // x-kubernetes-preserve-unknown-fields: false
	typeNull          bool
	rawAdditionalBool bool
	raw               map[string]any
	listTypeSet       bool
	mapTypeSet        bool
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return "number"
}

func (d *decoder) fail(path, goType string, v any) {
	if d.err == nil {
		d.err = &DecodeError{Field: path, Value: jsonKind(v), GoType: goType}
	}
}

func (d *decoder) str(m map[string]any, k, path string) string {
	v, ok := m[k]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.fail(path+"."+k, "string", v)
	}
	return s
}

func (d *decoder) boolean(m map[string]any, k, path string) bool {
	v, ok := m[k]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		d.fail(path+"."+k, "bool", v)
	}
	return b
}

func (d *decoder) float(m map[string]any, k, path string) *float64 {
	v, ok := m[k]
	if !ok || v == nil {
		return nil
	}
	f, ok := toFloat(v)
	if !ok {
		d.fail(path+"."+k, "float64", v)
		return nil
	}
	return &f
}

func (d *decoder) int64p(m map[string]any, k, path string) *int64 {
	v, ok := m[k]
	if !ok || v == nil {
		return nil
	}
	i, ok := toInt64(v)
	if !ok {
		d.fail(path+"."+k, "int64", v)
		return nil
	}
	return &i
}

func (d *decoder) strings(m map[string]any, k, path string) []string {
	v, ok := m[k]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		d.fail(path+"."+k, "[]string", v)
		return nil
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			d.fail(path+"."+k, "string", e)
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) schemas(m map[string]any, k, path string) []*Schema {
	v, ok := m[k]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		d.fail(path+"."+k, "[]v1.JSONSchemaProps", v)
		return nil
	}
	out := make([]*Schema, 0, len(l))
	for _, e := range l {
		out = append(out, d.schema(e, path+"."+k))
	}
	return out
}

// schema decodes one node; a JSON null is an empty schema, as Kubernetes
// decodes it.
func (d *decoder) schema(v any, path string) *Schema {
	s := &Schema{}
	keys := &setKeys{}
	d.seen[s] = keys
	if v == nil {
		return s
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(path, "v1.JSONSchemaProps", v)
		return s
	}
	keys.raw = m
	for _, k := range []string{"id", "$ref", "patternProperties", "additionalItems", "definitions", "dependencies"} {
		if e, ok := m[k]; ok && e != nil && !isEmpty(e) {
			keys.unsupported = append(keys.unsupported, k)
		}
	}
	if e, ok := m["$schema"]; ok && e != nil && !isEmpty(e) && d.unsupported == "" {
		d.unsupported = "schema"
	}
	s.Type = d.str(m, "type", path)
	keys.typeNull = s.Type == "null"
	s.Format = d.str(m, "format", path)
	s.Title = d.str(m, "title", path)
	s.Description = d.str(m, "description", path)
	s.Nullable = d.boolean(m, "nullable", path)
	if e, ok := m["default"]; ok && e != nil {
		s.Default, s.HasDefault = e, true
	}
	if e, ok := m["example"]; ok && e != nil {
		s.Example, s.HasExample = e, true
	}
	if e, ok := m["externalDocs"]; ok && e != nil {
		ed, ok := e.(map[string]any)
		if !ok {
			d.fail(path+".externalDocs", "v1.ExternalDocumentation", e)
		}
		s.ExternalDocs = ed
	}
	if e, ok := m["properties"]; ok && e != nil {
		pm, ok := e.(map[string]any)
		if !ok {
			d.fail(path+".properties", "map[string]v1.JSONSchemaProps", e)
		} else {
			s.Properties = make(map[string]*Schema, len(pm))
			for k, pv := range pm {
				s.Properties[k] = d.schema(pv, path+".properties."+k)
			}
		}
	}
	if e, ok := m["items"]; ok && e != nil {
		if l, ok := e.([]any); ok {
			keys.itemsArray = len(l) > 0
			if len(l) > 0 {
				// Kubernetes keeps the array form only to reject it.
				s.Items = d.schema(l[0], path+".items")
			}
		} else {
			s.Items = d.schema(e, path+".items")
		}
	}
	if e, ok := m["additionalProperties"]; ok && e != nil {
		switch a := e.(type) {
		case bool:
			s.AdditionalProperties = &AdditionalProperties{Allows: a}
			keys.rawAdditionalBool = true
		case map[string]any:
			s.AdditionalProperties = &AdditionalProperties{Allows: true, Schema: d.schema(a, path+".additionalProperties")}
		default:
			d.fail(path+".additionalProperties", "v1.JSONSchemaPropsOrBool", e)
		}
	}
	s.Required = d.strings(m, "required", path)
	if e, ok := m["enum"]; ok && e != nil {
		l, ok := e.([]any)
		if !ok {
			d.fail(path+".enum", "[]v1.JSON", e)
		}
		s.Enum = l
	}
	s.Pattern = d.str(m, "pattern", path)
	s.Maximum = d.float(m, "maximum", path)
	s.ExclusiveMaximum = d.boolean(m, "exclusiveMaximum", path)
	s.Minimum = d.float(m, "minimum", path)
	s.ExclusiveMinimum = d.boolean(m, "exclusiveMinimum", path)
	s.MultipleOf = d.float(m, "multipleOf", path)
	s.MaxLength = d.int64p(m, "maxLength", path)
	s.MinLength = d.int64p(m, "minLength", path)
	s.MaxItems = d.int64p(m, "maxItems", path)
	s.MinItems = d.int64p(m, "minItems", path)
	s.UniqueItems = d.boolean(m, "uniqueItems", path)
	s.MaxProperties = d.int64p(m, "maxProperties", path)
	s.MinProperties = d.int64p(m, "minProperties", path)
	s.AllOf = d.schemas(m, "allOf", path)
	s.AnyOf = d.schemas(m, "anyOf", path)
	s.OneOf = d.schemas(m, "oneOf", path)
	if e, ok := m["not"]; ok && e != nil {
		s.Not = d.schema(e, path+".not")
	}
	if e, ok := m["x-kubernetes-preserve-unknown-fields"]; ok && e != nil {
		b, ok := e.(bool)
		if !ok {
			d.fail(path+".x-kubernetes-preserve-unknown-fields", "bool", e)
		}
		s.PreserveUnknownFields = b
		keys.preserveFalse = ok && !b
	}
	s.EmbeddedResource = d.boolean(m, "x-kubernetes-embedded-resource", path)
	s.IntOrString = d.boolean(m, "x-kubernetes-int-or-string", path)
	if e, ok := m["x-kubernetes-list-type"]; ok && e != nil {
		keys.listTypeSet = true
		s.ListType = d.str(m, "x-kubernetes-list-type", path)
	}
	s.ListMapKeys = d.strings(m, "x-kubernetes-list-map-keys", path)
	if e, ok := m["x-kubernetes-map-type"]; ok && e != nil {
		keys.mapTypeSet = true
		s.MapType = d.str(m, "x-kubernetes-map-type", path)
	}
	if e, ok := m["x-kubernetes-validations"]; ok && e != nil {
		l, ok := e.([]any)
		if !ok {
			d.fail(path+".x-kubernetes-validations", "v1.ValidationRules", e)
		}
		for i, r := range l {
			if _, ok := r.(map[string]any); !ok {
				d.fail(fmt.Sprintf("%s.x-kubernetes-validations[%d]", path, i), "v1.ValidationRule", r)
			}
		}
		s.Validations = l
	}
	if s.Pattern != "" {
		s.pattern, _ = regexp.Compile(s.Pattern)
	}
	return s
}

// isEmpty reports a value that Kubernetes' decoding leaves unset: "", an
// empty list or map.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// toFloat converts a JSON number (json.Number, float64 or an integer) to
// float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

// toInt64 converts a JSON integer to int64; a number with a fraction or
// out of range is not one.
func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n != float64(int64(n)) {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	}
	return 0, false
}

// sortedKeys returns m's keys in order, so that errors come out the same
// way every time (Kubernetes' order follows Go's map iteration).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// normalizeFormat is go-openapi's format name normalization: "date-time"
// and "datetime" are one format.
func normalizeFormat(f string) string { return strings.ReplaceAll(f, "-", "") }
