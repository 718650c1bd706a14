package apiserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/store"
)

// podLog serves GET pods/{name}/log by proxying to the kubelet of the
// pod's node (its InternalIP and kubelet port from the Node's status),
// over HTTPS with Deps.KubeletTransport, at
// /containerLogs/{namespace}/{pod}/{container} with follow, tailLines,
// previous, timestamps and sinceSeconds passed through.
func (s *Server) podLog(r *request) error {
	ctx := r.c.Request().Context()
	pod, err := s.storedObject(r)
	if err != nil {
		return err
	}
	container := r.query("container")
	if container == "" {
		var names []string
		for _, c := range asList(nested(pod, "spec", "containers")) {
			names = append(names, nestedString(c, "name"))
		}
		if len(names) != 1 {
			return badRequest("a container name must be specified for pod %s, choose one of: %v", r.ri.Name, names)
		}
		container = names[0]
	}
	nodeName := nestedString(pod, "spec", "nodeName")
	if nodeName == "" {
		return badRequest("container %q in pod %q is waiting to start: the pod is not scheduled yet", container, r.ri.Name)
	}
	addr, err := s.kubeletAddr(ctx, nodeName, r.ri.Name)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, p := range []string{"follow", "tailLines", "previous", "timestamps", "sinceSeconds", "limitBytes"} {
		if v := r.query(p); v != "" {
			q.Set(p, v)
		}
	}
	target := &url.URL{Scheme: "https", Host: addr,
		Path:     "/containerLogs/" + r.ri.Namespace + "/" + r.ri.Name + "/" + container,
		RawQuery: q.Encode()}
	// A client that stops reading a followed log is cut off, as a watch is,
	// which also closes the kubelet's stream.
	sw := newStallWriter(r.c.Response(), s.cfg.StallTimeout)
	defer sw.Done()
	s.proxyToKubelet(r, sw, target, nodeName)
	return nil
}

// kubeletAddr returns the host:port of the kubelet of node nodeName (its
// InternalIP and kubelet port from the Node's status), where pod runs.
func (s *Server) kubeletAddr(ctx context.Context, nodeName, pod string) (string, error) {
	nrec, err := s.deps.Store.Get(ctx, store.Key{Resource: "nodes", Name: nodeName})
	if err != nil {
		return "", newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable, fmt.Sprintf("node %q of pod %q is not known: %v", nodeName, pod, err))
	}
	node, err := decodeStored(nrec.Value, nrec.ResourceVersion)
	if err != nil {
		return "", err
	}
	host, port := kubeletEndpoint(node)
	if s.deps.KubeletTransport == nil {
		return "", newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
			"this API server has no credentials to reach kubelets")
	}
	if host == "" || port == "" || port == "0" {
		return "", newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
			fmt.Sprintf("node %q has no kubelet endpoint", nodeName))
	}
	return net.JoinHostPort(host, port), nil
}

// kubeletEndpoint returns the InternalIP and kubelet port a Node's status
// gives ("" for those it does not give).
func kubeletEndpoint(node object) (host, port string) {
	for _, a := range asList(nested(node, "status", "addresses")) {
		if nestedString(a, "type") == "InternalIP" {
			host = nestedString(a, "address")
		}
	}
	return host, fieldString(nested(node, "status", "daemonEndpoints", "kubeletEndpoint", "Port"))
}

// asList returns the maps in a JSON list.
func asList(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
