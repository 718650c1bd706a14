package structural

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api/field"
)

// decode decodes JSON as the API server does (numbers as json.Number).
func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func decodeMap(t testing.TB, s string) map[string]any {
	t.Helper()
	m, ok := decode(t, s).(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object", s)
	}
	return m
}

// mustSchema parses a schema that must be accepted.
func mustSchema(t testing.TB, s string) *Schema {
	t.Helper()
	sch, errs, err := New(decodeMap(t, s), field.NewPath("openAPIV3Schema"), Options{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("schema %s: %v %v", s, err, errs)
	}
	return sch
}

// messages renders errors as Kubernetes prints them, sorted.
func messages(l field.ErrorList) []string {
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, e.Error())
	}
	sort.Strings(out)
	return out
}

func sorted(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseOnly parses a schema without checking it.
func parseOnly(t testing.TB, s string) *Schema {
	t.Helper()
	d := &decoder{seen: map[*Schema]*setKeys{}}
	sch := d.schema(decode(t, s), "openAPIV3Schema")
	if d.err != nil {
		t.Fatal(d.err)
	}
	return sch
}
