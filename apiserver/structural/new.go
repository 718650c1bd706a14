package structural

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/api/field"
)

// Options are the CustomResourceDefinition settings that change what a
// schema may contain.
type Options struct {
	// StatusSubresource is set when the version serves /status: the root
	// of the schema may then only hold the keywords Kubernetes keeps when
	// it extracts properties[status] as the status schema.
	StatusSubresource bool
	// DecodePath is the Go-style path of the schema named in a
	// DecodeError; "spec.versions.schema.openAPIV3Schema" when empty.
	DecodePath string
}

// New parses an openAPIV3Schema (JSON decoded into map[string]any, with
// numbers as json.Number or float64) and checks it as kube-apiserver
// checks a CustomResourceDefinition's schema: that it is structural, that
// its defaults are pruned and valid, and the rules on
// x-kubernetes-list-type, x-kubernetes-map-type, metadata and the other
// extensions. fldPath is the schema's path in the CRD
// (spec.versions[0].schema.openAPIV3Schema); the errors carry
// Kubernetes' paths and wording, for a 422 Invalid Status.
//
// A keyword with a value of the wrong JSON type is a *DecodeError (the
// schema is then nil): Kubernetes answers that with 400 BadRequest.
// x-kubernetes-validations rules are checked for their form and, once
// the rest of the schema is good, compiled (a rule that does not compile
// is an error, as in Kubernetes).
func New(raw map[string]any, fldPath *field.Path, opts Options) (*Schema, field.ErrorList, error) {
	d := &decoder{seen: map[*Schema]*setKeys{}}
	dp := opts.DecodePath
	if dp == "" {
		dp = "spec.versions.schema.openAPIV3Schema"
	}
	var v any = raw
	if raw == nil {
		v = nil
	}
	s := d.schema(v, dp)
	if d.err != nil {
		return nil, nil, d.err
	}
	c := &checker{d: d}
	var errs field.ErrorList

	if opts.StatusSubresource {
		errs = append(errs, c.statusRoot(s, fldPath)...)
	}
	if s.Nullable {
		errs = append(errs, field.Forbidden(fldPath.Child("nullable"), "nullable cannot be true at the root"))
	}
	initErr := c.structuralInitError(s)
	if initErr == "" {
		serrs := c.structuralInvariants(s, rootLevel, fldPath)
		serrs = append(serrs, c.completeness(s, fldPath)...)
		if len(serrs) > 0 {
			sort.SliceStable(serrs, func(i, j int) bool { return serrs[i].Error() < serrs[j].Error() })
			errs = append(errs, serrs...)
		} else {
			errs = append(errs, validateDefaults(fldPath, s)...)
		}
	}
	errs = append(errs, c.openAPISchema(s, fldPath, ssv{allowDefaults: true}, true)...)
	if len(errs) == 0 && initErr != "" {
		errs = append(errs, field.Invalid(fldPath, "", initErr))
	}
	if len(errs) == 0 {
		// Rules are compiled once the schema is known to be good, as
		// Kubernetes does.
		errs = compileRules(s, fldPath)
	}
	return s, errs, nil
}

// MustNew is New for schemas known to be good (tests, built-in
// definitions); it panics on any error.
func MustNew(raw map[string]any) *Schema {
	s, errs, err := New(raw, field.NewPath("openAPIV3Schema"), Options{})
	if err != nil {
		panic(err)
	}
	if len(errs) > 0 {
		panic(errs.ToAggregate())
	}
	return s
}

type checker struct{ d *decoder }

func (c *checker) keys(s *Schema) *setKeys {
	if k := c.d.seen[s]; k != nil {
		return k
	}
	return &setKeys{}
}

