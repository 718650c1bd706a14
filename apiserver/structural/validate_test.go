package structural

import (
	"strings"
	"testing"
)

// TestValidate runs custom resources through Validate; the expected
// messages are those of apiextensions-apiserver's TestValidateCustomResource
// (kube-openapi's validator behind kube-apiserver), compared as sets.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		valid  []string
		bad    map[string][]string // object → errors
	}{
		{
			name:   "not nullable",
			schema: `{"type":"object","properties":{"field":{"type":"object"}}}`,
			valid:  []string{`{}`, `{"field":{}}`},
			bad: map[string][]string{
				`{"field":"foo"}`: {`field: Invalid value: "string": field in body must be of type object: "string"`},
				`{"field":42}`:    {`field: Invalid value: "integer": field in body must be of type object: "integer"`},
				`{"field":true}`:  {`field: Invalid value: "boolean": field in body must be of type object: "boolean"`},
				`{"field":1.2}`:   {`field: Invalid value: "number": field in body must be of type object: "number"`},
				`{"field":[]}`:    {`field: Invalid value: "array": field in body must be of type object: "array"`},
				`{"field":null}`:  {`field: Invalid value: "null": field in body must be of type object: "null"`},
			},
		},
		{
			name:   "nullable",
			schema: `{"type":"object","properties":{"field":{"type":"object","nullable":true}}}`,
			valid:  []string{`{}`, `{"field":{}}`, `{"field":null}`},
			bad: map[string][]string{
				`{"field":"foo"}`: {`field: Invalid value: "string": field in body must be of type object: "string"`},
				`{"field":[]}`:    {`field: Invalid value: "array": field in body must be of type object: "array"`},
			},
		},
		{
			name:   "int-or-string",
			schema: `{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}`,
			valid:  []string{`{}`, `{"field":42}`, `{"field":"foo"}`},
			bad: map[string][]string{
				`{"field":null}`: {`field: Invalid value: "null": field in body must be of type integer,string: "null"`},
				`{"field":true}`: {`field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"`},
				`{"field":1.2}`:  {`field: Invalid value: "number": field in body must be of type integer,string: "number"`},
				`{"field":{}}`:   {`field: Invalid value: "object": field in body must be of type integer,string: "object"`},
			},
		},
		{
			name:   "nullable int-or-string with anyOf",
			schema: `{"type":"object","properties":{"field":{"nullable":true,"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}}}`,
			valid:  []string{`{}`, `{"field":null}`, `{"field":42}`, `{"field":"foo"}`},
			bad: map[string][]string{
				`{"field":true}`: {
					`<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)`,
					`field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"`,
					`field: Invalid value: "boolean": field in body must be of type integer: "boolean"`,
				},
				`{"field":1.2}`: {
					`<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)`,
					`field: Invalid value: "number": field in body must be of type integer,string: "number"`,
					`field: Invalid value: "number": field in body must be of type integer: "number"`,
					`<nil>: Invalid value: "": Checked value must be of type integer (default format) in field`,
				},
				`{"field":[]}`: {
					`<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)`,
					`field: Invalid value: "array": field in body must be of type integer,string: "array"`,
					`field: Invalid value: "array": field in body must be of type integer: "array"`,
				},
			},
		},
		{
			name:   "nullable int-or-string with allOf",
			schema: `{"type":"object","properties":{"field":{"nullable":true,"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]}]}}}`,
			valid:  []string{`{"field":null}`, `{"field":42}`, `{"field":"foo"}`},
			bad: map[string][]string{
				`{"field":1.2}`: {
					`<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated`,
					`<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)`,
					`field: Invalid value: "number": field in body must be of type integer,string: "number"`,
					`field: Invalid value: "number": field in body must be of type integer: "number"`,
					`<nil>: Invalid value: "": Checked value must be of type integer (default format) in field`,
				},
			},
		},
		{
			name:   "invalid regex",
			schema: `{"type":"object","properties":{"field":{"type":"string","pattern":"+"}}}`,
			bad: map[string][]string{
				`{"field":"foo"}`: {"field: Invalid value: \"foo\": field in body should match '+, but pattern is invalid: error parsing regexp: missing argument to repetition operator: `+`'"},
			},
		},
		{
			name:   "required",
			schema: `{"type":"object","required":["field"],"properties":{"field":{"type":"object","required":["nested"],"properties":{"nested":{"type":"string"}}}}}`,
			bad: map[string][]string{
				`{"test":"a"}`: {`field: Required value`},
				`{"field":{}}`: {`field.nested: Required value`},
			},
		},
		{
			name: "enum",
			schema: `{"type":"object","properties":{"field":{"type":"object","required":["nestedint","nestedstring"],"properties":{
				"nestedint":{"type":"integer","enum":[1,2]},"nestedstring":{"type":"string","enum":["a","b"]}}}}}`,
			valid: []string{`{"field":{"nestedint":2,"nestedstring":"a"}}`},
			bad: map[string][]string{
				`{"field":{}}`: {`field.nestedint: Required value`, `field.nestedstring: Required value`},
				`{"field":{"nestedint":"x","nestedstring":true}}`: {
					`field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"`,
					`field.nestedint: Unsupported value: "x": supported values: "1", "2"`,
					`field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: "boolean"`,
					`field.nestedstring: Unsupported value: true: supported values: "a", "b"`,
				},
			},
		},
		{
			name:   "maxProperties",
			schema: `{"type":"object","properties":{"fieldX":{"type":"object","maxProperties":2,"x-kubernetes-preserve-unknown-fields":true}}}`,
			bad: map[string][]string{
				`{"fieldX":{"a":true,"b":true,"c":true}}`: {`fieldX: Too many: 3: must have at most 2 items`},
			},
		},
		{
			name:   "maxItems",
			schema: `{"type":"object","properties":{"fieldX":{"type":"array","maxItems":2,"items":{"type":"string"}}}}`,
			bad: map[string][]string{
				`{"fieldX":["a","b","c"]}`: {`fieldX: Too many: 3: must have at most 2 items`},
			},
		},
		{
			name:   "maxLength",
			schema: `{"type":"object","properties":{"fieldX":{"type":"string","maxLength":2}}}`,
			bad: map[string][]string{
				`{"fieldX":"abc"}`: {`fieldX: Too long: may not be more than 2 bytes`},
			},
		},
		{
			name:   "k8s-long-name",
			schema: `{"type":"object","properties":{"fieldX":{"type":"string","format":"k8s-long-name"}}}`,
			valid:  []string{`{"fieldX":"a.b-c"}`},
			bad: map[string][]string{
				`{"fieldX":"a.-"}`: {`fieldX: Invalid value: "a.-": fieldX in body must be of type k8s-long-name: "a.-"`},
			},
		},
		{
			name:   "k8s-short-name",
			schema: `{"type":"object","properties":{"fieldX":{"type":"string","format":"k8s-short-name"}}}`,
			bad: map[string][]string{
				`{"fieldX":"a-"}`: {`fieldX: Invalid value: "a-": fieldX in body must be of type k8s-short-name: "a-"`},
			},
		},
		{
			name: "numeric formats",
			schema: `{"type":"object","properties":{"intThirtyTwo":{"type":"integer","format":"int32"},"intSixtyFour":{"type":"integer","format":"int64"},
				"floatThreeTwo":{"type":"number","format":"float"},"floatSixFour":{"type":"number","format":"double"}}}`,
			valid: []string{
				`{"intThirtyTwo":-2147483648,"intSixtyFour":-9223372036854775808,"floatThreeTwo":-3.4028234663852886e+38,"floatSixFour":-1.7976931348623157e+308}`,
				`{"intThirtyTwo":0,"intSixtyFour":0,"floatThreeTwo":0,"floatSixFour":0}`,
				`{"intThirtyTwo":2147483647,"intSixtyFour":9223372036854775807,"floatThreeTwo":3.4028234663852886e+38,"floatSixFour":1.7976931348623157e+308}`,
			},
			bad: map[string][]string{
				`{"intThirtyTwo":2147483648}`:  {`<nil>: Invalid value: "": Checked value must be of type integer with format int32 in intThirtyTwo`},
				`{"intThirtyTwo":-2147483649}`: {`<nil>: Invalid value: "": Checked value must be of type integer with format int32 in intThirtyTwo`},
				`{"intSixtyFour":1.0145709240540253e+19}`: {
					`intSixtyFour: Invalid value: "float64": intSixtyFour in body must be of type int64: "float64"`,
					`<nil>: Invalid value: "": Checked value must be of type integer with format int64 in intSixtyFour`,
				},
				`{"floatThreeTwo":3.743106036130323e+38}`: {`<nil>: Invalid value: "": Checked value must be of type number with format float in floatThreeTwo`},
			},
		},
		{
			name: "bounds, lengths, patterns",
			schema: `{"type":"object","properties":{"spec":{"type":"object","properties":{
				"replicas":{"type":"integer","minimum":1,"maximum":10},
				"ratio":{"type":"number","exclusiveMinimum":true,"minimum":0,"exclusiveMaximum":true,"maximum":1,"multipleOf":0.25},
				"even":{"type":"integer","multipleOf":2},
				"name":{"type":"string","minLength":3,"pattern":"^[a-z]+$"},
				"tags":{"type":"array","minItems":1,"items":{"type":"string"}},
				"labels":{"type":"object","minProperties":1,"additionalProperties":{"type":"string"}}}}}}`,
			valid: []string{`{"spec":{"replicas":1,"ratio":0.5,"even":4,"name":"abc","tags":["a"],"labels":{"a":"b"}}}`, `{"spec":{"replicas":10.0}}`},
			bad: map[string][]string{
				`{"spec":{"replicas":0}}`:  {`spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1`},
				`{"spec":{"replicas":11}}`: {`spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`},
				// An integer value meets a fractional multipleOf as an
				// integer one (0): kube-openapi's message, quirk included.
				`{"spec":{"ratio":1}}`: {`spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1`,
					`spec.ratio: Invalid value: 0: factor MultipleOf declared for spec.ratio must be positive: 0`},
				`{"spec":{"ratio":0.0}}`:  {`spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0`},
				`{"spec":{"ratio":0.3}}`:  {`spec.ratio: Invalid value: 0.3: spec.ratio in body should be a multiple of 0.25`},
				`{"spec":{"even":3}}`:     {`spec.even: Invalid value: 3: spec.even in body should be a multiple of 2`},
				`{"spec":{"name":"ab"}}`:  {`spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long`},
				`{"spec":{"name":"ABC"}}`: {`spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$'`},
				`{"spec":{"tags":[]}}`:    {`spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items`},
				`{"spec":{"tags":[1]}}`:   {`spec.tags[0]: Invalid value: "integer": spec.tags[0] in body must be of type string: "integer"`},
				`{"spec":{"labels":{}}}`:  {`spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties`},
				`{"spec":{"labels":{"a":1}}}`: {
					`spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"`,
				},
				`{"spec":{"replicas":"string"}}`: {`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`},
			},
		},
		{
			name: "string formats",
			schema: `{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},
				"blob":{"type":"string","format":"byte"},"id":{"type":"string","format":"uuid"},"ip":{"type":"string","format":"ipv4"},
				"mail":{"type":"string","format":"email"},"unknown":{"type":"string","format":"no-such-format"}}}`,
			valid: []string{
				`{"when":"2024-01-02T15:04:05Z","day":"2024-01-02","blob":"aGVsbG8=","id":"123e4567-e89b-12d3-a456-426614174000","ip":"10.0.0.1","mail":"a@b.c","unknown":"x"}`,
				`{"when":"2024-01-02T15:04:05.123+01:00"}`,
				// kube-openapi lets a string with a format be an array.
				`{"when":[1,2]}`,
			},
			bad: map[string][]string{
				`{"when":"soon"}`:      {`when: Invalid value: "soon": when in body must be of type date-time: "soon"`},
				`{"day":"2024-13-01"}`: {`day: Invalid value: "2024-13-01": day in body must be of type date: "2024-13-01"`},
				`{"blob":"!!"}`:        {`blob: Invalid value: "!!": blob in body must be of type byte: "!!"`},
				`{"ip":"10.0.0"}`:      {`ip: Invalid value: "10.0.0": ip in body must be of type ipv4: "10.0.0"`},
				`{"when":true}`:        {`when: Invalid value: "": when in body must be of type date-time: ""`},
			},
		},
		{
			name:   "oneOf and not",
			schema: `{"type":"object","properties":{"v":{"type":"integer","oneOf":[{"minimum":0},{"maximum":10}],"not":{"enum":[5]}}}}`,
			valid:  []string{`{"v":-1}`, `{"v":11}`},
			bad: map[string][]string{
				`{"v":3}`: {`<nil>: Invalid value: "": "v" must validate one and only one schema (oneOf). Found 2 valid alternatives`},
				`{"v":5}`: {
					`<nil>: Invalid value: "": "v" must validate one and only one schema (oneOf). Found 2 valid alternatives`,
					`<nil>: Invalid value: "": "v" must not validate the schema (not)`,
				},
			},
		},
		{
			name: "list types",
			schema: `{"type":"object","properties":{
				"set":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
				"map":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"v":{"type":"integer"}}}},
				"map2":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["a","b"],"items":{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":"integer"}}}}}}`,
			valid: []string{`{"set":["a","b"],"map":[{"name":"a"},{"name":"b","v":1}],"map2":[{"a":"x","b":1},{"a":"x","b":2}]}`},
			bad: map[string][]string{
				`{"set":["a","b","a","a"]}`:                  {`set[2]: Duplicate value: "a"`},
				`{"map":[{"name":"a"},{"name":"a","v":1}]}`:  {`map[1]: Duplicate value: {"name":"a"}`},
				`{"map2":[{"a":"x","b":1},{"a":"x","b":1}]}`: {`map2[1]: Duplicate value: {"a":"x","b":1}`},
			},
		},
		{
			name: "embedded resource",
			schema: `{"type":"object","properties":{"template":{"type":"object","x-kubernetes-embedded-resource":true,
				"x-kubernetes-preserve-unknown-fields":true}}}`,
			valid: []string{`{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}}}}`},
			bad: map[string][]string{
				`{"template":{}}`: {`template.apiVersion: Required value`, `template.kind: Required value`},
				`{"template":{"apiVersion":"a/b/c","kind":"my_kind","metadata":{"name":"a/b","labels":{"-x":"y"}}}}`: {
					`template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c`,
					`template.kind: Invalid value: "my_kind": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
					`template.metadata.labels: Invalid value: "-x": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
					`template.metadata.name: Invalid value: "a/b": may not contain '/'`,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseOnly(t, tt.schema) // Kubernetes' test, too, skips CRD checks
			for _, o := range tt.valid {
				if errs := s.Validate(decodeMap(t, o)); len(errs) > 0 {
					t.Errorf("%s: unexpected errors:\n%s", o, strings.Join(messages(errs), "\n"))
				}
			}
			for o, want := range tt.bad {
				got := messages(s.Validate(decodeMap(t, o)))
				if !equalStrings(got, sorted(want)) {
					t.Errorf("%s:\n got: %s\nwant: %s", o, strings.Join(got, "\n      "), strings.Join(sorted(want), "\n      "))
				}
			}
		})
	}
}

