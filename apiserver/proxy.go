package apiserver

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/store"
)

// proxy serves pods/proxy, services/proxy and nodes/proxy, as
// kube-apiserver does: the name is "name", "name:port" or
// "scheme:name:port" (scheme http or https), everything after .../proxy is
// the path on the backend, and any method goes through (RBAC has already
// authorized the caller for the method's verb on the subresource).
//
//   - pods/proxy goes to the pod's IP on the port given (or its first
//     container port, else the scheme's).
//   - services/proxy goes to one ready endpoint of the Service, picked at
//     random from its Endpoints, for the service port named or numbered
//     (none: the unnamed port); only endpoints that are pods, at the pod's
//     current IP.
//   - nodes/proxy goes to the node's kubelet (its port, or none) as the API
//     server, with its client certificate, or to another port of the
//     node's InternalIP.
//
// A pod is reached through the kubelet of its node (tunnel.go), not by
// dialing its IP from here, so the API server needs no route to the pods'
// network and a pod on the simulated runtime gets a clear 503 at once.
// Responses pass through as they are, except that Location headers and the
// links of HTML pages that point at the backend itself are rewritten to go
// through the proxy again, and CORS headers are dropped (proxyrewrite.go).
// A request that fails to reach the backend is a 503 ServiceUnavailable
// "error trying to reach service", as in Kubernetes.
func (s *Server) proxy(r *request) error {
	scheme, name, port, ok := splitSchemeNamePort(r.ri.Name)
	if !ok {
		return badRequest("invalid %s request %q", r.res.Singular, r.ri.Name)
	}
	raw := r.ri.Name
	r.ri.Name = name // for the Status of a missing object
	prefix, sub, ok := proxyPath(r, raw)
	if !ok {
		return newStatus(http.StatusNotFound, api.StatusReasonNotFound, "the server could not find the requested resource")
	}
	in := r.c.Request()
	if sub == "" && (in.Method == http.MethodGet || in.Method == http.MethodHead) {
		// As Kubernetes: .../proxy with no path is a redirect to .../proxy/.
		loc := in.URL.EscapedPath() + "/"
		if in.URL.RawQuery != "" {
			loc += "?" + in.URL.RawQuery
		}
		return r.c.Redirect(http.StatusMovedPermanently, loc)
	}
	if sub == "" {
		sub = "/"
	}
	ctx := in.Context()
	var (
		target *url.URL
		rt     http.RoundTripper
		err    error
	)
	switch r.ri.Resource {
	case "pods":
		target, rt, err = s.podProxyTarget(ctx, r.ri.Namespace, name, scheme, port)
	case "services":
		target, rt, err = s.serviceProxyTarget(ctx, r.ri.Namespace, name, scheme, port)
	case "nodes":
		target, rt, err = s.nodeProxyTarget(ctx, name, scheme, port)
	default:
		return methodNotAllowed()
	}
	if err != nil {
		return err
	}
	s.serveProxy(r, target, rt, prefix, sub)
	return nil
}

// splitSchemeNamePort splits a proxy's name as Kubernetes does: "name",
// "name:port" or "scheme:name:port", the scheme empty, http or https.
func splitSchemeNamePort(id string) (scheme, name, port string, ok bool) {
	parts := strings.Split(id, ":")
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		name, port = parts[0], parts[1]
	case 3:
		scheme, name, port = parts[0], parts[1], parts[2]
	default:
		return "", "", "", false
	}
	if name == "" || (scheme != "" && scheme != "http" && scheme != "https") {
		return "", "", "", false
	}
	return scheme, name, port, true
}

