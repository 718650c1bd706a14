package httpserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
)

// serve starts a server for cfg on a free port and returns its address.
func serve(t *testing.T, cfg Config, log zerolog.Logger) (string, *Server) {
	t.Helper()
	s := New(cfg, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().String(), s
}

// keepAlive opens a connection, makes one request on it and leaves it idle.
func keepAlive(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// closedByServer reports whether the server closes c before the deadline.
func closedByServer(c net.Conn, within time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	addr, _ := serve(t, Config{IdleTimeout: 100 * time.Millisecond}, zerolog.Nop())
	c := keepAlive(t, addr)
	if !closedByServer(c, 10*time.Second) {
		t.Fatal("an idle keep-alive connection stayed open")
	}
}

func TestConnectionCapEvictsIdle(t *testing.T) {
	const limit = 4
	addr, s := serve(t, Config{MaxConnections: limit}, zerolog.Nop())
	var idle []net.Conn
	for i := range limit {
		idle = append(idle, keepAlive(t, addr))
		// The client has its response before the server marks the
		// connection idle: wait for that, so that idle[0] is the oldest.
		controllertest.Eventually(t, 10*time.Second, "the connection is idle", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			n := 0
			for _, st := range s.conns {
				if st.state == http.StateIdle {
					n++
				}
			}
			return n == i+1
		})
	}
	// A new client is served although every slot was taken by idle ones…
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("a new client was locked out by idle connections: %v", err)
	}
	resp.Body.Close()
	// …because the oldest idle one made room.
	if !closedByServer(idle[0], 10*time.Second) {
		t.Fatal("the longest-idle connection was not closed at the cap")
	}
	if n := s.Conns(); n > limit {
		t.Fatalf("%d connections open, cap %d", n, limit)
	}
}
