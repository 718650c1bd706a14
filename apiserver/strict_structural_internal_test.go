package apiserver

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// TestStructuralUnknownFields: the unknown-field walk over a structural
// schema reports what structural pruning drops, and walks metadata (the
// root's and an embedded resource's) as ObjectMeta.
func TestStructuralUnknownFields(t *testing.T) {
	var raw map[string]any
	d := json.NewDecoder(strings.NewReader(`{"type":"object","properties":{"spec":{"type":"object","properties":{
		"replicas":{"type":"integer"},
		"labels":{"type":"object","additionalProperties":{"type":"object","properties":{"v":{"type":"string"}}}},
		"items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}},
		"free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
		"template":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}}}}`))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	s, errs, err := structural.New(raw, field.NewPath("openAPIV3Schema"), structural.Options{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	obj := func() map[string]any {
		var o map[string]any
		json.Unmarshal([]byte(`{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x","bogus":1},"top":1,
			"spec":{"replicas":1,"extra":2,"labels":{"a":{"v":"x","w":"y"}},"items":[{"name":"a","age":3}],"free":{"any":{"thing":1}},
			"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","nope":1},"spec":{"x":1},"status":{}}}}`), &o)
		return o
	}
	walked := unknownFields(obj(), viewSchema{s.FieldView()}, "", true)
	want := []string{"metadata.bogus", "spec.extra", "spec.items[0].age", "spec.labels.a.w", "spec.template.metadata.nope", "spec.template.spec.x", "spec.template.status", "top"}
	if !reflect.DeepEqual(walked, want) {
		t.Errorf("walk: got %q, want %q", walked, want)
	}
	decoded, ferr := s.Decode(obj(), structural.DecodeOptions{})
	if ferr != nil || !reflect.DeepEqual(decoded, want) {
		t.Errorf("decode: got %q (%v), want %q", decoded, ferr, want)
	}
}
