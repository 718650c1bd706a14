package testenv

import (
	"fmt"
	"net"
	"testing"
)

func TestFreePortsAreDistinctFreeAndBelowTheEphemeralRange(t *testing.T) {
	lo, hi := quietPorts()
	ports := FreePorts(t, 50)
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d handed out twice in %v", p, ports)
		}
		seen[p] = true
		if hi > lo && (p < lo || p >= hi) {
			t.Errorf("port %d is outside [%d, %d), below the ephemeral range", p, lo, hi)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		ln.Close()
	}
}
