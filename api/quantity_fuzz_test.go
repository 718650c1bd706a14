package api

import "testing"

// FuzzParseQuantity: ParseQuantity never panics, and an accepted quantity's
// canonical form parses back to the same amount.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{
		"0", "100m", "1.5", "64Mi", "2Gi", "1e3", "1E-3", "-1k", "+5", ".5", "5.", "1Ei",
		"9223372036854775807", "1e18", "0.0001", "1Ki2", "m", "", "1 Gi",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		c := q.canonical()
		again, err := ParseQuantity(c)
		if err != nil {
			t.Fatalf("ParseQuantity(%q): canonical %q does not parse: %v", s, c, err)
		}
		if !again.Equal(q) {
			t.Fatalf("ParseQuantity(%q) = %dm; canonical %q parses to %dm", s, q.MilliValue(), c, again.MilliValue())
		}
	})
}
