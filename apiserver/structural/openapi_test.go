package structural

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOpenAPI(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"spec":{"type":"object","required":["a","n"],"properties":{
		"a":{"type":"string","default":"x"},
		"n":{"type":"string","nullable":true},
		"port":{"x-kubernetes-int-or-string":true},
		"any":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"k":{"type":"string"}}},
		"one":{"type":"integer","oneOf":[{"minimum":0},{"maximum":-10}]},
		"tmpl":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}}}`)
	o := OpenAPIOptions{Group: "stable.example.com", Version: "v1", Kind: "CronTab", ListKind: "CronTabList", Plural: "crontabs", SelectableFields: []string{".spec.a"}}
	v3 := OpenAPIV3Definitions(s, o)
	v2 := OpenAPIV2Definitions(s, o)
	if _, ok := v3["com.example.stable.v1.CronTab"]; !ok {
		t.Fatalf("v3 names: %v", keys(v3))
	}
	if _, ok := v2["com.example.stable.v1.CronTabList"]; !ok {
		t.Fatalf("v2 names: %v", keys(v2))
	}
	get := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	k3, k2 := v3["com.example.stable.v1.CronTab"], v2["com.example.stable.v1.CronTab"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"v3 metadata ref", get(k3, "properties", "metadata", "allOf"), []any{map[string]any{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
		{"v2 metadata ref", get(k2, "properties", "metadata", "$ref"), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{"v3 nullable", get(k3, "properties", "spec", "properties", "n"), map[string]any{"type": "string", "nullable": true}},
		{"v2 nullable loses its type", get(k2, "properties", "spec", "properties", "n"), map[string]any{}},
		{"v2 required without nullable", get(k2, "properties", "spec", "required"), []string{"a"}},
		{"v3 default", get(k3, "properties", "spec", "properties", "a", "default"), "x"},
		{"v2 no default", get(k2, "properties", "spec", "properties", "a").(map[string]any)["default"], nil},
		{"v3 int-or-string unfolded", get(k3, "properties", "spec", "properties", "port", "anyOf"), []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		{"v2 int-or-string", get(k2, "properties", "spec", "properties", "port"), map[string]any{"x-kubernetes-int-or-string": true}},
		{"v2 preserve drops type and properties", get(k2, "properties", "spec", "properties", "any"), map[string]any{"x-kubernetes-preserve-unknown-fields": true}},
		{"v2 oneOf dropped", get(k2, "properties", "spec", "properties", "one"), map[string]any{"type": "integer"}},
		{"v3 embedded resource required", get(k3, "properties", "spec", "properties", "tmpl", "required"), []string{"kind", "apiVersion"}},
		{"gvk", get(k3, "x-kubernetes-group-version-kind"), []any{map[string]any{"group": "stable.example.com", "version": "v1", "kind": "CronTab"}}},
		{"selectable fields", get(k3, "x-kubernetes-selectable-fields"), []any{map[string]any{"fieldPath": "spec.a"}}},
		{"list items", get(v2["com.example.stable.v1.CronTabList"], "properties", "items", "items"), map[string]any{"$ref": "#/definitions/com.example.stable.v1.CronTab"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			g, _ := json.Marshal(c.got)
			w, _ := json.Marshal(c.want)
			t.Errorf("%s: got %s, want %s", c.name, g, w)
		}
	}
	// A root that preserves unknown fields is any object in v2, so that
	// kubectl's validation does not refuse fields.
	p := mustSchema(t, `{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"spec":{"type":"object"}}}`)
	if got := OpenAPIV2Definitions(p, o)["com.example.stable.v1.CronTab"]; got["properties"] != nil || got["type"] != "object" {
		t.Errorf("v2 of a preserving root: %v", got)
	}
	// No schema at all.
	if got := OpenAPIV3Definitions(nil, o)["com.example.stable.v1.CronTab"]; got["type"] != "object" {
		t.Errorf("v3 without schema: %v", got)
	}
	for _, defs := range []map[string]map[string]any{v2, v3} {
		if _, err := json.Marshal(defs); err != nil {
			t.Fatal(err)
		}
	}
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }
