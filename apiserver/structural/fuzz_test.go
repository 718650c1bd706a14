package structural

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/minik8s/minik8s/api/field"
)

// FuzzSchema parses arbitrary schemas and runs arbitrary objects through
// everything a schema does: whatever the input, nothing panics, Decode
// leaves nothing that the field view calls unknown, and a second Decode
// finds nothing more to prune (pruning and defaulting are idempotent).
func FuzzSchema(f *testing.F) {
	seeds := []struct{ schema, obj string }{
		{`{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1,"minimum":0}}}}}`,
			`{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},"spec":{"replicas":"x","y":1}}`},
		{`{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"}}}}}}`,
			`{"l":[{"k":"a"},{"k":"a"},null,3]}`},
		{`{"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},"o":{"oneOf":[{"required":["a"]}],"type":"object","x-kubernetes-preserve-unknown-fields":true}}}`,
			`{"p":1.5,"o":{"b":[1,{"c":null}]}}`},
		{`{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true,"properties":{"spec":{"type":"object","additionalProperties":{"type":"string","nullable":true,"default":"d"}}}}}}`,
			`{"e":{"apiVersion":5,"metadata":{"labels":"x","ownerReferences":[{"bogus":1}]},"spec":{"a":null}}}`},
		{`{"type":"object","properties":{"s":{"type":"string","format":"date-time","pattern":"^2","maxLength":5,"enum":["a",1]}},"allOf":[{"properties":{"s":{"minLength":1}}}],"not":{"required":["x"]}}`,
			`{"s":"2024-01-01T00:00:00Z","x":[]}`},
		{`{"type":"object","x-kubernetes-validations":[{"rule":"self.a.size() < 3 || oldSelf.a == self.a","messageExpression":"'a: ' + self.a"}],"properties":{"a":{"type":"string"}}}`,
			`{"a":"abcd"}`},
		{`{"type":5}`, `[]`},
		{`{"properties":{"a":{"items":[{}]}},"$ref":"#"}`, `null`},
	}
	for _, s := range seeds {
		f.Add(s.schema, s.obj)
	}
	f.Fuzz(func(t *testing.T, schemaJSON, objJSON string) {
		raw, ok := fuzzDecode(schemaJSON).(map[string]any)
		if !ok {
			return
		}
		s, errs, err := New(raw, field.NewPath("openAPIV3Schema"), Options{StatusSubresource: len(objJSON)%2 == 0})
		if err != nil {
			return
		}
		_ = messages(errs)
		o := OpenAPIOptions{Group: "g.example.com", Version: "v1", Kind: "K", ListKind: "KList", Plural: "ks"}
		for _, defs := range []map[string]map[string]any{OpenAPIV2Definitions(s, o), OpenAPIV3Definitions(s, o)} {
			if _, err := json.Marshal(defs); err != nil {
				t.Fatalf("definitions do not marshal: %v", err)
			}
		}
		obj, ok := fuzzDecode(objJSON).(map[string]any)
		if !ok {
			return
		}
		_ = messages(s.Validate(obj))
		_ = messages(s.ValidateStatus(obj))
		if old, ok := fuzzDecode(schemaJSON).(map[string]any); ok {
			_ = messages(s.ValidateUpdate(obj, old))
			_ = messages(s.ValidateUpdate(obj, obj))
			_ = messages(s.ValidateStatusUpdate(obj, old))
		}
		for _, drop := range []bool{false, true} {
			o := deepCopyJSON(obj).(map[string]any)
			if _, err := s.Decode(o, DecodeOptions{DropInvalidMetadata: drop}); err != nil {
				continue
			}
			if again, err := s.Decode(o, DecodeOptions{DropInvalidMetadata: drop}); err != nil || len(again) > 0 {
				t.Fatalf("second decode pruned %v (err %v); schema %s obj %s", again, err, schemaJSON, objJSON)
			}
			_ = messages(s.Validate(o))
		}
	})
}

func fuzzDecode(s string) any {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}
