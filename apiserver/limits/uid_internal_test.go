package limits

import (
	"fmt"
	"regexp"
	"testing"
)

// uid is the same for a name however often it is asked, remembered or
// not, and UID-shaped.
func TestUID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	first := map[string]string{}
	for round := range 2 {
		for i := range 2 * maxUIDs {
			name := fmt.Sprintf("kube-user-%d", i)
			u := uid(name)
			if !shape.MatchString(u) {
				t.Fatalf("uid(%q) = %q, not UID-shaped", name, u)
			}
			if round == 0 {
				first[name] = u
			} else if u != first[name] {
				t.Fatalf("uid(%q) = %q, then %q", name, first[name], u)
			}
		}
	}
	if uid("exempt") == uid("global-default") {
		t.Fatal("two names, one uid")
	}
}
