package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"

	"github.com/minik8s/minik8s/api"
)

// podStream serves pods/{name}/exec and pods/{name}/attach (sub; GET with
// a WebSocket upgrade, POST with a SPDY one) by proxying the upgraded
// connection to /{sub}/{namespace}/{pod}/{container} on the kubelet of the pod's node,
// which speaks the streaming protocols (kubelet/streaming). What the pod
// object can answer (no such container, a finished pod, an unscheduled
// one) is answered here, as Kubernetes's API server does.
func (s *Server) podStream(r *request) error {
	sub := r.ri.Subresource
	ctx := r.c.Request().Context()
	pod, err := s.storedObject(r)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range asList(nested(pod, "spec", "containers")) {
		names = append(names, nestedString(c, "name"))
	}
	container := r.query("container")
	switch {
	case container == "" && len(names) == 1:
		container = names[0]
	case container == "":
		return badRequest("a container name must be specified for pod %s, choose one of: %v", r.ri.Name, names)
	case !slices.Contains(names, container):
		return badRequest("container %s is not valid for pod %s", container, r.ri.Name)
	}
	addr, nodeName, err := s.streamBackend(ctx, r, pod)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, p := range []string{"stdin", "stdout", "stderr", "tty"} {
		if v := r.query(p); v != "" {
			q.Set(p, v)
		}
	}
	if sub == "exec" {
		q["command"] = r.c.QueryParams()["command"]
	}
	target := &url.URL{Scheme: "https", Host: addr,
		Path:     "/" + sub + "/" + r.ri.Namespace + "/" + r.ri.Name + "/" + container,
		RawQuery: q.Encode()}
	s.proxyToKubelet(r, r.c.Response(), target, nodeName)
	return nil
}

// podPortForward serves pods/{name}/portforward (GET with a WebSocket
// upgrade tunneling SPDY, POST with a SPDY one) by proxying the upgraded
// connection to /portForward/{namespace}/{pod} on the pod's kubelet.
func (s *Server) podPortForward(r *request) error {
	ctx := r.c.Request().Context()
	pod, err := s.storedObject(r)
	if err != nil {
		return err
	}
	addr, nodeName, err := s.streamBackend(ctx, r, pod)
	if err != nil {
		return err
	}
	target := &url.URL{Scheme: "https", Host: addr, Path: "/portForward/" + r.ri.Namespace + "/" + r.ri.Name}
	s.proxyToKubelet(r, r.c.Response(), target, nodeName)
	return nil
}

// streamBackend returns the kubelet address and node of a pod that can
// take a stream: not finished, and scheduled.
func (s *Server) streamBackend(ctx context.Context, r *request, pod map[string]any) (addr, nodeName string, err error) {
	if phase := nestedString(pod, "status", "phase"); phase == "Succeeded" || phase == "Failed" {
		return "", "", badRequest("cannot %s into a container in a completed pod; current phase is %s", r.ri.Subresource, phase)
	}
	nodeName = nestedString(pod, "spec", "nodeName")
	if nodeName == "" {
		return "", "", badRequest("pod %s does not have a host assigned", r.ri.Name)
	}
	addr, err = s.kubeletAddr(ctx, nodeName, r.ri.Name)
	return addr, nodeName, err
}

// storedObject reads the request's object from the store.
func (s *Server) storedObject(r *request) (map[string]any, error) {
	rec, err := s.deps.Store.Get(r.c.Request().Context(), r.key())
	if err != nil {
		return nil, err
	}
	return decodeStored(rec.Value, rec.ResourceVersion)
}

// proxyToKubelet proxies the request, and the connection it upgrades to,
// to target on the kubelet of node nodeName, as the API server (its
// client certificate in Deps.KubeletTransport); the caller's credentials
// stay here.
func (s *Server) proxyToKubelet(r *request, w http.ResponseWriter, target *url.URL, nodeName string) {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Authorization")
		},
		Transport:     s.deps.KubeletTransport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			_ = writeStatus(r.c, newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
				fmt.Sprintf("error dialing backend: kubelet on node %s: %v", nodeName, err)))
		},
	}
	proxy.ServeHTTP(w, r.c.Request())
}