// TestValidateStatus validates only the status, at path status.
func TestValidateStatus(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"integer"}}},
		"status":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}`)
	got := messages(s.ValidateStatus(decodeMap(t, `{"spec":{"a":"x"},"status":{"replicas":"x"}}`)))
	want := []string{`status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"`}
	if !equalStrings(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestValidateUpdate: ratcheting keeps errors of unchanged parts to
// themselves, as Kubernetes' CRDValidationRatcheting does.
func TestValidateUpdate(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"spec":{"type":"object","properties":{
		"a":{"type":"string","maxLength":2},"b":{"type":"integer","maximum":5},
		"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"},"v":{"type":"integer","minimum":0}}}},
		"free":{"type":"object","minProperties":3,"x-kubernetes-preserve-unknown-fields":true,"properties":{"n":{"type":"integer","minimum":0}}}}}}}`)
	old := decodeMap(t, `{"spec":{"a":"toolong","b":9,"l":[{"k":"x","v":-1},{"k":"y","v":1}],"free":{"n":-1,"other":1}}}`)
	tests := []struct {
		name, obj string
		want      []string
	}{
		{"unchanged", `{"spec":{"a":"toolong","b":9,"l":[{"k":"x","v":-1},{"k":"y","v":1}],"free":{"n":-1,"other":1}}}`,
			// free has a field its schema does not declare: Kubernetes
			// cannot correlate it, so free's own error stays (n's goes).
			[]string{`spec.free: Invalid value: 2: spec.free in body should have at least 3 properties`}},
		{"other field changed", `{"spec":{"a":"toolong","b":10,"l":[{"k":"y","v":2},{"k":"x","v":-1}],"free":{"n":-1,"other":1}}}`,
			[]string{
				`spec.b: Invalid value: 10: spec.b in body should be less than or equal to 5`,
				`spec.free: Invalid value: 2: spec.free in body should have at least 3 properties`,
			}},
		{"changed to another bad value", `{"spec":{"a":"toolon","b":9,"l":[{"k":"x","v":-2}],"free":{"n":-1,"other":1}}}`,
			[]string{
				`spec.a: Too long: may not be more than 2 bytes`,
				`spec.free: Invalid value: 2: spec.free in body should have at least 3 properties`,
				`spec.l[0].v: Invalid value: -2: spec.l[0].v in body should be greater than or equal to 0`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(s.ValidateUpdate(decodeMap(t, tt.obj), old))
			if !equalStrings(got, sorted(tt.want)) {
				t.Errorf("\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(sorted(tt.want), "\n      "))
			}
		})
	}
	// Duplicates in a map list are reported only if the old list had none.
	dup := decodeMap(t, `{"spec":{"l":[{"k":"x"},{"k":"x"}]}}`)
	if got := messages(s.ValidateUpdate(dup, dup)); len(got) != 0 {
		t.Errorf("duplicates kept from the old object: %q", got)
	}
	if got := messages(s.ValidateUpdate(dup, decodeMap(t, `{"spec":{}}`))); !equalStrings(got, []string{`spec.l[1]: Duplicate value: {"k":"x"}`}) {
		t.Errorf("new duplicates: %q", got)
	}
}
