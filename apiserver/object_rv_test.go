package apiserver

import (
	"testing"

	"github.com/minik8s/minik8s/apiserver/registry"
)

// A field sorting before metadata may hold objects with a metadata of
// their own (a ControllerRevision's data): the resourceVersion goes into
// the top-level metadata only.
func TestWithRVTopLevelMetadata(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}`, `{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"7","name":"a"}}`},
		{`{"apiVersion":"apps/v1","data":{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}},"kind":"ControllerRevision","metadata":{}}`,
			`{"apiVersion":"apps/v1","data":{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}},"kind":"ControllerRevision","metadata":{"resourceVersion":"7"}}`},
		{`{"a":"\"metadata\":{","b":["x\\"],"metadata":{"name":"n"}}`, `{"a":"\"metadata\":{","b":["x\\"],"metadata":{"resourceVersion":"7","name":"n"}}`},
		{`{"data":{"metadata":{}}}`, `{"data":{"metadata":{}}}`},
	} {
		head, field, tail := rvParts([]byte(tc.in), 7)
		if got := string(head) + string(field) + string(tail); got != tc.want {
			t.Errorf("rvParts(%s) joined = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// managedFieldsSpan cuts the top-level metadata.managedFields with one
// comma, wherever they are among metadata's fields, and nothing else.
func TestManagedFieldsSpan(t *testing.T) {
	t.Parallel()
	const mf = `"managedFields":[{"manager":"m","fieldsV1":{"f:metadata":{"f:managedFields":{}}}}]`
	for _, tc := range []struct{ in, want string }{
		{`{"kind":"Pod","metadata":{"labels":{"a":"b"},` + mf + `,"name":"a"},"spec":{}}`, `{"kind":"Pod","metadata":{"labels":{"a":"b"},"name":"a"},"spec":{}}`},
		{`{"kind":"Pod","metadata":{` + mf + `,"name":"a"}}`, `{"kind":"Pod","metadata":{"name":"a"}}`},
		{`{"kind":"Pod","metadata":{"name":"a",` + mf + `}}`, `{"kind":"Pod","metadata":{"name":"a"}}`},
		{`{"data":{"metadata":{` + mf + `,"name":"x"}},"metadata":{"name":"a"}}`, ""},
		{`{"metadata":{` + mf + `}}`, ""},
		{`{"metadata":{"name":"a"}}`, ""},
		{`{"metadata":{"name":"a","x":"\"managedFields\":[]"}}`, ""},
	} {
		from, to, ok := managedFieldsSpan([]byte(tc.in))
		got := ""
		if ok {
			got = tc.in[:from] + tc.in[to:]
		}
		if got != tc.want {
			t.Errorf("cut of %s = %q, want %q", tc.in, got, tc.want)
		}
		// Watchers take the span from a change's selector attributes.
		pods, _ := registry.Lookup("", "v1", "pods")
		a, err := readSelectAttrs(pods, []byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if a.managedFrom != from || a.managedTo != to || a.managed != ok {
			t.Errorf("attributes of %s: span %d-%d %v, want %d-%d %v", tc.in, a.managedFrom, a.managedTo, a.managed, from, to, ok)
		}
	}
}
