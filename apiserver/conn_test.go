package apiserver_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// dialTLS opens a raw TLS connection to the test server.
func dialTLS(t *testing.T, s *testenv.APIServer) *tls.Conn {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", u.Host, s.HTTP.Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server ends c (after answering, if it
// does) before the deadline.
func closedByServer(c net.Conn, within time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowBodiesHoldNoSlot: clients that announce a body and send it
// slowly neither hold the mutating in-flight slots (a create still
// succeeds) nor stay connected past the body timeout.
func TestSlowBodiesHoldNoSlot(t *testing.T) {
	t.Parallel()
	const slots = 2
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.MaxMutatingInFlight = slots
		c.APIServer.Limits.BodyTimeout = 500 * time.Millisecond
	}})
	var slow []*tls.Conn
	for range slots + 3 {
		c := dialTLS(t, s)
		fmt.Fprintf(c, "POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n", s.Token)
		// 100 Continue: the server has started reading the body (the
		// request got past authentication and into the limits).
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.Contains(line, "100") {
			t.Fatalf("slow client: %q %v", line, err)
		}
		if _, err := io.WriteString(c, `{"metadat`); err != nil {
			t.Fatal(err)
		}
		slow = append(slow, c)
	}
	r := s.Do(t, "POST", "/api/v1/namespaces", `{"metadata":{"name":"fast"}}`)
	expect(t, r, http.StatusCreated)
	for i, c := range slow {
		if !closedByServer(c, 10*time.Second) {
			t.Fatalf("slow client %d still connected after the body timeout", i)
		}
	}
}

// TestIdleConnectionsClosed: a keep-alive connection left idle is closed
// by the server, so idle clients cannot pile up until file descriptors
// run out.
func TestIdleConnectionsClosed(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.HTTP.IdleTimeout = 200 * time.Millisecond
	}})
	c := dialTLS(t, s)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !closedByServer(c, 10*time.Second) {
		t.Fatal("an idle keep-alive connection stayed open")
	}
}

// TestWatchOutlivesTimeouts: the connection timeouts do not cut a watch.
func TestWatchOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.HTTP.IdleTimeout = 100 * time.Millisecond
		c.APIServer.HTTP.ReadHeaderTimeout = 100 * time.Millisecond
		c.APIServer.Limits.BodyTimeout = 100 * time.Millisecond
	}})
	const pods = "/api/v1/namespaces/default/pods"
	ch := watchLines(t, s, pods+"?watch=true")
	// Outlast every timeout: wait until a later connection has been
	// closed as idle, then write and expect the event on the old stream.
	c := dialTLS(t, s)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if !closedByServer(c, 10*time.Second) {
		t.Fatal("idle connection not closed")
	}
	expect(t, s.Do(t, "POST", pods, podJSON), http.StatusCreated)
	if typ, name, _ := nextEvent(t, ch); typ != "ADDED" || name != "web" {
		t.Fatalf("got %s %s", typ, name)
	}
}
