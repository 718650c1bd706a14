package kubelet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/streaming"
)

// serveExec runs a command in a container for pods/exec, at
// /exec/{namespace}/{pod}/{container}?command=…&stdin=…&stdout=…&stderr=…&tty=….
func (k *Kubelet) serveExec(w http.ResponseWriter, r *http.Request) {
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, "you must specify at least one command for the container")
		return
	}
	k.serveStream(w, r, "exec", func(n *node, conn *streaming.Conn, s runtime.Streams, uid, container string) api.Status {
		rt, ok := n.Runtime.(runtime.Streamer)
		if !ok {
			return streaming.ErrorStatus(errors.New("the runtime cannot exec"))
		}
		code, err := rt.ExecStream(conn.Context, uid, container, cmd, s)
		switch {
		case err != nil:
			return streaming.ErrorStatus(err)
		case code != 0:
			return streaming.ExitStatus(cmd, code)
		}
		return streaming.Success()
	})
}

// serveAttach attaches to a container's process for pods/attach, at
// /attach/{namespace}/{pod}/{container}?stdin=…&stdout=…&stderr=…&tty=….
func (k *Kubelet) serveAttach(w http.ResponseWriter, r *http.Request) {
	k.serveStream(w, r, "attach", func(n *node, conn *streaming.Conn, s runtime.Streams, uid, container string) api.Status {
		rt, ok := n.Runtime.(runtime.Attacher)
		if !ok {
			return streaming.ErrorStatus(errors.New("the runtime cannot attach"))
		}
		if err := rt.AttachStream(conn.Context, uid, container, s); err != nil {
			return streaming.ErrorStatus(err)
		}
		return streaming.Success()
	})
}

// serveStream answers with a Status error what can be checked before the
// upgrade (the pod, a runtime with processes, a running container), which
// kubectl prints; then upgrades to WebSocket or SPDY (package streaming),
// runs fn with the connection's streams and ends with the Status it
// returns.
func (k *Kubelet) serveStream(w http.ResponseWriter, r *http.Request, verb string,
	fn func(n *node, conn *streaming.Conn, s runtime.Streams, podUID, container string) api.Status) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := streaming.OptionsFrom(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
		return
	}
	pod, n, st, ok := k.streamedPod(w, r, verb)
	if !ok {
		return
	}
	if c := st.Latest(container); c == nil || c.State != runtime.StateRunning {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest,
			fmt.Sprintf("unable to upgrade connection: container %q in pod %q is not running", container, name))
		return
	}
	conn, err := streaming.Accept(w, r, opts)
	if err != nil {
		k.log.Debug().Err(err).Str("pod", ns+"/"+name).Msg(verb + ": upgrade failed")
		return
	}
	st2 := fn(n, conn, runtime.Streams{Stdin: conn.Stdin, Stdout: conn.Stdout, Stderr: conn.Stderr, TTY: opts.TTY, Resize: conn.Resize},
		pod.UID, container)
	conn.Finish(st2)
}

// streamedPod finds the pod of a streaming request on one of this
// kubelet's nodes, whose runtime has processes, and its status; if it
// cannot, it writes the Status error and returns false.
func (k *Kubelet) streamedPod(w http.ResponseWriter, r *http.Request, verb string) (*api.Pod, *node, runtime.PodStatus, bool) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	pod, ok := k.pods.Get(informer.Key{Namespace: ns, Name: name})
	n := (*node)(nil)
	if ok {
		n = k.nodes[pod.Spec.NodeName]
	}
	if n == nil {
		writeStatus(w, http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("pod %q not found on this node", ns+"/"+name))
		return nil, nil, runtime.PodStatus{}, false
	}
	if _, ok := n.Runtime.(runtime.Streamer); !ok {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest,
			fmt.Sprintf("cannot %s in pod %q: node %s runs the simulated runtime, which has no processes", verb, name, n.Name))
		return nil, nil, runtime.PodStatus{}, false
	}
	st, err := n.Runtime.PodStatus(r.Context(), pod.UID)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, err.Error())
		return nil, nil, runtime.PodStatus{}, false
	}
	return pod, n, st, true
}

// servePortForward forwards connections to the pod's ports for
// pods/portforward, at /portForward/{namespace}/{pod}: on Docker by
// dialing the pod's IP on the engine's bridge, which the host reaches.
func (k *Kubelet) servePortForward(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	_, _, st, ok := k.streamedPod(w, r, "portforward")
	if !ok {
		return
	}
	if !st.SandboxReady || st.IP == "" {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, fmt.Sprintf("pod %q has no running sandbox", name))
		return
	}
	var d net.Dialer
	err := streaming.PortForward(w, r, func(ctx context.Context, port uint16) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", net.JoinHostPort(st.IP, strconv.Itoa(int(port))))
	})
	if err != nil {
		k.log.Debug().Err(err).Str("pod", ns+"/"+name).Msg("portforward: upgrade failed")
	}
}

// serveConnect opens a TCP connection to a port of a pod for the API
// server's pods/proxy and services/proxy, at
// /connect/{namespace}/{pod}/{port}: a GET asking to upgrade to "tcp",
// answered with 101 and then the bytes of the connection both ways, until
// either side closes. What stops it (no such pod here, a runtime without
// network, no sandbox, a port nobody listens on) is a Status error before
// the upgrade, which the API server passes on as a 503.
func (k *Kubelet) serveConnect(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	port, err := strconv.ParseUint(r.PathValue("port"), 10, 16)
	if err != nil || port == 0 {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, fmt.Sprintf("invalid port %q", r.PathValue("port")))
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "tcp") {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, "an upgrade to tcp is required")
		return
	}
	_, _, st, ok := k.streamedPod(w, r, "proxy")
	if !ok {
		return
	}
	if !st.SandboxReady || st.IP == "" {
		writeStatus(w, http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable, fmt.Sprintf("pod %q has no running sandbox", name))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	var d net.Dialer
	backend, err := d.DialContext(ctx, "tcp", net.JoinHostPort(st.IP, strconv.Itoa(int(port))))
	cancel()
	if err != nil {
		writeStatus(w, http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable, err.Error())
		return
	}
	defer backend.Close()
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, "the connection cannot be taken over")
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		k.log.Debug().Err(err).Str("pod", ns+"/"+name).Msg("connect: hijack failed")
		return
	}
	defer client.Close()
	_ = client.SetDeadline(time.Time{}) // the server's read and write timeouts end with the request
	if _, err := io.WriteString(client, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"); err != nil {
		return
	}
	// Either side closing ends the splice; the defers close the other.
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(backend, buf.Reader) // what the API server sent, buffered or not
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, backend)
		done <- struct{}{}
	}()
	<-done
}
