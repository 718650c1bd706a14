package kubelet

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/streaming"
)

// serveExec runs a command in a container for pods/exec, at
// /exec/{namespace}/{pod}/{container}?command=…&stdin=…&stdout=…&stderr=…&tty=…,
// upgrading to WebSocket or SPDY (see package streaming). What can be
// checked before the upgrade (the pod, the runtime, a running container)
// is answered with a Status error, which kubectl prints.
func (k *Kubelet) serveExec(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, "you must specify at least one command for the container")
		return
	}
	opts, err := streaming.OptionsFrom(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
		return
	}
	pod, ok := k.pods.Get(informer.Key{Namespace: ns, Name: name})
	n := (*node)(nil)
	if ok {
		n = k.nodes[pod.Spec.NodeName]
	}
	if n == nil {
		writeStatus(w, http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("pod %q not found on this node", ns+"/"+name))
		return
	}
	rt, ok := n.Runtime.(runtime.Streamer)
	if !ok {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest,
			fmt.Sprintf("cannot exec in pod %q: node %s runs the simulated runtime, which has no processes", name, n.Name))
		return
	}
	st, err := n.Runtime.PodStatus(r.Context(), pod.UID)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, err.Error())
		return
	}
	if c := st.Latest(container); c == nil || c.State != runtime.StateRunning {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest,
			fmt.Sprintf("unable to upgrade connection: container %q in pod %q is not running", container, name))
		return
	}
	conn, err := streaming.Accept(w, r, opts)
	if err != nil {
		k.log.Debug().Err(err).Str("pod", ns+"/"+name).Msg("exec: upgrade failed")
		return
	}
	code, err := rt.ExecStream(conn.Context, pod.UID, container, cmd, runtime.Streams{
		Stdin: conn.Stdin, Stdout: conn.Stdout, Stderr: conn.Stderr, TTY: opts.TTY, Resize: conn.Resize})
	switch {
	case err != nil && conn.Context.Err() != nil:
		conn.Finish(streaming.ErrorStatus(err)) // the client is gone; close our end
	case errors.Is(err, runtime.ErrNotFound), errors.Is(err, runtime.ErrNotRunning):
		conn.Finish(streaming.ErrorStatus(fmt.Errorf("container %q in pod %q is not running", container, name)))
	case err != nil:
		conn.Finish(streaming.ErrorStatus(err))
	case code != 0:
		conn.Finish(streaming.ExitStatus(cmd, code))
	default:
		conn.Finish(streaming.Success())
	}
}
