package streaming

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Channels of the WebSocket protocols.
const (
	chanStdin  = 0
	chanStdout = 1
	chanStderr = 2
	chanError  = 3
	chanResize = 4
	chanClose  = 255 // v5: [255, n] closes channel n
)

var upgrader = websocket.Upgrader{
	Subprotocols: []string{ChannelV5, ChannelV4},
	// Only the API server reaches this endpoint (mutual TLS); browsers'
	// origins do not apply.
	CheckOrigin:     func(*http.Request) bool { return true },
	ReadBufferSize:  32 << 10,
	WriteBufferSize: 32 << 10,
}

func acceptWebSocket(w http.ResponseWriter, r *http.Request, opts Options) (*Conn, error) {
	offered := websocket.Subprotocols(r)
	if !slices.Contains(offered, ChannelV5) && !slices.Contains(offered, ChannelV4) {
		err := fmt.Errorf("unable to upgrade connection: none of the subprotocols %v is supported (want %s or %s)", offered, ChannelV5, ChannelV4)
		WriteStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
		return nil, err
	}
	ws, err := upgrader.Upgrade(w, r, nil) // writes its own error response
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	wc := &wsConn{ws: ws}
	c := &Conn{Context: ctx}
	var stdinW *io.PipeWriter
	if opts.Stdin {
		var pr *io.PipeReader
		pr, stdinW = io.Pipe()
		c.Stdin = pr
	}
	if opts.Stdout {
		c.Stdout = wc.channel(chanStdout)
	}
	if opts.Stderr {
		c.Stderr = wc.channel(chanStderr)
	}
	var resizeW *io.PipeWriter
	if opts.TTY {
		ch := make(chan runtime.TermSize, 1)
		var pr *io.PipeReader
		pr, resizeW = io.Pipe()
		go resizeEvents(pr, ch)
		c.Resize = ch
	}
	closeStdin := func() {
		if stdinW != nil {
			_ = stdinW.Close()
		}
	}
	go func() {
		defer cancel()
		defer closeStdin()
		if resizeW != nil {
			defer resizeW.Close()
		}
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if len(msg) == 0 {
				continue
			}
			switch msg[0] {
			case chanStdin:
				if stdinW != nil {
					_, _ = stdinW.Write(msg[1:])
				}
			case chanResize:
				if resizeW != nil {
					_, _ = resizeW.Write(msg[1:])
				}
			case chanClose:
				if len(msg) > 1 && msg[1] == chanStdin {
					closeStdin()
				}
			}
		}
	}()
	c.finish = func(st api.Status) {
		_ = wc.write(chanError, statusJSON(st))
		wc.mu.Lock()
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		wc.mu.Unlock()
		_ = ws.Close()
		cancel()
	}
	return c, nil
}

// wsConn serialises writes to a WebSocket (gorilla allows one writer).
type wsConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *wsConn) write(channel byte, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, err := c.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte{channel}); err != nil {
		return err
	}
	if _, err := w.Write(p); err != nil {
		return err
	}
	return w.Close()
}

func (c *wsConn) channel(n byte) io.Writer { return channelWriter{c, n} }

type channelWriter struct {
	c *wsConn
	n byte
}

func (w channelWriter) Write(p []byte) (int, error) {
	if err := w.c.write(w.n, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
