package streaming

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/moby/spdystream"
)

// dialSPDY upgrades a connection to srv for port-forwarding, as client-go
// does, and returns the client side of the SPDY connection.
func dialSPDY(t *testing.T, srv *httptest.Server) *spdystream.Connection {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/portForward/ns/p", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", PortForwardV1)
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	conn, err := spdystream.NewConnection(&bufConn{Conn: c, r: br}, false)
	if err != nil {
		t.Fatal(err)
	}
	go conn.Serve(spdystream.NoOpStreamHandler)
	return conn
}

// forwardPair opens a request's error and data streams for port.
func forwardPair(t *testing.T, conn *spdystream.Connection, id, port string) (errS, data *spdystream.Stream) {
	t.Helper()
	h := http.Header{}
	h.Set("streamType", "error")
	h.Set("port", port)
	h.Set("requestID", id)
	errS, err := conn.CreateStream(h, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	h = h.Clone()
	h.Set("streamType", "data")
	data, err = conn.CreateStream(h, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errS.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := data.Wait(); err != nil {
		t.Fatal(err)
	}
	return errS, data
}

// TestPortForwardClosedPort: a port nobody listens on gets its error on
// its own error stream, and a forward on the same connection to an open
// port still works; when the client hangs up, the server's goroutines end.
func TestPortForwardClosedPort(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	_, echoPort, _ := net.SplitHostPort(echo.Addr().String())

	before := goruntime.NumGoroutine()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		_ = PortForward(w, r, func(ctx context.Context, port uint16) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
		})
	}))
	defer srv.Close()
	conn := dialSPDY(t, srv)

	errS, _ := forwardPair(t, conn, "0", strconv.Itoa(closedPort))
	msg, _ := io.ReadAll(errS)
	if !strings.Contains(string(msg), "error forwarding port") || !strings.Contains(string(msg), "refused") {
		t.Errorf("error stream of the closed port: %q", msg)
	}

	errS2, data := forwardPair(t, conn, "1", echoPort)
	if _, err := data.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(data, buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo through the forward after a failed one: %q, %v", buf, err)
	}
	_ = errS2

	conn.Close() // the client hangs up mid-stream
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("PortForward did not return after the client hung up")
	}
	deadline := time.Now().Add(10 * time.Second)
	for goruntime.NumGoroutine() > before+2 { // the echo listener's own
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the hang-up, %d before", goruntime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExecHangUp: a WebSocket exec client that disconnects ends the
// connection's Context, which stops the command.
func TestExecHangUp(t *testing.T) {
	ended := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := Accept(w, r, Options{Stdin: true, Stdout: true})
		if err != nil {
			return
		}
		<-conn.Context.Done()
		close(ended)
		conn.Finish(Success())
	}))
	defer srv.Close()
	d := websocket.Dialer{Subprotocols: []string{ChannelV5}}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/exec/ns/p/c?command=sh", nil)
	if err != nil {
		t.Fatalf("dial: %v %v", resp, err)
	}
	if ws.Subprotocol() != ChannelV5 {
		t.Errorf("subprotocol %q, want %q", ws.Subprotocol(), ChannelV5)
	}
	ws.NetConn().Close()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection's Context did not end when the client hung up")
	}
}
