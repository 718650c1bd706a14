package admission

import "testing"

func TestIsTerminating(t *testing.T) {
	for _, tt := range []struct {
		ns   string
		want bool
	}{
		{`{"metadata":{"name":"a"},"status":{"phase":"Active"}}`, false},
		{`{"metadata":{"name":"a","deletionTimestamp":"2026-12-05T08:00:00Z"},"status":{"phase":"Active"}}`, true},
		{`{"metadata":{"name":"a","deletionTimestamp":null}}`, false},
		{`{"metadata":{"name":"a"},"status":{"phase":"Terminating"}}`, true},
		{`{"metadata":{"name":"a","labels":{"status.phase":"Terminating"}},"spec":{"finalizers":["kubernetes"]}}`, false},
		{`{"metadata":{"name":"a"},"status":{"phase":"Terminating"`, false}, // not JSON: not a namespace
		{``, false},
	} {
		if got := isTerminating([]byte(tt.ns)); got != tt.want {
			t.Errorf("isTerminating(%s) = %v, want %v", tt.ns, got, tt.want)
		}
	}
}
