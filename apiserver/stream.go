package apiserver

import (
	"net/http"
	"time"
)

// stallWriter is the http.ResponseWriter of a long-running stream (a
// watch, a followed log): each Write and Flush must finish within timeout,
// or it fails and the connection is closed. The deadline is cleared once a
// write is done: a stream may stay quiet for as long as it likes (over
// HTTP/2 an expired deadline resets the stream even when nothing is being
// written). A client that stops reading
// thus ends its stream within timeout, and the handler, its goroutines and
// whatever was queued for the client are freed, instead of waiting for the
// TCP connection to die. net/http's Server.WriteTimeout cannot do this: it
// bounds the whole response, which would cut healthy streams.
//
// Done must be called when the stream ends, to clear the deadline before
// the connection serves its next request.
type stallWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func newStallWriter(w http.ResponseWriter, timeout time.Duration) *stallWriter {
	return &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
}

// arm gives the next write timeout to finish. Writers that cannot take a
// deadline (ErrNotSupported, as httptest's) write without one.
func (w *stallWriter) arm() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }

// disarm clears the deadline once a write is done.
func (w *stallWriter) disarm() { _ = w.rc.SetWriteDeadline(time.Time{}) }

func (w *stallWriter) Write(p []byte) (int, error) {
	w.arm()
	n, err := w.ResponseWriter.Write(p)
	if err == nil {
		w.disarm()
	}
	return n, err
}

// FlushError flushes what is buffered to the client; http.ResponseController
// and httputil.ReverseProxy prefer it to Flush.
func (w *stallWriter) FlushError() error {
	w.arm()
	err := w.rc.Flush()
	if err == nil {
		w.disarm()
	}
	return err
}

func (w *stallWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Done clears the write deadline.
func (w *stallWriter) Done() { w.disarm() }
