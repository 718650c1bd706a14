package structural

import (
	"errors"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api/field"
)

const schemaPath = "spec.versions[0].schema.openAPIV3Schema"

// TestNew checks schemas as kube-apiserver checks a CRD's schema; the
// messages are apiextensions-apiserver's (ValidateStructural,
// ValidateCustomResourceDefinitionOpenAPISchema, ValidateDefaults), under
// the path of the first version's schema.
func TestNew(t *testing.T) {
	p := "spec.versions[0].schema.openAPIV3Schema"
	tests := []struct {
		name   string
		schema string
		status bool
		want   []string
	}{
		{name: "valid", schema: `{"type":"object","properties":{"spec":{"type":"object","properties":{
			"replicas":{"type":"integer","default":1,"minimum":0},"mode":{"type":"string","enum":["a","b"],"default":"a"},
			"port":{"x-kubernetes-int-or-string":true},"any":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
			"labels":{"type":"object","additionalProperties":{"type":"string"}},
			"list":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
				"items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}},
			"status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}`, status: true},
		{name: "field without type", schema: `{"type":"object","properties":{"spec":{"properties":{"a":{"type":"string"}}}}}`,
			want: []string{p + `.properties[spec].type: Required value: must not be empty for specified object fields`}},
		{name: "items without type", schema: `{"type":"object","properties":{"l":{"type":"array","items":{}}}}`,
			want: []string{p + `.properties[l].items.type: Required value: must not be empty for specified array items`}},
		{name: "array without items", schema: `{"type":"object","properties":{"l":{"type":"array"}}}`,
			want: []string{p + `.properties[l].items: Required value: must be specified`}},
		{name: "root", schema: `{"type":"string"}`,
			want: []string{p + `.type: Invalid value: "string": must be object at the root`}},
		{name: "empty root", schema: `{}`,
			want: []string{p + `.type: Required value: must not be empty at the root`}},
		{name: "unknown type", schema: `{"type":"object","properties":{"a":{"type":"float"}}}`,
			want: []string{p + `.properties[a].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`}},
		{name: "null type", schema: `{"type":"object","properties":{"a":{"type":"null"}}}`,
			want: []string{
				p + `.properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
				p + `.properties[a].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`,
			}},
		{name: "nullable root", schema: `{"type":"object","nullable":true}`,
			want: []string{p + `.nullable: Forbidden: nullable cannot be true at the root`}},
		{name: "additionalProperties and properties", schema: `{"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}}}`,
			want: []string{p + `.properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`}},
		{name: "additionalProperties true beside properties", schema: `{"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true}}}`},
		{name: "additionalProperties at the root", schema: `{"type":"object","additionalProperties":{"type":"string"}}`,
			want: []string{p + `.additionalProperties: Forbidden: must not be used at the root`}},
		{name: "type in anyOf", schema: `{"type":"object","properties":{"a":{"type":"string","anyOf":[{"type":"string"},{"maxLength":3}]}}}`,
			want: []string{p + `.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`}},
		{name: "int-or-string patterns", schema: `{"type":"object","properties":{
			"a":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
			"b":{"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]},{"pattern":"^[0-9]+%?$"}]}}}`},
		{name: "int-or-string preserving", schema: `{"type":"object","properties":{"a":{"x-kubernetes-int-or-string":true,"x-kubernetes-preserve-unknown-fields":true}}}`,
			want: []string{p + `.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`}},
		{name: "nested value validations", schema: `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}},
			"allOf":[{"description":"d","nullable":true,"default":"x","properties":{"c":{"maxLength":1},"metadata":{}}}]}}}`,
			want: []string{
				p + `.properties[a].allOf[0].default: Forbidden: must be undefined to be structural`,
				p + `.properties[a].allOf[0].description: Forbidden: must be empty to be structural`,
				p + `.properties[a].allOf[0].nullable: Forbidden: must be false to be structural`,
				p + `.properties[a].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
			}},
		{name: "root junctors name undeclared fields", schema: `{"type":"object","properties":{"a":{"type":"string"}},"anyOf":[{"required":["a"]},{"properties":{"b":{"minLength":1}}}]}`,
			want: []string{p + `.properties[b]: Required value: because it is defined in ` + p + `.anyOf[1].properties[b]`}},
		{name: "metadata beyond name", schema: `{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10},"labels":{"type":"object"}}}}}`,
			want: []string{p + `.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`}},
		{name: "metadata restricting the name", schema: `{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}}}}`},
		{name: "default in metadata", schema: `{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","default":"x"}}}}}`,
			want: []string{p + `.properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata`}},
		{name: "kind not a string", schema: `{"type":"object","properties":{"kind":{"type":"integer"}}}`,
			want: []string{p + `.properties[kind].type: Invalid value: "integer": must be string`}},
		{name: "default with unknown fields", schema: `{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}},"default":{"a":"x","b":"y"}}}}`,
			want: []string{p + `.properties[spec].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields`}},
		// A default is validated at its own root: the name in kube-openapi's
		// message is empty, hence the double space.
		{name: "invalid default", schema: `{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","minimum":1,"default":0},"name":{"type":"string","default":5}}}}}`,
			want: []string{
				p + `.properties[spec].properties[name].default: Invalid value: "integer":  in body must be of type string: "integer"`,
				p + `.properties[spec].properties[replicas].default: Invalid value: 0:  in body should be greater than or equal to 1`,
			}},
		{name: "uniqueItems", schema: `{"type":"object","properties":{"l":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}`,
			want: []string{p + `.properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`}},
		{name: "invalid pattern", schema: `{"type":"object","properties":{"a":{"type":"string","pattern":"("}}}`,
			want: []string{p + `.properties[a].pattern: Invalid value: "(": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): ` + "`(`"}},
		{name: "unsupported keywords", schema: `{"type":"object","properties":{"a":{"type":"string","$ref":"#/x","id":"i"}}}`,
			want: []string{
				p + `.properties[a].$ref: Forbidden: $ref is not supported`,
				p + `.properties[a].id: Forbidden: id is not supported`,
			}},
		{name: "preserve false", schema: `{"type":"object","properties":{"a":{"type":"object","x-kubernetes-preserve-unknown-fields":false}}}`,
			want: []string{p + `.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`}},
		{name: "list-type map problems", schema: `{"type":"object","properties":{
			"nokeys":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"k":{"type":"string"}}}},
			"badkey":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["x"],"items":{"type":"object","properties":{"k":{"type":"string"}}}},
			"optional":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","properties":{"k":{"type":"string"}}}},
			"keysonly":{"type":"array","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"}}}}}}`,
			want: []string{
				p + `.properties[badkey].x-kubernetes-list-map-keys: Invalid value: ["x"]: entries must all be names of item properties`,
				p + `.properties[keysonly].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`,
				p + `.properties[nokeys].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
				p + `.properties[optional].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
			}},
		{name: "set of granular objects", schema: `{"type":"object","properties":{"s":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"object","properties":{"a":{"type":"string"}}}}}}`,
			want: []string{p + `.properties[s].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set`}},
		{name: "list type on an object", schema: `{"type":"object","properties":{"o":{"type":"object","x-kubernetes-list-type":"set"}}}`,
			want: []string{p + `.properties[o].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`}},
		{name: "embedded resource", schema: `{"type":"object","properties":{"e":{"x-kubernetes-embedded-resource":true},"f":{"type":"object","x-kubernetes-embedded-resource":true}}}`,
			want: []string{
				p + `.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
				p + `.properties[e].type: Required value: must be object if x-kubernetes-embedded-resource is true`,
				p + `.properties[f].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
			}},
		{name: "validation rules' form", schema: `{"type":"object","x-kubernetes-validations":[{"rule":""},{"rule":"self.a\n== 1"},{"rule":"true","reason":"Bad"}],"properties":{"a":{"type":"integer"}}}`,
			want: []string{
				p + `.x-kubernetes-validations[0].rule: Required value: rule is not specified`,
				p + `.x-kubernetes-validations[1].message: Required value: message must be specified if rule contains line breaks`,
				p + `.x-kubernetes-validations[2].reason: Unsupported value: "Bad": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
			}},
		{name: "status root: type", schema: `{"type":"string"}`, status: true,
			want: []string{
				p + `.type: Invalid value: "string": must be object at the root`,
				p + `.type: Invalid value: "string": only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
			}},
		{name: "status root: keywords", schema: `{"type":"object","minProperties":1}`, status: true,
			want: []string{p + `: Invalid value: {"minProperties":1,"type":"object"}: only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled`}},
		{name: "$schema", schema: `{"type":"object","$schema":"http://json-schema.org/draft-04/schema#"}`,
			want: []string{p + `: Invalid value: "": OpenAPIV3Schema 'schema' is not supported`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, err := New(decodeMap(t, tt.schema), field.NewPath("spec", "versions").Index(0).Child("schema", "openAPIV3Schema"), Options{StatusSubresource: tt.status})
			if err != nil {
				t.Fatal(err)
			}
			got := messages(errs)
			if !equalStrings(got, sorted(tt.want)) {
				t.Errorf("\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(sorted(tt.want), "\n      "))
			}
		})
	}
}

// TestNewDecodeError: a keyword of the wrong JSON type is a DecodeError,
// worded as Go's JSON decoding words it in Kubernetes' 400.
func TestNewDecodeError(t *testing.T) {
	for schema, want := range map[string]string{
		`{"type":5}`: "json: cannot unmarshal number into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.type of type string",
		`{"type":"object","properties":{"a":{"maxLength":"x"}}}`: "json: cannot unmarshal string into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.a.maxLength of type int64",
		`{"type":"object","required":"a"}`:                       "json: cannot unmarshal string into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.required of type []string",
		`{"type":"object","properties":[]}`:                      "json: cannot unmarshal array into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties of type map[string]v1.JSONSchemaProps",
	} {
		s, errs, err := New(decodeMap(t, schema), field.NewPath(schemaPath), Options{})
		var de *DecodeError
		if !errors.As(err, &de) || err.Error() != want || s != nil || errs != nil {
			t.Errorf("%s: got %v, %v, %v; want %s", schema, s, errs, err, want)
		}
	}
}
