package streaming

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/moby/spdystream"

	"github.com/minik8s/minik8s/api"
)

// Port-forward protocols: SPDY with X-Stream-Protocol-Version
// portforward.k8s.io, or (kubectl's default since 1.31) the same SPDY
// connection tunneled through a WebSocket whose subprotocol is
// SPDY/3.1+portforward.k8s.io, one binary message per write.
const (
	PortForwardV1     = "portforward.k8s.io"
	PortForwardTunnel = "SPDY/3.1+" + PortForwardV1
)

// Dialer connects to a port of the pod.
type Dialer func(ctx context.Context, port uint16) (net.Conn, error)

// PortForward upgrades the request and forwards every port the client asks
// for (a pair of streams, data and error, per connection, named by the
// requestID and port headers) to a connection made by dial, until the
// client hangs up. A port that cannot be dialed gets the error on that
// request's error stream; the other requests go on. On failure before the
// upgrade it has written a Status response.
func PortForward(w http.ResponseWriter, r *http.Request, dial Dialer) error {
	var raw net.Conn
	switch {
	case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		if !slices.Contains(websocket.Subprotocols(r), PortForwardTunnel) {
			err := fmt.Errorf("unable to upgrade connection: the subprotocols %v do not include %s", websocket.Subprotocols(r), PortForwardTunnel)
			WriteStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
			return err
		}
		up := upgrader
		up.Subprotocols = []string{PortForwardTunnel}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return err
		}
		raw = &tunnelConn{ws: ws}
	case strings.EqualFold(r.Header.Get("Upgrade"), "SPDY/3.1"):
		if !slices.Contains(headerValues(r.Header, "X-Stream-Protocol-Version"), PortForwardV1) {
			err := fmt.Errorf("unable to upgrade connection: unable to negotiate protocol: client supports %v, server supports [%s]",
				headerValues(r.Header, "X-Stream-Protocol-Version"), PortForwardV1)
			WriteStatus(w, http.StatusForbidden, api.StatusReasonForbidden, err.Error())
			return err
		}
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "SPDY/3.1")
		w.Header().Set("X-Stream-Protocol-Version", PortForwardV1)
		w.WriteHeader(http.StatusSwitchingProtocols)
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return fmt.Errorf("hijack: %w", err)
		}
		raw = &bufConn{Conn: c, r: brw.Reader}
	default:
		err := fmt.Errorf("unable to upgrade connection: the request asks for neither WebSocket nor SPDY/3.1")
		WriteStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
		return err
	}
	defer raw.Close()
	conn, err := spdystream.NewConnection(raw, true)
	if err != nil {
		return fmt.Errorf("spdy: %w", err)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var (
		mu      sync.Mutex
		pending = map[string]*streamPair{}
		wg      sync.WaitGroup
	)
	go conn.Serve(func(s *spdystream.Stream) {
		_ = s.SendReply(http.Header{}, false)
		id := s.Headers().Get("requestID")
		mu.Lock()
		p := pending[id]
		if p == nil {
			p = &streamPair{port: s.Headers().Get("port")}
			pending[id] = p
		}
		switch s.Headers().Get("streamType") {
		case "data":
			p.data = s
		case "error":
			p.err = s
		default:
			mu.Unlock()
			_ = s.Reset()
			return
		}
		ready := p.data != nil && p.err != nil
		if ready {
			delete(pending, id)
		}
		mu.Unlock()
		if ready {
			wg.Go(func() { p.forward(ctx, dial) })
		}
	})
	<-conn.CloseChan()
	cancel()
	wg.Wait()
	return nil
}

// streamPair is one forwarded connection.
type streamPair struct {
	port      string
	data, err *spdystream.Stream
}

func (p *streamPair) forward(ctx context.Context, dial Dialer) {
	defer p.err.Close()
	defer p.data.Close()
	port, perr := strconv.ParseUint(p.port, 10, 16)
	if perr != nil || port == 0 {
		_, _ = fmt.Fprintf(p.err, "invalid port %q", p.port)
		return
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := dial(dctx, uint16(port))
	dcancel()
	if err != nil {
		_, _ = fmt.Fprintf(p.err, "error forwarding port %d to pod: %v", port, err)
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // the client hung up
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(c, p.data)
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite() // pass on the client's end of input
		}
	}()
	_, _ = io.Copy(p.data, c)
	_ = p.data.Close()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// tunnelConn is a net.Conn over a WebSocket: each Write one binary
// message, Read the messages' bytes in order.
type tunnelConn struct {
	ws  *websocket.Conn
	rmu sync.Mutex
	r   io.Reader
	wmu sync.Mutex
}

func (c *tunnelConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				continue
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *tunnelConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *tunnelConn) Close() error                       { return c.ws.Close() }
func (c *tunnelConn) LocalAddr() net.Addr                { return c.ws.LocalAddr() }
func (c *tunnelConn) RemoteAddr() net.Addr               { return c.ws.RemoteAddr() }
func (c *tunnelConn) SetDeadline(t time.Time) error      { return c.ws.NetConn().SetDeadline(t) }
func (c *tunnelConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *tunnelConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }
