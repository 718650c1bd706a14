package replica

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// net/http's own messages (here a failed TLS handshake) go to the
// server's zerolog logger, not to the standard logger's stderr.
func TestServerLogsThroughZerolog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acc, _, _ := testAccess(t)
	var buf syncbuf.Buffer
	srv, err := NewServer(ln, nil, prometheus.NewRegistry(), acc, zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatalf("no TLS handshake error in the zerolog log: %q", buf.String())
		}
		// A client that connects and hangs up without a handshake.
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
}