// proxyPath returns the request path up to .../{name}/proxy (prefix) and
// the path after it (sub: "" when there is none, else cleaned, starting
// with "/" and keeping a trailing one), which goes to the backend.
func proxyPath(r *request, rawName string) (prefix, sub string, ok bool) {
	p := r.c.Request().URL.Path
	marker := "/" + r.ri.Resource + "/" + rawName + "/proxy"
	i := strings.Index(p, marker)
	if i < 0 {
		return "", "", false
	}
	prefix, rest := p[:i+len(marker)], p[i+len(marker):]
	if rest != "" && !strings.HasPrefix(rest, "/") {
		return "", "", false
	}
	if rest == "" {
		return prefix, "", true
	}
	sub = path.Clean(rest)
	if strings.HasSuffix(rest, "/") && sub != "/" {
		sub += "/"
	}
	return prefix, sub, true
}

// serveProxy proxies the request to target (scheme and host) + sub.
func (s *Server) serveProxy(r *request, target *url.URL, rt http.RoundTripper, prefix, sub string) {
	in := r.c.Request()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = &url.URL{Scheme: target.Scheme, Host: target.Host, Path: sub, RawQuery: in.URL.RawQuery}
			// The backend sees the Host the client asked for, as behind
			// kube-apiserver, and where the request came from.
			pr.Out.Host = in.Host
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Forwarded-Uri", prefix+sub)
			// The caller's credentials are for the API server, not for
			// the pod.
			pr.Out.Header.Del("Authorization")
			for k := range pr.Out.Header {
				if strings.HasPrefix(k, "Impersonate-") {
					pr.Out.Header.Del(k)
				}
			}
		},
		Transport:     rt,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			rewriteProxyResponse(resp, prefix, target.Host, in.Host)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			var se *statusError
			if errors.As(err, &se) {
				_ = writeStatus(r.c, se)
				return
			}
			_ = writeStatus(r.c, newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
				fmt.Sprintf("error trying to reach service: %v", err)))
		},
	}
	rp.ServeHTTP(r.c.Response(), in)
}

// podProxyTarget is where pods/proxy of pod name goes, and the transport
// that reaches it through the pod's kubelet.
func (s *Server) podProxyTarget(ctx context.Context, ns, name, scheme, port string) (*url.URL, http.RoundTripper, error) {
	pod, err := s.storedPod(ctx, ns, name)
	if err != nil {
		return nil, nil, err
	}
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil {
		return nil, nil, badRequest("address not allowed: pod %q has no IP address", name)
	}
	host := ip.String()
	if ip.Is6() {
		host = "[" + host + "]"
	}
	if port != "" {
		host = net.JoinHostPort(ip.String(), port)
	}
	if scheme == "" {
		scheme = "http"
	}
	return &url.URL{Scheme: scheme, Host: host}, s.podTransport(pod), nil
}

// serviceProxyTarget is where services/proxy of service name goes: a ready
// endpoint of its Endpoints for the port named (or numbered: the service
// port with that number) by port, that is a pod at its current IP.
func (s *Server) serviceProxyTarget(ctx context.Context, ns, name, scheme, port string) (*url.URL, http.RoundTripper, error) {
	if n, err := strconv.Atoi(port); err == nil {
		var svc api.Service
		if err := s.storedTyped(ctx, "services", ns, name, &svc); err != nil {
			return nil, nil, err
		}
		found := false
		for _, sp := range svc.Spec.Ports {
			if int(sp.Port) == n {
				port, found = sp.Name, true
				break
			}
		}
		if !found {
			return nil, nil, newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
				fmt.Sprintf("no service port %d found for service %q", n, name))
		}
	}
	noEndpoints := newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
		fmt.Sprintf("no endpoints available for service %q", name))
	var eps api.Endpoints
	if err := s.storedTyped(ctx, "endpoints", ns, name, &eps); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, noEndpoints
		}
		return nil, nil, err
	}
	if scheme == "" {
		scheme = "http"
	}
	n := len(eps.Subsets)
	start := 0
	if n > 0 {
		start = rand.IntN(n)
	}
	for i := range n {
		ss := eps.Subsets[(start+i)%n]
		for _, p := range ss.Ports {
			if p.Name != port || len(ss.Addresses) == 0 {
				continue
			}
			first := rand.IntN(len(ss.Addresses))
			for j := range ss.Addresses {
				a := ss.Addresses[(first+j)%len(ss.Addresses)]
				pod := s.endpointPod(ctx, ns, a)
				if pod == nil {
					continue
				}
				return &url.URL{Scheme: scheme, Host: net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port)))}, s.podTransport(pod), nil
			}
		}
	}
	return nil, nil, noEndpoints
}

