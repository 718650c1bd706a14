package labels

import (
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and a selector it accepts renders to text
// that parses back to the same selector (label selectors travel as text).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "app=web", "app==web,tier!=db", "env in (prod, staging)", "env notin (dev)",
		"app", "!app", "a.b/c-d=e_f", "x in ()", "=", "a=b=c", "a in (b", "a notin b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sel.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, sel.String(), err)
		}
		if !reflect.DeepEqual(sel.Requirements(), again.Requirements()) {
			t.Fatalf("Parse(%q) = %v; its String %q parses to %v", s, sel.Requirements(), sel.String(), again.Requirements())
		}
	})
}
