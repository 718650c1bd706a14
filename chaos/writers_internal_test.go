package chaos

import (
	"testing"
	"time"
)

// The check that judges the SIGKILL cases must itself catch what it is
// for: a revision reused, or lower than one acknowledged before the send.
func TestRevisionViolations(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	a := func(name string, rv int64, sent, acked int) ack {
		return ack{name: name, rv: rv, sent: at(sent), acked: at(acked)}
	}
	tests := []struct {
		name string
		acks []ack // in sending order
		want int
	}{
		{"none", nil, 0},
		{"in order", []ack{a("a", 1, 0, 1), a("b", 2, 2, 3), a("c", 3, 4, 5)}, 0},
		{"concurrent creates may commit in any order", []ack{a("a", 5, 0, 10), a("b", 4, 1, 9)}, 0},
		{"a revision reused", []ack{a("a", 7, 0, 1), a("b", 7, 0, 2)}, 1},
		{"lower than one acknowledged before the send", []ack{a("a", 9, 0, 1), a("b", 3, 2, 3)}, 1},
		{"after a restart the counter went back", []ack{a("a", 10, 0, 1), a("b", 11, 2, 3), a("c", 4, 10, 11), a("d", 5, 12, 13)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := revisionViolations(tt.acks); len(got) != tt.want {
				t.Errorf("revisionViolations = %q, want %d violations", got, tt.want)
			}
		})
	}
}
