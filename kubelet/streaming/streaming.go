package streaming

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Protocol versions.
const (
	ChannelV5 = "v5.channel.k8s.io"
	ChannelV4 = "v4.channel.k8s.io"
)

// Options say which streams the client asked for (the stdin, stdout,
// stderr and tty query parameters of pods/exec).
type Options struct {
	Stdin, Stdout, Stderr, TTY bool
}

// OptionsFrom reads the stream options from a request's query. With a
// TTY, stderr is merged into stdout, as in Kubernetes.
func OptionsFrom(r *http.Request) (Options, error) {
	q := r.URL.Query()
	var o Options
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"stdin", &o.Stdin}, {"stdout", &o.Stdout}, {"stderr", &o.Stderr}, {"tty", &o.TTY}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("invalid %s %q", f.name, v)
		}
		*f.dst = b
	}
	if o.TTY {
		o.Stderr = false
	}
	if !o.Stdin && !o.Stdout && !o.Stderr {
		return o, fmt.Errorf("you must specify at least 1 of stdin, stdout, stderr")
	}
	return o, nil
}

// Conn is an upgraded remote-command connection. Its streams are nil when
// not asked for. Context ends when the client goes away.
type Conn struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Resize         <-chan runtime.TermSize
	Context        context.Context

	finish func(st api.Status)
}

// Accept upgrades the request to whichever protocol the client speaks. On
// failure it has written a Status response and returns an error.
func Accept(w http.ResponseWriter, r *http.Request, opts Options) (*Conn, error) {
	switch {
	case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		return acceptWebSocket(w, r, opts)
	case strings.EqualFold(r.Header.Get("Upgrade"), "SPDY/3.1"):
		return acceptSPDY(w, r, opts)
	}
	err := fmt.Errorf("unable to upgrade connection: the request asks for neither WebSocket nor SPDY/3.1")
	WriteStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
	return nil, err
}

// Finish writes st to the error channel and closes the connection.
func (c *Conn) Finish(st api.Status) { c.finish(st) }

// Success is the Status of a command that exited 0.
func Success() api.Status {
	return api.Status{Status: "Success"}
}

// ExitStatus is the Status of a command that exited with code (not 0), in
// the form kubectl reads its exit code from.
func ExitStatus(cmd []string, code int) api.Status {
	return api.Status{Status: "Failure", Reason: "NonZeroExitCode",
		Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", cmd, code),
		Details: &api.StatusDetails{Causes: []api.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(code)}}}}
}

// ErrorStatus is the Status of a command that could not run.
func ErrorStatus(err error) api.Status {
	return api.Status{Status: "Failure", Reason: api.StatusReasonInternalError, Code: http.StatusInternalServerError, Message: err.Error()}
}

func statusJSON(st api.Status) []byte {
	st.TypeMeta = api.TypeMeta{Kind: "Status", APIVersion: "v1"}
	b, _ := json.Marshal(st)
	return b
}

// WriteStatus writes a Status error response (before any upgrade).
func WriteStatus(w http.ResponseWriter, code int, reason api.StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(statusJSON(api.Status{Status: "Failure", Message: msg, Reason: reason, Code: int32(code)}))
}

// resizeEvents decodes the resize channel's JSON sizes into ch, closing
// it at the end of r.
func resizeEvents(r io.Reader, ch chan<- runtime.TermSize) {
	defer close(ch)
	dec := json.NewDecoder(r)
	for {
		var size struct{ Width, Height uint16 }
		if err := dec.Decode(&size); err != nil {
			return
		}
		select {
		case ch <- runtime.TermSize{Width: size.Width, Height: size.Height}:
		default: // the consumer is behind: a later size supersedes this one
		}
	}
}