// structuralInitError is why Kubernetes cannot convert the schema to its
// structural form at all, or "". It is reported only when nothing else is
// wrong (the other checks name the same keywords better).
func (c *checker) structuralInitError(s *Schema) string {
	if c.d.unsupported != "" {
		return "OpenAPIV3Schema 'schema' is not supported"
	}
	var msg string
	walk(s, func(n *Schema) {
		k := c.keys(n)
		if msg != "" {
			return
		}
		switch {
		case len(k.unsupported) > 0:
			msg = fmt.Sprintf("OpenAPIV3Schema '%s' is not supported", k.unsupported[0])
		case k.itemsArray:
			msg = "OpenAPIV3Schema 'items' must be a schema, but is an array"
		case k.preserveFalse:
			msg = "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
		}
	})
	return msg
}

// walk calls f on every node of s.
func walk(s *Schema, f func(*Schema)) {
	if s == nil {
		return
	}
	f(s)
	walk(s.Items, f)
	for _, k := range sortedKeys(s.Properties) {
		walk(s.Properties[k], f)
	}
	if s.AdditionalProperties != nil {
		walk(s.AdditionalProperties.Schema, f)
	}
	for _, l := range [][]*Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for _, n := range l {
			walk(n, f)
		}
	}
	walk(s.Not, f)
}

// allowedAtRoot are the JSONSchemaProps fields a schema's root may set when
// the status subresource is enabled, in the words of Kubernetes' message.
var allowedAtRoot = []string{"Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum", "MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required", "Items", "Properties", "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations"}

// statusRoot checks the root's keywords in JSONSchemaProps' field order,
// reporting the first one not allowed, as Kubernetes does.
func (c *checker) statusRoot(s *Schema, p *field.Path) field.ErrorList {
	k := c.keys(s)
	set := func(name string) bool { _, ok := k.raw[name]; return ok && k.raw[name] != nil && !isEmpty(k.raw[name]) }
	for _, f := range []struct {
		key     string
		allowed bool
	}{
		{"id", false}, {"$schema", false}, {"$ref", false}, {"description", true}, {"type", true},
		{"format", true}, {"title", true}, {"default", false}, {"maximum", true}, {"exclusiveMaximum", true},
		{"minimum", true}, {"exclusiveMinimum", true}, {"maxLength", true}, {"minLength", true}, {"pattern", true},
		{"maxItems", true}, {"minItems", true}, {"uniqueItems", true}, {"multipleOf", true}, {"enum", false},
		{"maxProperties", false}, {"minProperties", false}, {"required", true}, {"items", true}, {"allOf", false},
		{"oneOf", false}, {"anyOf", false}, {"not", false}, {"properties", true}, {"additionalProperties", false},
		{"patternProperties", false}, {"dependencies", false}, {"additionalItems", false}, {"definitions", false},
		{"externalDocs", true}, {"example", true}, {"nullable", false}, {"x-kubernetes-preserve-unknown-fields", true},
		{"x-kubernetes-embedded-resource", false}, {"x-kubernetes-int-or-string", false}, {"x-kubernetes-list-map-keys", false},
		{"x-kubernetes-list-type", false}, {"x-kubernetes-map-type", false}, {"x-kubernetes-validations", true},
	} {
		if !set(f.key) || k.raw[f.key] == false {
			continue
		}
		if f.key == "type" {
			if s.Type != "object" {
				return field.ErrorList{field.Invalid(p.Child("type"), s.Type, `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`)}
			}
			continue
		}
		if !f.allowed {
			return field.ErrorList{field.Invalid(p, k.raw, fmt.Sprintf("only %v fields are allowed at the root of the schema if the status subresource is enabled", allowedAtRoot))}
		}
	}
	return nil
}

type level int

const (
	rootLevel level = iota
	itemLevel
	fieldLevel
)

// onlyType reports a junctor branch that sets nothing but type t, the
// int-or-string pattern's branches.
func (c *checker) onlyType(n *Schema, t string) bool {
	if n == nil || n.Type != t {
		return false
	}
	for k, v := range c.keys(n).raw {
		if k != "type" && v != nil && !isEmpty(v) && v != false {
			return false
		}
	}
	return true
}

func (c *checker) intOrStringAnyOf(anyOf []*Schema) bool {
	return len(anyOf) == 2 && c.onlyType(anyOf[0], "integer") && c.onlyType(anyOf[1], "string")
}

// structuralInvariants checks a node of the structural part of a schema.
func (c *checker) structuralInvariants(s *Schema, lvl level, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	if s.Type == "array" && s.Items == nil {
		errs = append(errs, field.Required(p.Child("items"), "must be specified"))
	}
	errs = append(errs, c.structuralInvariants(s.Items, itemLevel, p.Child("items"))...)
	for _, k := range sortedKeys(s.Properties) {
		errs = append(errs, c.structuralInvariants(s.Properties[k], fieldLevel, p.Child("properties").Key(k))...)
	}
	if s.AdditionalProperties != nil {
		if lvl == rootLevel {
			errs = append(errs, field.Forbidden(p.Child("additionalProperties"), "must not be used at the root"))
		}
		if s.AdditionalProperties.Schema != nil {
			errs = append(errs, c.structuralInvariants(s.AdditionalProperties.Schema, fieldLevel, p.Child("additionalProperties"))...)
		}
	}
	if s.IntOrString && s.PreserveUnknownFields {
		errs = append(errs, field.Invalid(p.Child("x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	if s.IntOrString && s.EmbeddedResource {
		errs = append(errs, field.Invalid(p.Child("x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	skipAnyOf := c.intOrStringAnyOf(s.AnyOf)
	skipFirstAllOfAnyOf := len(s.AllOf) >= 1 && c.intOrStringAnyOf(s.AllOf[0].AnyOf)
	errs = append(errs, c.valueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, p)...)

	checkMetadata := lvl == rootLevel || s.EmbeddedResource
	if s.EmbeddedResource && s.Type != "object" {
		if s.Type == "" {
			errs = append(errs, field.Required(p.Child("type"), "must be object if x-kubernetes-embedded-resource is true"))
		} else {
			errs = append(errs, field.Invalid(p.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"))
		}
	} else if s.Type == "" && !s.IntOrString && !s.PreserveUnknownFields {
		switch lvl {
		case rootLevel:
			errs = append(errs, field.Required(p.Child("type"), "must not be empty at the root"))
		case itemLevel:
			errs = append(errs, field.Required(p.Child("type"), "must not be empty for specified array items"))
		case fieldLevel:
			errs = append(errs, field.Required(p.Child("type"), "must not be empty for specified object fields"))
		}
	}
	if s.EmbeddedResource && s.AdditionalProperties != nil {
		errs = append(errs, field.Forbidden(p.Child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
	}
	if lvl == rootLevel && s.Type != "" && s.Type != "object" {
		errs = append(errs, field.Invalid(p.Child("type"), s.Type, "must be object at the root"))
	}
	for _, k := range []string{"kind", "apiVersion"} {
		if ps, ok := s.Properties[k]; ok && checkMetadata && ps.Type != "string" {
			errs = append(errs, field.Invalid(p.Child("properties").Key(k).Child("type"), ps.Type, "must be string"))
		}
	}
	if m, ok := s.Properties["metadata"]; ok {
		mp := p.Child("properties").Key("metadata")
		if checkMetadata && m.Type != "object" {
			errs = append(errs, field.Invalid(mp.Child("type"), m.Type, "must be object"))
		}
		if lvl == rootLevel && !c.onlyNameRestrictions(m) {
			errs = append(errs, field.Forbidden(mp, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
		}
	}
	if s.EmbeddedResource && !s.PreserveUnknownFields && len(s.Properties) == 0 {
		errs = append(errs, field.Required(p.Child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
	}
	return errs
}

// onlyNameRestrictions reports a root metadata schema that sets nothing
// but its type, a default, and properties name and/or generateName.
func (c *checker) onlyNameRestrictions(m *Schema) bool {
	for k, v := range c.keys(m).raw {
		if v == nil || isEmpty(v) || v == false {
			continue
		}
		switch k {
		case "type", "default":
		case "properties":
			for name := range m.Properties {
				if name != "name" && name != "generateName" {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// valueValidation checks the junctors of a node.
func (c *checker) valueValidation(s *Schema, skipAnyOf, skipFirstAllOfAnyOf bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !skipAnyOf {
		for i, n := range s.AnyOf {
			errs = append(errs, c.nested(n, false, false, p.Child("anyOf").Index(i))...)
		}
	}
	for i, n := range s.AllOf {
		errs = append(errs, c.nested(n, skipFirstAllOfAnyOf && i == 0, false, p.Child("allOf").Index(i))...)
	}
	for i, n := range s.OneOf {
		errs = append(errs, c.nested(n, false, false, p.Child("oneOf").Index(i))...)
	}
	errs = append(errs, c.nested(s.Not, false, false, p.Child("not"))...)
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			errs = append(errs, field.Invalid(p.Child("pattern"), s.Pattern, fmt.Sprintf("must be a valid regular expression, but isn't: %v", err)))
		}
	}
	return errs
}

// nested checks a node under allOf, anyOf, oneOf or not: it may only
// validate values, never declare structure.
func (c *checker) nested(n *Schema, skipAnyOf, skipAllOfAnyOf bool, p *field.Path) field.ErrorList {
	if n == nil {
		return nil
	}
	errs := c.valueValidation(n, skipAnyOf, skipAllOfAnyOf, p)
	errs = append(errs, c.nested(n.Items, false, false, p.Child("items"))...)
	for _, k := range sortedKeys(n.Properties) {
		errs = append(errs, c.nested(n.Properties[k], false, false, p.Child("properties").Key(k))...)
	}
	if n.Type != "" {
		errs = append(errs, field.Forbidden(p.Child("type"), "must be empty to be structural"))
	}
	if a := n.AdditionalProperties; a != nil && (a.Allows || a.Schema != nil) {
		errs = append(errs, field.Forbidden(p.Child("additionalProperties"), "must be undefined to be structural"))
	}
	if n.HasDefault {
		errs = append(errs, field.Forbidden(p.Child("default"), "must be undefined to be structural"))
	}
	if n.Title != "" {
		errs = append(errs, field.Forbidden(p.Child("title"), "must be empty to be structural"))
	}
	if n.Description != "" {
		errs = append(errs, field.Forbidden(p.Child("description"), "must be empty to be structural"))
	}
	if n.Nullable {
		errs = append(errs, field.Forbidden(p.Child("nullable"), "must be false to be structural"))
	}
	if n.ExternalDocs != nil {
		errs = append(errs, field.Forbidden(p.Child("externalDocs"), "must be undefined to be structural"))
	}
	if n.PreserveUnknownFields {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-preserve-unknown-fields"), "must be false to be structural"))
	}
	if n.EmbeddedResource {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-embedded-resource"), "must be false to be structural"))
	}
	if n.IntOrString {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-int-or-string"), "must be false to be structural"))
	}
	if len(n.ListMapKeys) > 0 {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-list-map-keys"), "must be empty to be structural"))
	}
	if c.keys(n).listTypeSet {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-list-type"), "must be undefined to be structural"))
	}
	if c.keys(n).mapTypeSet {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-map-type"), "must be undefined to be structural"))
	}
	if len(n.Validations) > 0 {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-validations"), "must be empty to be structural"))
	}
	if _, ok := n.Properties["metadata"]; ok {
		errs = append(errs, field.Forbidden(p.Child("properties").Key("metadata"), "must not be specified in a nested context"))
	}
	return errs
}

// completeness checks that what the root's junctors name (properties,
// items) is also declared in the structural part. Kubernetes checks the
// root's junctors only.
func (c *checker) completeness(s *Schema, p *field.Path) field.ErrorList {
	return c.junctorsComplete(s, s, p, p)
}

func (c *checker) junctorsComplete(v, s *Schema, sp, vp *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, c.nestedComplete(v.Not, s, sp, vp.Child("not"))...)
	for i, n := range v.AllOf {
		errs = append(errs, c.nestedComplete(n, s, sp, vp.Child("allOf").Index(i))...)
	}
	for i, n := range v.AnyOf {
		errs = append(errs, c.nestedComplete(n, s, sp, vp.Child("anyOf").Index(i))...)
	}
	for i, n := range v.OneOf {
		errs = append(errs, c.nestedComplete(n, s, sp, vp.Child("oneOf").Index(i))...)
	}
	return errs
}

func (c *checker) nestedComplete(v, s *Schema, sp, vp *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if s == nil {
		return field.ErrorList{field.Required(sp, "because it is defined in "+vp.String())}
	}
	errs := c.junctorsComplete(v, s, sp, vp)
	if v.Items != nil {
		errs = append(errs, c.nestedComplete(v.Items, s.Items, sp.Child("items"), vp.Child("items"))...)
	}
	for _, k := range sortedKeys(v.Properties) {
		sf, ok := s.Properties[k]
		if !ok {
			errs = append(errs, field.Required(sp.Child("properties").Key(k), "because it is defined in "+vp.Child("properties").Key(k).String()))
			continue
		}
		errs = append(errs, c.nestedComplete(v.Properties[k], sf, sp.Child("properties").Key(k), vp.Child("properties").Key(k))...)
	}
	return errs
}

// ssv is the context of Kubernetes' per-node schema checks.
type ssv struct {
	allowDefaults      bool
	disallowReason     string
	insideResourceMeta bool
}

func (v ssv) forbidDefaults(reason string) ssv {
	v.allowDefaults, v.disallowReason = false, reason
	return v
}

var openAPIV3Types = []string{"array", "boolean", "integer", "number", "object", "string"}

var metaFields = map[string]bool{"metadata": true, "kind": true, "apiVersion": true}

// openAPISchema is Kubernetes' ValidateCustomResourceDefinitionOpenAPISchema.
func (c *checker) openAPISchema(s *Schema, p *field.Path, v ssv, isRoot bool) field.ErrorList {
	if s == nil {
		return nil
	}
	k := c.keys(s)
	var errs field.ErrorList
	if s.Type != "" && !contains(openAPIV3Types, s.Type) {
		errs = append(errs, field.NotSupported(p.Child("type"), s.Type, openAPIV3Types))
	}
	if s.HasDefault && !v.allowDefaults {
		detail := "must not be set"
		if v.disallowReason != "" {
			detail += " " + v.disallowReason
		}
		errs = append(errs, field.Forbidden(p.Child("default"), detail))
	}
	for _, u := range k.unsupported {
		errs = append(errs, field.Forbidden(p.Child(u), u+" is not supported"))
	}
	if k.typeNull {
		errs = append(errs, field.Forbidden(p.Child("type"), "type cannot be set to null, use nullable as an alternative"))
	}
	if k.itemsArray {
		errs = append(errs, field.Forbidden(p.Child("items"), "items must be a schema object and not an array"))
	}
	if v.insideResourceMeta && s.EmbeddedResource {
		errs = append(errs, field.Forbidden(p.Child("x-kubernetes-embedded-resource"), "must not be used inside of resource meta"))
	}
	if s.UniqueItems {
		errs = append(errs, field.Forbidden(p.Child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
	}
	if a := s.AdditionalProperties; a != nil {
		if len(s.Properties) != 0 && (!a.Allows || a.Schema != nil) {
			errs = append(errs, field.Forbidden(p.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
		}
		sub := v
		if v.insideResourceMeta {
			sub = v.forbidDefaults("inside additionalProperties applying to object metadata")
		}
		errs = append(errs, c.openAPISchema(a.Schema, p.Child("additionalProperties"), sub, false)...)
	}
	for _, name := range sortedKeys(s.Properties) {
		sub := v
		if (isRoot || s.EmbeddedResource) && metaFields[name] {
			sub.insideResourceMeta = true
			if isRoot {
				sub = sub.forbidDefaults("in top-level " + name)
			}
		}
		errs = append(errs, c.openAPISchema(s.Properties[name], p.Child("properties").Key(name), sub, false)...)
	}
	errs = append(errs, c.openAPISchema(s.Not, p.Child("not"), v, false)...)
	for i, n := range s.AllOf {
		errs = append(errs, c.openAPISchema(n, p.Child("allOf").Index(i), v, false)...)
	}
	for i, n := range s.OneOf {
		errs = append(errs, c.openAPISchema(n, p.Child("oneOf").Index(i), v, false)...)
	}
	for i, n := range s.AnyOf {
		errs = append(errs, c.openAPISchema(n, p.Child("anyOf").Index(i), v, false)...)
	}
	if s.Items != nil && !k.itemsArray {
		errs = append(errs, c.openAPISchema(s.Items, p.Child("items"), v, false)...)
	}
	if k.preserveFalse {
		errs = append(errs, field.Invalid(p.Child("x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"))
	}
	if k.mapTypeSet && s.Type != "object" {
		if s.Type == "" {
			errs = append(errs, field.Required(p.Child("type"), "must be object if x-kubernetes-map-type is specified"))
		} else {
			errs = append(errs, field.Invalid(p.Child("type"), s.Type, "must be object if x-kubernetes-map-type is specified"))
		}
	}
	if k.mapTypeSet && s.MapType != "atomic" && s.MapType != "granular" {
		errs = append(errs, field.NotSupported(p.Child("x-kubernetes-map-type"), s.MapType, []string{"atomic", "granular"}))
	}
	if k.listTypeSet && s.Type != "array" {
		if s.Type == "" {
			errs = append(errs, field.Required(p.Child("type"), "must be array if x-kubernetes-list-type is specified"))
		} else {
			errs = append(errs, field.Invalid(p.Child("type"), s.Type, "must be array if x-kubernetes-list-type is specified"))
		}
	} else if k.listTypeSet && s.ListType == "set" && s.Items != nil {
		is := s.Items
		ik := c.keys(is)
		switch is.Type {
		case "array":
			if ik.listTypeSet && is.ListType != "atomic" {
				errs = append(errs, field.Invalid(p.Child("items").Child("x-kubernetes-list-type"), is.ListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		case "object":
			if !ik.mapTypeSet || is.MapType != "atomic" {
				var bad any // Kubernetes reports the items' list type here
				if ik.listTypeSet {
					bad = is.ListType
				}
				errs = append(errs, field.Invalid(p.Child("items").Child("x-kubernetes-map-type"), bad, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		}
	}
	if k.listTypeSet && s.ListType != "atomic" && s.ListType != "set" && s.ListType != "map" {
		errs = append(errs, field.NotSupported(p.Child("x-kubernetes-list-type"), s.ListType, []string{"atomic", "set", "map"}))
	}
	if len(s.ListMapKeys) > 0 {
		if !k.listTypeSet {
			errs = append(errs, field.Required(p.Child("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"))
		} else if s.ListType != "map" {
			errs = append(errs, field.Invalid(p.Child("x-kubernetes-list-type"), s.ListType, "must be map if x-kubernetes-list-map-keys is non-empty"))
		}
	}
	if k.listTypeSet && s.ListType == "map" {
		if len(s.ListMapKeys) == 0 {
			errs = append(errs, field.Required(p.Child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
		}
		if s.Items == nil {
			errs = append(errs, field.Required(p.Child("items"), "must have a schema if x-kubernetes-list-type is map"))
		} else if s.Items.Type != "object" {
			errs = append(errs, field.Invalid(p.Child("items").Child("type"), s.Items.Type, "must be object if parent array's x-kubernetes-list-type is map"))
		} else {
			seen := map[string]bool{}
			for _, key := range s.ListMapKeys {
				if ps, ok := s.Items.Properties[key]; ok {
					if ps.Type == "array" || ps.Type == "object" {
						errs = append(errs, field.Invalid(p.Child("items").Child("properties").Key(key).Child("type"), s.Items.Type, "must be a scalar type if parent array's x-kubernetes-list-type is map"))
					}
				} else {
					errs = append(errs, field.Invalid(p.Child("x-kubernetes-list-map-keys"), s.ListMapKeys, "entries must all be names of item properties"))
				}
				if seen[key] {
					errs = append(errs, field.Invalid(p.Child("x-kubernetes-list-map-keys"), s.ListMapKeys, "must not contain duplicate entries"))
				}
				seen[key] = true
			}
		}
	}
	errs = append(errs, mapListKeys(s, k, p)...)
	errs = append(errs, validationRules(s, p)...)
	return errs
}

// mapListKeys checks that the items of set and map lists, and map lists'
// keys, cannot be null, and that keys are required or defaulted.
func mapListKeys(s *Schema, k *setKeys, p *field.Path) field.ErrorList {
	if s.Items == nil || !k.listTypeSet || (s.ListType != "set" && s.ListType != "map") {
		return nil
	}
	var errs field.ErrorList
	if s.Items.Nullable {
		errs = append(errs, field.Forbidden(p.Child("items").Child("nullable"), "cannot be nullable when x-kubernetes-list-type is "+s.ListType))
	}
	if s.ListType == "map" {
		for _, key := range s.ListMapKeys {
			ps, ok := s.Items.Properties[key]
			if !ok {
				continue
			}
			if !contains(s.Items.Required, key) && !ps.HasDefault {
				errs = append(errs, field.Required(p.Child("items").Child("properties").Key(key).Child("default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
			}
			if ps.Nullable {
				errs = append(errs, field.Forbidden(p.Child("items").Child("properties").Key(key).Child("nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
			}
		}
	}
	return errs
}

var supportedRuleReasons = []string{"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"}

// validationRules checks the form of x-kubernetes-validations rules.
func validationRules(s *Schema, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range s.Validations {
		m, _ := r.(map[string]any)
		rp := p.Child("x-kubernetes-validations").Index(i)
		str := func(k string) string { v, _ := m[k].(string); return v }
		rule, msg, msgExpr, fieldPath := str("rule"), str("message"), str("messageExpression"), str("fieldPath")
		trimmedRule, trimmedMsg := strings.TrimSpace(rule), strings.TrimSpace(msg)
		switch {
		case trimmedRule == "":
			errs = append(errs, field.Required(rp.Child("rule"), "rule is not specified"))
		case msg != "" && trimmedMsg == "":
			errs = append(errs, field.Invalid(rp.Child("message"), msg, "message must be non-empty if specified"))
		case strings.ContainsAny(trimmedMsg, "\n\r"):
			errs = append(errs, field.Invalid(rp.Child("message"), msg, "message must not contain line breaks"))
		case strings.ContainsAny(trimmedRule, "\n\r") && trimmedMsg == "":
			errs = append(errs, field.Required(rp.Child("message"), "message must be specified if rule contains line breaks"))
		}
		if msgExpr != "" && strings.TrimSpace(msgExpr) == "" {
			errs = append(errs, field.Required(rp.Child("messageExpression"), "messageExpression must be non-empty if specified"))
		}
		if reason, ok := m["reason"].(string); ok && !contains(supportedRuleReasons, reason) {
			errs = append(errs, field.NotSupported(rp.Child("reason"), reason, supportedRuleReasons))
		}
		if fieldPath != "" && strings.TrimSpace(fieldPath) == "" {
			errs = append(errs, field.Invalid(rp.Child("fieldPath"), fieldPath, "fieldPath must be non-empty if specified"))
		}
		if strings.ContainsAny(fieldPath, "\n\r") {
			errs = append(errs, field.Invalid(rp.Child("fieldPath"), fieldPath, "fieldPath must not contain line breaks"))
		}
	}
	return errs
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}
