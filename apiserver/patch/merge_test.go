package patch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestMergeIntoMatchesApply checks MergeInto against Apply's merge patch
// (the reference implementation) on the same documents.
func TestMergeIntoMatchesApply(t *testing.T) {
	const doc = `{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web","tier":"db"},"annotations":null},` +
		`"spec":{"containers":[{"name":"a","image":"a:1"}],"nodeName":"n1","priority":1.50},` +
		`"status":{"phase":"Pending","conditions":[{"type":"Ready","status":"False"}],"podIP":"10.0.0.1"}}`
	tests := []struct{ name, patch string }{
		{"empty", `{}`},
		{"set and delete labels", `{"metadata":{"labels":{"app":null,"v":"2"}}}`},
		{"delete a missing key", `{"metadata":{"nope":null}}`},
		{"replace a list whole", `{"spec":{"containers":[{"name":"c","image":null}]}}`},
		{"status patch", `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null}],"podIP":"10.0.0.2","startTime":"2026-01-01T00:00:00Z"}}`},
		{"new object drops its nulls", `{"status":{"hostIP":"1.2.3.4"},"extra":{"a":null,"b":{"c":null,"d":[null,{"e":null}]}}}`},
		{"object over a scalar drops its nulls", `{"spec":{"nodeName":{"x":null,"y":1}}}`},
		{"object over a null drops its nulls", `{"metadata":{"annotations":{"a":"1","b":null}}}`},
		{"scalar over an object", `{"metadata":{"labels":"x"}}`},
		{"list over an object keeps nulls inside", `{"metadata":{"labels":[{"a":null},null]}}`},
		{"numbers keep their text", `{"spec":{"priority":2.50,"n":1e3}}`},
		{"delete a whole section", `{"status":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON, err := Apply(MergePatchType, []byte(doc), []byte(tt.patch), nil)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			d, p := decode(t, doc), decode(t, tt.patch)
			MergeInto(d, p)
			if want := decode(t, string(wantJSON)); !reflect.DeepEqual(d, want) {
				got, _ := json.Marshal(d)
				t.Errorf("MergeInto gave\n%s\nApply gives\n%s", got, wantJSON)
			}
		})
	}
}

// decode reads a JSON object as the API server does (numbers kept as text).
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}
