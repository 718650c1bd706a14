package replica

import (
	"context"
	"net/http"
	"time"

	"github.com/minik8s/minik8s/internal/closer"
)

// writeGrace bounds how long a write already sent is still awaited once
// its caller has given up on it (see Transport).
const writeGrace = 5 * time.Second

// Transport returns base wrapped for the replica's API client, for roles
// that act through a client rather than a gate (the controller manager).
// Each request first waits while the replica is frozen, whatever its
// context, as a stopped process would send nothing; it then fails with the
// context's error if that ended meanwhile. A write (any method but GET,
// HEAD and OPTIONS) must then pass Gate, so a replica that lost its lease,
// or resumed after it expired, writes nothing; its error wraps
// ErrLeaseExpired. Reads pass, so informers keep working. The replica's
// lock must not use this client: a standby's campaign is a write.
//
// A write once sent is awaited until the server answers, for up to
// writeGrace after its caller's context ends. A cancelled request may
// still be applied by the server, so without this a replica that stops
// could release its lease, and a standby list the pods, before a create it
// gave up on lands: the new leader would then create that pod again.
func (r *Replica) Transport(base http.RoundTripper) http.RoundTripper {
	return gatedTransport{base: base, r: r}
}

type gatedTransport struct {
	base http.RoundTripper
	r    *Replica
}

func (t gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	write := req.Method != http.MethodGet && req.Method != http.MethodHead && req.Method != http.MethodOptions
	err := t.r.hold.stall(ctx)
	if err == nil && write {
		err = t.r.Gate(ctx)
	}
	if err != nil {
		// RoundTrip must close the body, even when it fails.
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	if !write {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := outlive(ctx, writeGrace)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The body is the connection (an io.ReadWriteCloser): leave it
		// whole; the context ends writeGrace after the caller's.
		return resp, nil
	}
	resp.Body = closer.CancelOnClose(resp.Body, cancel)
	return resp, nil
}

// outlive returns a context that ends grace after parent does (or when
// cancel is called), and carries parent's values.
func outlive(parent context.Context, grace time.Duration) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancelCtx := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() { time.AfterFunc(grace, cancelCtx) })
	return ctx, func() { stop(); cancelCtx() }
}
