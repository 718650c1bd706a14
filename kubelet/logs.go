package kubelet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/pki"
)

// logHandler serves the kubelet's HTTPS endpoints: GET
// /containerLogs/{namespace}/{pod}/{container}, which the API server's
// pods/log proxies to, and /exec/… and /attach/{namespace}/{pod}/{container}
// for pods/exec and pods/attach, /portForward/{namespace}/{pod},
// /connect/{namespace}/{pod}/{port} for the pod and service proxies and
// /metrics/resource (metrics.go), only to the API server, and /healthz to
// anyone.
func (k *Kubelet) logHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /containerLogs/{namespace}/{pod}/{container}", onlyAPIServer(http.HandlerFunc(k.serveLogs)))
	mux.Handle("GET /exec/{namespace}/{pod}/{container}", onlyAPIServer(http.HandlerFunc(k.serveExec)))
	mux.Handle("POST /exec/{namespace}/{pod}/{container}", onlyAPIServer(http.HandlerFunc(k.serveExec)))
	mux.Handle("GET /attach/{namespace}/{pod}/{container}", onlyAPIServer(http.HandlerFunc(k.serveAttach)))
	mux.Handle("POST /attach/{namespace}/{pod}/{container}", onlyAPIServer(http.HandlerFunc(k.serveAttach)))
	mux.Handle("GET /portForward/{namespace}/{pod}", onlyAPIServer(http.HandlerFunc(k.servePortForward)))
	mux.Handle("POST /portForward/{namespace}/{pod}", onlyAPIServer(http.HandlerFunc(k.servePortForward)))
	mux.Handle("GET /metrics/resource", onlyAPIServer(http.HandlerFunc(k.serveResourceMetrics)))
	mux.Handle("GET /connect/{namespace}/{pod}/{port}", onlyAPIServer(http.HandlerFunc(k.serveConnect)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	if k.agents != nil {
		mux.Handle("/nodeagents", k.agents)
		mux.Handle("/nodeagents/", k.agents)
	}
	return mux
}

// onlyAPIServer lets through the API server, known by its client
// certificate (verified against the cluster CA during the handshake):
// others get 401 without a certificate, 403 with another one, as a
// Kubernetes kubelet answers.
func onlyAPIServer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			writeStatus(w, http.StatusUnauthorized, api.StatusReasonUnauthorized, "Unauthorized")
			return
		}
		if user := r.TLS.PeerCertificates[0].Subject.CommonName; user != pki.KubeletClientCN {
			writeStatus(w, http.StatusForbidden, api.StatusReasonForbidden,
				fmt.Sprintf("Forbidden (user=%s, verb=get, resource=nodes, subresource(s)=[log])", user))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serveLogs writes a container's logs, with the query parameters of
// pods/log: follow, previous, timestamps, tailLines, sinceSeconds and
// limitBytes. Errors are Status objects, which kubectl prints.
func (k *Kubelet) serveLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, limit, err := logOptions(r, k.now())
	if err != nil {
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, err.Error())
		return
	}
	pod, ok := k.pods.Get(informer.Key{Namespace: ns, Name: name})
	if !ok {
		writeStatus(w, http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("pod %q not found on this node", ns+"/"+name))
		return
	}
	n := k.nodes[pod.Spec.NodeName]
	if n == nil {
		writeStatus(w, http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("pod %q is not bound to this kubelet's nodes", ns+"/"+name))
		return
	}
	out := &logWriter{w: w, limit: limit}
	out.flusher, _ = w.(http.Flusher)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	err = n.Runtime.Logs(r.Context(), pod.UID, container, opts, out)
	if err == nil || errors.Is(err, errLimit) || out.wrote {
		return
	}
	if errors.Is(err, runtime.ErrNotFound) {
		msg := fmt.Sprintf("container %q in pod %q is waiting to start", container, name)
		if opts.Previous {
			msg = fmt.Sprintf("previous terminated container %q in pod %q not found", container, name)
		}
		writeStatus(w, http.StatusBadRequest, api.StatusReasonBadRequest, msg)
		return
	}
	writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, err.Error())
}

// logOptions parses the query of a log request.
func logOptions(r *http.Request, now time.Time) (opts runtime.LogOptions, limit int64, err error) {
	q := r.URL.Query()
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("invalid %s %q", name, v)
		}
		return b, nil
	}
	number := func(name string) (int64, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, false, fmt.Errorf("invalid %s %q", name, v)
		}
		return n, true, nil
	}
	if opts.Follow, err = flag("follow"); err != nil {
		return
	}
	if opts.Previous, err = flag("previous"); err != nil {
		return
	}
	if opts.Timestamps, err = flag("timestamps"); err != nil {
		return
	}
	n, ok, err := number("tailLines")
	if err != nil {
		return
	}
	if ok {
		opts.TailLines = &n
	}
	secs, ok, err := number("sinceSeconds")
	if err != nil {
		return
	}
	if ok {
		opts.Since = now.Add(-time.Duration(secs) * time.Second)
	}
	limit, _, err = number("limitBytes")
	return
}

var errLimit = errors.New("limitBytes reached")

// logWriter passes logs on to the response, flushing every write (so
// that `kubectl logs -f` sees lines as they come) and stopping after limit
// bytes (0: no limit).
type logWriter struct {
	w       io.Writer
	flusher http.Flusher
	limit   int64
	n       int64
	wrote   bool
}

func (l *logWriter) Write(p []byte) (int, error) {
	full := len(p)
	if l.limit > 0 && l.n+int64(len(p)) > l.limit {
		p = p[:l.limit-l.n]
	}
	m, err := l.w.Write(p)
	l.n += int64(m)
	l.wrote = l.wrote || m > 0
	if l.flusher != nil {
		l.flusher.Flush()
	}
	if err != nil {
		return m, err
	}
	if m < full {
		return m, errLimit
	}
	return full, nil
}

func writeStatus(w http.ResponseWriter, code int, reason api.StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Message: msg, Reason: reason, Code: int32(code),
	})
}