// endpointPod returns the pod behind an endpoint address, or nil if it is
// not a pod that has the address's IP (Kubernetes proxies only to those).
func (s *Server) endpointPod(ctx context.Context, ns string, a api.EndpointAddress) *api.Pod {
	ref := a.TargetRef
	if ref == nil || ref.Kind != "Pod" {
		return nil
	}
	if ref.Namespace != "" {
		ns = ref.Namespace
	}
	pod, err := s.storedPod(ctx, ns, ref.Name)
	if err != nil {
		return nil
	}
	if pod.Status.PodIP == a.IP {
		return pod
	}
	for _, ip := range pod.Status.PodIPs {
		if ip.IP == a.IP {
			return pod
		}
	}
	return nil
}

// nodeProxyTarget is where nodes/proxy of node name goes: its kubelet
// (no port, or the kubelet's), reached as the API server with its client
// certificate, or another port of its InternalIP (http unless the scheme
// says https).
func (s *Server) nodeProxyTarget(ctx context.Context, name, scheme, port string) (*url.URL, http.RoundTripper, error) {
	var node api.Node
	if err := s.storedTyped(ctx, "nodes", "", name, &node); err != nil {
		return nil, nil, err
	}
	host := ""
	for _, a := range node.Status.Addresses {
		if a.Type == "InternalIP" {
			host = a.Address
		}
	}
	if host == "" {
		return nil, nil, newStatus(http.StatusServiceUnavailable, api.StatusReasonServiceUnavailable,
			fmt.Sprintf("node %q has no InternalIP address", name))
	}
	kp := strconv.Itoa(int(node.Status.DaemonEndpoints.KubeletEndpoint.Port))
	if port == "" || port == kp {
		addr, err := s.kubeletAddr(ctx, name, "")
		if err != nil {
			return nil, nil, err
		}
		return &url.URL{Scheme: "https", Host: addr}, s.deps.KubeletTransport, nil
	}
	if scheme == "" {
		scheme = "http"
	}
	return &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}, directTransport, nil
}

// directTransport reaches a node's other ports. Like Kubernetes' proxy
// transport it does not verify the backend's certificate: a pod or node
// port serves whatever certificate it has, which names no cluster address.
var directTransport http.RoundTripper = &http.Transport{
	Proxy:               nil,
	DialContext:         (&net.Dialer{Timeout: proxyDialTimeout}).DialContext,
	TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as kube-apiserver's proxy transport
	TLSHandshakeTimeout: 10 * time.Second,
	IdleConnTimeout:     30 * time.Second,
}

// proxyDialTimeout bounds dialing a proxy's backend: a dead address is a
// 503 after this long rather than a hang.
const proxyDialTimeout = 10 * time.Second

// storedPod reads a pod from the store.
func (s *Server) storedPod(ctx context.Context, ns, name string) (*api.Pod, error) {
	var pod api.Pod
	if err := s.storedTyped(ctx, "pods", ns, name, &pod); err != nil {
		return nil, err
	}
	return &pod, nil
}

// storedTyped reads an object of a built-in kind from the store into v.
func (s *Server) storedTyped(ctx context.Context, resource, ns, name string, v any) error {
	rec, err := s.deps.Store.Get(ctx, store.Key{Resource: resource, Namespace: ns, Name: name})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(rec.Value, v); err != nil {
		return fmt.Errorf("decode stored %s %s/%s: %w", resource, ns, name, err)
	}
	return nil
}

// drainStatus reads the message of a Status error response.
func drainStatus(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var st api.Status
	if json.Unmarshal(b, &st) == nil && st.Message != "" {
		return st.Message
	}
	if len(b) > 0 {
		return strings.TrimSpace(string(b))
	}
	return resp.Status
}
