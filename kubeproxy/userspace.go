package kubeproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// Userspace is the fallback data plane where the host's packet filter
// cannot be programmed (no CAP_NET_ADMIN, no nftables, Docker Desktop's
// VM): a TCP listener on Address:<nodePort> per node port, which accepts
// connections and splices each to an endpoint picked round robin. Cluster
// IPs are not reachable in this mode (nothing intercepts their traffic),
// nor are UDP node ports. A port whose endpoints all vanish has its
// listener closed, so connections are refused rather than left hanging.
type Userspace struct {
	addr string
	log  zerolog.Logger

	mu        sync.Mutex
	listeners map[uint16]*usListener
	wg        sync.WaitGroup
}

var _ Backend = (*Userspace)(nil)

// NewUserspace returns a userspace backend listening on address (the
// node's InternalIP).
func NewUserspace(address string, log zerolog.Logger) *Userspace {
	return &Userspace{addr: address, log: log, listeners: map[uint16]*usListener{}}
}

// Name is "userspace".
func (u *Userspace) Name() string { return ModeUserspace }

type usListener struct {
	ln   net.Listener
	key  string
	eps  atomic.Pointer[[]netip.AddrPort]
	next atomic.Uint64
	done chan struct{}
}

// Sync opens a listener for each TCP node port with endpoints, updates the
// endpoints of open ones and closes the rest.
func (u *Userspace) Sync(_ context.Context, ports []ServicePort) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	want := map[uint16]*ServicePort{}
	for i := range ports {
		sp := &ports[i]
		if sp.NodePort != 0 && sp.Protocol == api.ProtocolTCP && len(sp.Endpoints) > 0 {
			want[sp.NodePort] = sp
		}
	}
	for port, l := range u.listeners {
		if want[port] == nil {
			l.close()
			delete(u.listeners, port)
		}
	}
	var errs []error
	for port, sp := range want {
		eps := sp.Endpoints
		if l := u.listeners[port]; l != nil {
			l.eps.Store(&eps)
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(u.addr, strconv.Itoa(int(port))))
		if err != nil {
			errs = append(errs, fmt.Errorf("node port %d of %s: %w", port, sp.Key(), err))
			continue
		}
		l := &usListener{ln: ln, key: sp.Key(), done: make(chan struct{})}
		l.eps.Store(&eps)
		u.listeners[port] = l
		u.wg.Go(func() { u.accept(l) })
	}
	return errors.Join(errs...)
}

// Cleanup closes every listener and waits for their connections to end.
func (u *Userspace) Cleanup() error {
	u.mu.Lock()
	for port, l := range u.listeners {
		l.close()
		delete(u.listeners, port)
	}
	u.mu.Unlock()
	u.wg.Wait()
	return nil
}

func (l *usListener) close() {
	close(l.done)
	_ = l.ln.Close()
}

func (u *Userspace) accept(l *usListener) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		eps := *l.eps.Load()
		ep := eps[int(l.next.Add(1)-1)%len(eps)]
		u.wg.Go(func() { u.splice(l, c, ep) })
	}
}

// splice copies both ways between the client and the endpoint until both
// sides are done, or the listener is closed.
func (u *Userspace) splice(l *usListener, c net.Conn, ep netip.AddrPort) {
	defer c.Close()
	b, err := net.DialTimeout("tcp", ep.String(), 5*time.Second)
	if err != nil {
		u.log.Debug().Err(err).Str("service", l.key).Msg("dial endpoint")
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	for range 2 {
		select {
		case <-done:
		case <-l.done:
			return
		}
	}
}
