package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/minik8s/minik8s/api"
)

// podTransport reaches pod's ports through the kubelet of its node: each
// connection is a GET /connect/{namespace}/{pod}/{port} to the kubelet,
// as the API server, upgraded to a plain TCP stream the kubelet splices to
// the pod's IP and port (kubelet/exec.go). Connections are not kept for
// reuse, so nothing stays open in the kubelet or to the pod once a proxied
// request ends. HTTPS backends' certificates are not verified, as
// kube-apiserver's proxy transport does not: a pod's certificate names no
// pod IP.
func (s *Server) podTransport(pod *api.Pod) http.RoundTripper {
	return &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return s.dialPod(ctx, pod, port)
		},
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as kube-apiserver's proxy transport
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
	}
}

// dialPod opens a TCP stream to port of pod through its node's kubelet.
// The kubelet's refusal (no such pod there, a runtime without network, a
// closed port) is the error, with the kubelet's message.
func (s *Server) dialPod(ctx context.Context, pod *api.Pod, port string) (net.Conn, error) {
	if pod.Spec.NodeName == "" {
		return nil, fmt.Errorf("pod %q is not scheduled to a node", pod.Name)
	}
	addr, err := s.kubeletAddr(ctx, pod.Spec.NodeName, pod.Name)
	if err != nil {
		return nil, err
	}
	// The dial is bounded in time, but its context must outlive it: the
	// upgraded connection may belong to it.
	ctx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(proxyDialTimeout, cancel)
	u := &url.URL{Scheme: "https", Host: addr, Path: "/connect/" + pod.Namespace + "/" + pod.Name + "/" + port}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	resp, err := s.deps.KubeletTransport.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kubelet of node %s: %w", pod.Spec.NodeName, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer cancel()
		defer resp.Body.Close()
		return nil, errors.New(drainStatus(resp))
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !timer.Stop() {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("kubelet of node %s: no upgraded connection", pod.Spec.NodeName)
	}
	remote, _ := net.ResolveTCPAddr("tcp", net.JoinHostPort(pod.Status.PodIP, port))
	return &tunnelConn{ReadWriteCloser: rwc, remote: remote, cancel: cancel}, nil
}

// tunnelConn is a TCP stream to a pod carried by a kubelet's upgraded
// connection. It has no deadlines of its own: the proxy bounds it by the
// request's context, which closes it.
type tunnelConn struct {
	io.ReadWriteCloser
	remote net.Addr
	cancel context.CancelFunc
}

func (c *tunnelConn) Close() error {
	defer c.cancel()
	return c.ReadWriteCloser.Close()
}

func (c *tunnelConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *tunnelConn) RemoteAddr() net.Addr               { return c.remote }
func (c *tunnelConn) SetDeadline(_ time.Time) error      { return nil }
func (c *tunnelConn) SetReadDeadline(_ time.Time) error  { return nil }
func (c *tunnelConn) SetWriteDeadline(_ time.Time) error { return nil }
