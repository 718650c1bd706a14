package structural

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestPrune ports cases of apiextensions-apiserver's pruning tests (the
// pruned object and the reported paths).
func TestPrune(t *testing.T) {
	tests := []struct {
		name, schema, obj, want string
		root                    bool
		pruned                  []string
	}{
		{name: "object array object",
			schema: `{"properties":{"array":{"items":{"properties":{"a":{},"c":{}}}},"specified":{"properties":{"a":{},"c":{}}}}}`,
			obj:    `{"array":[{"a":1},{"b":1},{"a":1,"b":2,"c":3}],"unspecified":{"a":1},"specified":{"a":1,"b":2,"c":3}}`,
			want:   `{"array":[{"a":1},{},{"a":1,"c":3}],"specified":{"a":1,"c":3}}`,
			pruned: []string{"array[1].b", "array[2].b", "specified.b", "unspecified"}},
		{name: "nested x-kubernetes-preserve-unknown-fields",
			schema: `{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{
				"alpha":{"type":"string"},"beta":{"type":"number"},
				"pruning":{"type":"object","properties":{"preserving":{"type":"object","x-kubernetes-preserve-unknown-fields":true},"pruning":{"type":"object"}}},
				"preserving":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{
					"preserving":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
					"preservingUnknownType":{"x-kubernetes-preserve-unknown-fields":true},"pruning":{"type":"object"}}},
				"preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields":{"type":"object","x-kubernetes-preserve-unknown-fields":true,
					"additionalProperties":{"type":"object","properties":{"specified":{"type":"object"}}}},
				"preservingAdditionalPropertiesKeyPruneValues":{"type":"object","additionalProperties":{"type":"object","properties":{"specified":{"type":"object"}}}}}}`,
			obj: `{"unspecified":"bar","alpha":"abc","beta":42.0,"unspecifiedObject":{"unspecified":"bar"},
				"pruning":{"unspecified":"bar","unspecifiedObject":{"unspecified":"bar"},"pruning":{"unspecified":"bar"},"apiVersion":"unknown","preserving":{"unspecified":"bar"}},
				"preserving":{"unspecified":"bar","unspecifiedObject":{"unspecified":"bar"},"pruning":{"unspecified":"bar"},"preserving":{"unspecified":"bar"},"preservingUnknownType":[{"foo":true},{"bar":true}]},
				"preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields":{"foo":{"specified":{"unspecified":"bar"},"unspecified":"bar"}},
				"preservingAdditionalPropertiesKeyPruneValues":{"foo":{"specified":{"unspecified":"bar"},"unspecified":"bar"}}}`,
			want: `{"unspecified":"bar","alpha":"abc","beta":42.0,"unspecifiedObject":{"unspecified":"bar"},
				"pruning":{"pruning":{},"preserving":{"unspecified":"bar"}},
				"preserving":{"unspecified":"bar","unspecifiedObject":{"unspecified":"bar"},"pruning":{},"preserving":{"unspecified":"bar"},"preservingUnknownType":[{"foo":true},{"bar":true}]},
				"preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields":{"foo":{"specified":{}}},
				"preservingAdditionalPropertiesKeyPruneValues":{"foo":{"specified":{}}}}`,
			pruned: []string{"preserving.pruning.unspecified", "preservingAdditionalPropertiesKeyPruneValues.foo.specified.unspecified",
				"preservingAdditionalPropertiesKeyPruneValues.foo.unspecified", "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.specified.unspecified",
				"preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.unspecified", "pruning.apiVersion", "pruning.pruning.unspecified",
				"pruning.unspecified", "pruning.unspecifiedObject"}},
		{name: "additionalProperties with schema",
			schema: `{"properties":{"a":{},"c":{"additionalProperties":{"type":"integer"}}}}`,
			obj:    `{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1}}}`,
			want:   `{"a":1,"c":{"a":1,"b":2,"c":{}}}`,
			pruned: []string{"b", "c.c.a"}},
		{name: "additionalProperties with bool",
			schema: `{"properties":{"a":{},"c":{"additionalProperties":false}}}`,
			obj:    `{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1,"apiVersion":"unknown"}}}`,
			want:   `{"a":1,"c":{"a":1,"b":2,"c":{}}}`,
			pruned: []string{"b", "c.c.a", "c.c.apiVersion"}},
		{name: "resource root and embedded resources", root: true,
			schema: `{"type":"object","properties":{"spec":{"type":"object","properties":{
				"embedded":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}}}}`,
			obj:    `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},"unspecified":1,"spec":{"unspecified":1,"embedded":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{"a":1},"b":2}}}`,
			want:   `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},"spec":{"embedded":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{}}}}`,
			pruned: []string{"spec.embedded.b", "spec.embedded.spec.a", "spec.unspecified", "unspecified"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseOnly(t, tt.schema)
			obj := decode(t, tt.obj)
			got := pruneValue(obj, s, tt.root)
			if !reflect.DeepEqual(canonical(obj), canonical(decode(t, tt.want))) {
				b, _ := json.Marshal(obj)
				t.Errorf("object:\n got %s\nwant %s", b, tt.want)
			}
			if !reflect.DeepEqual(got, tt.pruned) {
				t.Errorf("pruned:\n got %q\nwant %q", got, tt.pruned)
			}
			// The field view agrees with pruning on what is unknown.
			if tt.root {
				var walked []string
				walkUnknown(decode(t, tt.obj), s.FieldView(), "", &walked)
				if !reflect.DeepEqual(sorted(walked), tt.pruned) {
					t.Errorf("field view finds %q, pruning %q", sorted(walked), tt.pruned)
				}
			}
		})
	}
}

