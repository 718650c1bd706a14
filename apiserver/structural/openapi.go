package structural

import (
	"slices"
	"strings"
)

// OpenAPIOptions name the kind whose OpenAPI definitions are built.
type OpenAPIOptions struct {
	Group, Version, Kind, ListKind, Plural string
	// SelectableFields are the version's selectableFields JSON paths
	// (".spec.color"), published as x-kubernetes-selectable-fields.
	SelectableFields []string
}

// Definition names of the meta types a custom resource refers to, as
// Kubernetes names them.
const (
	objectMetaDef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	listMetaDef   = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
)

// Kubernetes' descriptions of the fields it adds to a custom resource.
const (
	descAPIVersion         = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
	descKind               = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
	descEmbeddedAPIVersion = "apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
	descEmbeddedKind       = "kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
	descMetadata           = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
	descListMetadata       = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

// ModelName is the OpenAPI definition name of a custom kind: the group
// reversed, then version and kind ("com.example.stable.v1.CronTab" for
// stable.example.com/v1 CronTab).
func ModelName(group, version, kind string) string {
	parts := strings.Split(group, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".") + "." + version + "." + kind
}

// OpenAPIV3Definitions returns the definitions of the kind and of its list
// in OpenAPI 3.0 form (references to #/components/schemas/), keyed by
// ModelName, as kube-apiserver publishes them under /openapi/v3. s may be
// nil (a version without a schema): the kind is then any object.
func OpenAPIV3Definitions(s *Schema, o OpenAPIOptions) map[string]map[string]any {
	return definitions(s, o, false)
}

// OpenAPIV2Definitions is OpenAPIV3Definitions for Swagger 2.0
// (/openapi/v2, references to #/definitions/). As kube-apiserver does,
// it drops what Swagger 2.0 or kubectl's client-side validation cannot
// take: allOf, anyOf, oneOf and not, the types of nullable fields (and
// nullable fields from required), what lies under
// x-kubernetes-preserve-unknown-fields, and the whole schema when the
// root preserves unknown fields; defaults are not published.
func OpenAPIV2Definitions(s *Schema, o OpenAPIOptions) map[string]map[string]any {
	return definitions(s, o, true)
}

func ref(def string, v2 bool) map[string]any {
	if v2 {
		return map[string]any{"$ref": "#/definitions/" + def}
	}
	return map[string]any{"$ref": "#/components/schemas/" + def}
}

// describedRef is a reference with a description; OpenAPI 3.0 ignores a
// sibling of $ref, so there it is wrapped in allOf, as Kubernetes does.
func describedRef(def, desc string, v2 bool) map[string]any {
	r := ref(def, v2)
	if !v2 {
		r = map[string]any{"allOf": []any{r}}
	}
	r["description"] = desc
	return r
}

func definitions(s *Schema, o OpenAPIOptions, v2 bool) map[string]map[string]any {
	name := ModelName(o.Group, o.Version, o.Kind)
	var kind map[string]any
	switch {
	case s == nil, v2 && s.PreserveUnknownFields:
		// kubectl would refuse unknown fields if properties were listed.
		kind = map[string]any{"type": "object"}
	default:
		kind = s.openAPI(v2, true)
		props, _ := kind["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			kind["properties"] = props
		}
		props["metadata"] = describedRef(objectMetaDef, descMetadata, v2)
		props["apiVersion"] = map[string]any{"type": "string", "description": descAPIVersion}
		props["kind"] = map[string]any{"type": "string", "description": descKind}
	}
	kind["x-kubernetes-group-version-kind"] = []any{map[string]any{"group": o.Group, "version": o.Version, "kind": o.Kind}}
	list := map[string]any{
		"type":        "object",
		"description": o.ListKind + " is a list of " + o.Kind,
		"required":    []any{"items"},
		"properties": map[string]any{
			"apiVersion": map[string]any{"type": "string", "description": descAPIVersion},
			"kind":       map[string]any{"type": "string", "description": descKind},
			"items": map[string]any{"type": "array", "items": ref(name, v2),
				"description": "List of " + o.Plural + ". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"},
			"metadata": describedRef(listMetaDef, descListMetadata, v2),
		},
		"x-kubernetes-group-version-kind": []any{map[string]any{"group": o.Group, "version": o.Version, "kind": o.ListKind}},
	}
	if len(o.SelectableFields) > 0 {
		sf := make([]any, len(o.SelectableFields))
		for i, p := range o.SelectableFields {
			sf[i] = map[string]any{"fieldPath": strings.TrimPrefix(p, ".")}
		}
		kind["x-kubernetes-selectable-fields"] = sf
		list["x-kubernetes-selectable-fields"] = sf
	}
	return map[string]map[string]any{name: kind, ModelName(o.Group, o.Version, o.ListKind): list}
}

// openAPI renders a structural node (v2: converted as kube-apiserver's
// ToStructuralOpenAPIV2 does, without defaults).
func (s *Schema) openAPI(v2, structural bool) map[string]any {
	out := map[string]any{}
	typ := s.Type
	items, props := s.Items, s.Properties
	required := s.Required
	nullable := s.Nullable
	if v2 && structural {
		if s.Nullable {
			typ, items, props, nullable = "", nil, nil, false
		}
		if s.PreserveUnknownFields {
			items, props = nil, nil
		}
		if items == nil && typ == "array" {
			typ = ""
		}
		if s.PreserveUnknownFields && typ == "object" {
			typ = ""
		}
		var keep []string
		for _, r := range required {
			if ps, ok := s.Properties[r]; ok && ps.Nullable {
				continue
			}
			keep = append(keep, r)
		}
		if a := s.AdditionalProperties; a != nil && a.Schema != nil && a.Schema.Nullable {
			keep = nil
		}
		required = keep
	}
	set := func(k string, v any) { out[k] = v }
	if typ != "" {
		set("type", typ)
	}
	if nullable {
		set("nullable", true)
	}
	if s.Description != "" {
		set("description", s.Description)
	}
	if s.Title != "" {
		set("title", s.Title)
	}
	if s.HasDefault && !v2 {
		set("default", s.Default)
	}
	if s.HasExample {
		set("example", s.Example)
	}
	if s.ExternalDocs != nil {
		set("externalDocs", s.ExternalDocs)
	}
	if s.Format != "" {
		set("format", s.Format)
	}
	if s.Maximum != nil {
		set("maximum", *s.Maximum)
	}
	if s.ExclusiveMaximum {
		set("exclusiveMaximum", true)
	}
	if s.Minimum != nil {
		set("minimum", *s.Minimum)
	}
	if s.ExclusiveMinimum {
		set("exclusiveMinimum", true)
	}
	for k, p := range map[string]*int64{"maxLength": s.MaxLength, "minLength": s.MinLength, "maxItems": s.MaxItems,
		"minItems": s.MinItems, "maxProperties": s.MaxProperties, "minProperties": s.MinProperties} {
		if p != nil {
			set(k, *p)
		}
	}
	if s.Pattern != "" {
		set("pattern", s.Pattern)
	}
	if s.UniqueItems {
		set("uniqueItems", true)
	}
	if s.MultipleOf != nil {
		set("multipleOf", *s.MultipleOf)
	}
	if s.Enum != nil {
		set("enum", s.Enum)
	}
	if len(required) > 0 {
		set("required", required)
	}
	if items != nil {
		set("items", items.openAPI(v2, structural))
	}
	if props != nil {
		pm := make(map[string]any, len(props))
		for k, ps := range props {
			pm[k] = ps.openAPI(v2, structural)
		}
		set("properties", pm)
	}
	if a := s.AdditionalProperties; a != nil {
		if a.Schema != nil {
			set("additionalProperties", a.Schema.openAPI(v2, structural))
		} else {
			set("additionalProperties", a.Allows)
		}
	}
	if !v2 {
		allOf, anyOf := s.AllOf, s.AnyOf
		if structural && s.IntOrString && !intOrStringPattern(anyOf) && !(len(allOf) > 0 && intOrStringPattern(allOf[0].AnyOf)) {
			// Kubernetes' Unfold: spell the int-or-string out for clients.
			ios := []*Schema{{Type: "integer"}, {Type: "string"}}
			if anyOf == nil {
				anyOf = ios
			} else {
				allOf = append([]*Schema{{AnyOf: ios}}, allOf...)
			}
		}
		for k, l := range map[string][]*Schema{"allOf": allOf, "anyOf": anyOf, "oneOf": s.OneOf} {
			if len(l) > 0 {
				out[k] = renderAll(l)
			}
		}
		if s.Not != nil {
			set("not", s.Not.openAPI(false, false))
		}
	}
	if s.PreserveUnknownFields {
		set("x-kubernetes-preserve-unknown-fields", true)
	}
	if s.EmbeddedResource {
		set("x-kubernetes-embedded-resource", true)
		if !(v2 && s.PreserveUnknownFields) {
			pm, _ := out["properties"].(map[string]any)
			if pm == nil {
				pm = map[string]any{}
				out["properties"] = pm
			}
			pm["apiVersion"] = map[string]any{"type": "string", "description": descEmbeddedAPIVersion}
			pm["kind"] = map[string]any{"type": "string", "description": descEmbeddedKind}
			pm["metadata"] = describedRef(objectMetaDef, descMetadata, v2)
			req := append([]string(nil), required...)
			if !contains(req, "kind") {
				req = append(req, "kind")
			}
			if !contains(req, "apiVersion") {
				req = append(req, "apiVersion")
			}
			out["required"] = req
		}
	}
	if s.IntOrString {
		set("x-kubernetes-int-or-string", true)
	}
	if s.ListType != "" {
		set("x-kubernetes-list-type", s.ListType)
	}
	if len(s.ListMapKeys) > 0 {
		set("x-kubernetes-list-map-keys", s.ListMapKeys)
	}
	if s.MapType != "" {
		set("x-kubernetes-map-type", s.MapType)
	}
	if len(s.Validations) > 0 {
		set("x-kubernetes-validations", s.Validations)
	}
	return out
}

func renderAll(l []*Schema) []any {
	out := make([]any, len(l))
	for i, n := range l {
		out[i] = n.openAPI(false, false)
	}
	return out
}

// intOrStringPattern reports anyOf: [{type: integer}, {type: string}].
func intOrStringPattern(anyOf []*Schema) bool {
	return len(anyOf) == 2 && anyOf[0].Type == "integer" && anyOf[1].Type == "string"
}
