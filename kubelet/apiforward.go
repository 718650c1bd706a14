package kubelet

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Pods reach the API server at an address of the node that their network
// routes to: Docker's bridge gateway. Unless Config.PodAPIServer names
// one, the kubelet listens on the gateway at the API server's own port
// and forwards each connection, unread, to the API server (TLS goes end
// to end: the API server's certificate names the gateway's address). The
// kubernetes Service's variables (KUBERNETES_SERVICE_HOST and _PORT) point
// pods there, so rest.InClusterConfig works in a container. If the
// address is taken (another kubelet of this host forwards already, or the
// API server listens on all addresses), pods use it as it is.

// podAPIAddress returns the host and port pods reach the API server at,
// starting the forwarder when needed; "" when no node runs real
// containers.
func (k *Kubelet) podAPIAddress(ctx context.Context, wg *sync.WaitGroup) (string, int32) {
	if k.cfg.PodAPIServer != "" {
		host, port, err := net.SplitHostPort(k.cfg.PodAPIServer)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil {
			k.log.Warn().Str("podAPIServer", k.cfg.PodAPIServer).Msg("podAPIServer is not host:port; pods get the kubernetes Service's address")
			return "", 0
		}
		return host, int32(p)
	}
	var gw runtime.HostGateway
	for _, n := range k.order {
		if g, ok := n.Runtime.(runtime.HostGateway); ok && !n.Simulated {
			gw = g
			break
		}
	}
	if gw == nil {
		return "", 0
	}
	ip, err := gw.GatewayIP(ctx)
	if err != nil {
		k.log.Warn().Err(err).Msg("no address for pods to reach the API server at")
		return "", 0
	}
	server := k.c.Server()
	target := server.Host
	if server.Port() == "" {
		target = net.JoinHostPort(server.Hostname(), "443")
	}
	_, port, _ := net.SplitHostPort(target)
	p, _ := strconv.Atoi(port)
	addr := net.JoinHostPort(ip, port)
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		k.log.Info().Str("address", addr).Msg("pods reach the API server at an address already served on this host")
		return ip, int32(p)
	case err != nil:
		k.log.Warn().Err(err).Str("address", addr).Msg("cannot listen for pods' API requests")
		return "", 0
	}
	k.log.Info().Str("address", addr).Str("apiserver", target).Msg("forwarding pods' API connections")
	wg.Go(func() { forward(ctx, ln, target) })
	return ip, int32(p)
}

// forward accepts connections on ln until ctx ends and copies each to and
// from a new connection to target.
func forward(ctx context.Context, ln net.Listener, target string) {
	var conns sync.WaitGroup
	defer conns.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		conns.Go(func() {
			defer c.Close()
			d := net.Dialer{Timeout: 5 * time.Second}
			up, err := d.DialContext(ctx, "tcp", target)
			if err != nil {
				return
			}
			defer up.Close()
			stop := context.AfterFunc(ctx, func() { c.Close(); up.Close() })
			defer stop()
			done := make(chan struct{})
			go func() {
				_, _ = io.Copy(up, c)
				if tc, ok := up.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				close(done)
			}()
			_, _ = io.Copy(c, up)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			<-done
		})
	}
}