// walkUnknown is apiserver's unknown-field walk over a FieldView.
func walkUnknown(v any, fv FieldView, path string, out *[]string) {
	if fv.ObjectMeta() {
		return
	}
	switch fv.Shape() {
	case ShapeObject:
		m, _ := v.(map[string]any)
		for k, e := range m {
			f, ok := fv.Field(k)
			if !ok {
				*out = append(*out, joinKey(path, k))
				continue
			}
			walkUnknown(e, f, joinKey(path, k), out)
		}
	case ShapeMap:
		m, _ := v.(map[string]any)
		for k, e := range m {
			walkUnknown(e, fv.Elem(), joinKey(path, k), out)
		}
	case ShapeList:
		l, _ := v.([]any)
		for i, e := range l {
			walkUnknown(e, fv.Elem(), path+"["+itoa(i)+"]", out)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestDefault ports apiextensions-apiserver's defaulting cases: missing
// fields and non-nullable nulls get defaults, list items and map values
// too, deep copies each time.
func TestDefault(t *testing.T) {
	s := parseOnly(t, `{"type":"object","properties":{
		"a":{"type":"string","default":"A"},
		"b":{"type":"string","nullable":true,"default":"B"},
		"c":{"type":"object","default":{"x":1},"properties":{"x":{"type":"integer"},"y":{"type":"integer","default":2}}},
		"list":{"type":"array","items":{"type":"object","default":{"z":0},"properties":{"z":{"type":"integer"},"w":{"type":"string","default":"W"}}}},
		"map":{"type":"object","additionalProperties":{"type":"string","default":"M"}}}}`)
	obj := decodeMap(t, `{"b":null,"list":[null,{"z":1}],"map":{"k":null,"l":"v"}}`)
	s.ApplyDefaults(obj)
	want := decode(t, `{"a":"A","b":null,"c":{"x":1,"y":2},"list":[{"z":0,"w":"W"},{"z":1,"w":"W"}],"map":{"k":"M","l":"v"}}`)
	if !reflect.DeepEqual(canonical(obj), canonical(want)) {
		b, _ := json.Marshal(obj)
		t.Errorf("got %s", b)
	}
	// Defaults are copies: changing one object's default leaves the schema's.
	obj["c"].(map[string]any)["x"] = 5
	if s.Properties["c"].Default.(map[string]any)["x"] != json.Number("1") {
		t.Errorf("the schema's default was changed: %v", s.Properties["c"].Default)
	}
}

// TestDecode runs the whole decode step in Kubernetes' order: pruning
// (with root and embedded metadata as ObjectMeta), nulls, defaults.
func TestDecode(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"spec":{"type":"object","properties":{
		"replicas":{"type":"integer","default":1},
		"name":{"type":"string"},
		"template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}}}`)
	obj := decodeMap(t, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x","bogus":1,"creationTimestamp":null},
		"spec":{"name":null,"extra":true,"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","what":2},"spec":{"kept":1}}}}`)
	unknown, err := s.Decode(obj, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},
		"spec":{"replicas":1,"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"kept":1}}}}`)
	if !reflect.DeepEqual(canonical(obj), canonical(want)) {
		b, _ := json.Marshal(obj)
		t.Errorf("got %s", b)
	}
	wantUnknown := []string{"metadata.bogus", "spec.extra", "spec.template.metadata.what"}
	if !reflect.DeepEqual(unknown, wantUnknown) {
		t.Errorf("unknown %q, want %q", unknown, wantUnknown)
	}

	// Metadata that does not decode fails a request, and is dropped on a
	// read from storage.
	bad := decodeMap(t, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x","labels":"nope"}}`)
	if _, err := s.Decode(bad, DecodeOptions{}); err == nil || err.Field != "metadata" {
		t.Errorf("bad metadata: got %v", err)
	}
	if _, err := s.Decode(bad, DecodeOptions{DropInvalidMetadata: true}); err != nil {
		t.Fatal(err)
	}
	if m := bad["metadata"].(map[string]any); m["name"] != "x" || m["labels"] != nil {
		t.Errorf("metadata after dropping: %v", m)
	}

	// Without pruning (spec.preserveUnknownFields), unknown fields stay.
	kept := decodeMap(t, `{"apiVersion":"a/v1","kind":"K","spec":{"extra":true}}`)
	if unknown, _ := s.Decode(kept, DecodeOptions{PreserveUnknownFields: true}); unknown != nil || kept["spec"].(map[string]any)["extra"] != true {
		t.Errorf("preserved: %v %v", unknown, kept)
	}
}
