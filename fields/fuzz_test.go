package fields

import (
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and a selector it accepts renders to text
// that parses back to the same selector.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "metadata.name=web", "spec.nodeName==n1,status.phase!=Running",
		`metadata.name=a\,b`, `a=\=`, "a", "=b", "a=b=c", `a=\`, "a!=", ",",
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
