package streaming

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/moby/spdystream"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// streamCreationTimeout bounds the wait for the client's streams after the
// upgrade, as the kubelet's does.
const streamCreationTimeout = 30 * time.Second

func acceptSPDY(w http.ResponseWriter, r *http.Request, opts Options) (*Conn, error) {
	if !slices.Contains(headerValues(r.Header, "X-Stream-Protocol-Version"), ChannelV4) {
		err := fmt.Errorf("unable to upgrade connection: unable to negotiate protocol: client supports %v, server supports [%s]",
			headerValues(r.Header, "X-Stream-Protocol-Version"), ChannelV4)
		WriteStatus(w, http.StatusForbidden, api.StatusReasonForbidden, err.Error())
		return nil, err
	}
	w.Header().Set("Connection", "Upgrade")
	w.Header().Set("Upgrade", "SPDY/3.1")
	w.Header().Set("X-Stream-Protocol-Version", ChannelV4)
	w.WriteHeader(http.StatusSwitchingProtocols)
	raw, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("hijack: %w", err)
	}
	conn, err := spdystream.NewConnection(&bufConn{Conn: raw, r: brw.Reader}, true)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("spdy: %w", err)
	}
	streams := make(chan *spdystream.Stream, 8)
	go conn.Serve(func(s *spdystream.Stream) {
		// Accept at once: the frame loop waits for this handler.
		_ = s.SendReply(http.Header{}, false)
		select {
		case streams <- s:
		default:
			_ = s.Reset() // more streams than the protocol has
		}
	})

	want := map[string]bool{"error": true, "stdin": opts.Stdin, "stdout": opts.Stdout, "stderr": opts.Stderr, "resize": opts.TTY}
	got := map[string]*spdystream.Stream{}
	n := 0
	for _, v := range want {
		if v {
			n++
		}
	}
	timeout := time.NewTimer(streamCreationTimeout)
	defer timeout.Stop()
	for len(got) < n {
		select {
		case s := <-streams:
			typ := s.Headers().Get("streamType")
			if !want[typ] || got[typ] != nil {
				_ = s.Reset()
				continue
			}
			got[typ] = s
		case <-conn.CloseChan():
			return nil, fmt.Errorf("spdy: the client closed the connection before creating its streams")
		case <-timeout.C:
			conn.Close()
			return nil, fmt.Errorf("spdy: timed out waiting for the client to create streams")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-conn.CloseChan():
		case <-ctx.Done():
		}
		cancel()
	}()
	c := &Conn{Context: ctx}
	if s := got["stdin"]; s != nil {
		c.Stdin = s
	}
	if s := got["stdout"]; s != nil {
		c.Stdout = s
	}
	if s := got["stderr"]; s != nil {
		c.Stderr = s
	}
	if s := got["resize"]; s != nil {
		ch := make(chan runtime.TermSize, 1)
		go resizeEvents(s, ch)
		c.Resize = ch
	}
	c.finish = func(st api.Status) {
		e := got["error"]
		_, _ = e.Write(statusJSON(st))
		for _, s := range got {
			_ = s.Close()
		}
		_ = conn.Close()
		raw.Close()
		cancel()
	}
	return c, nil
}

// headerValues returns a header's values, comma-separated ones split.
func headerValues(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// bufConn reads what the HTTP server had buffered before the hijack first.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }
