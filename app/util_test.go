package app

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

func TestFlatError(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: syscall.ECONNREFUSED}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"network error at the root", fmt.Errorf("failed to connect:\n\t127.0.0.1:1: %w\n\t127.0.0.1:1: %w", dial, dial),
			"dial tcp 127.0.0.1:1: connection refused"},
		{"joined errors", errors.Join(errors.New("first try"), fmt.Errorf("second: %w", dial)),
			"dial tcp 127.0.0.1:1: connection refused"},
		{"lines collapsed", errors.New("failed SASL auth:\n\tFATAL:  password authentication failed"),
			"failed SASL auth: FATAL: password authentication failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := flatError{tt.err}
			if got := f.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(f, tt.err) {
				t.Error("flatError does not unwrap to the error it shows")
			}
		})
	}
}
