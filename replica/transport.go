package replica

import (
	"net/http"
)

// Transport returns base wrapped for the replica's API client, for roles
// that act through a client rather than a gate (the controller manager).
// Each request first waits while the replica is frozen, whatever its
// context, as a stopped process would send nothing; it then fails with the
// context's error if that ended meanwhile. A write (any method but GET,
// HEAD and OPTIONS) must then pass Gate, so a replica that lost its lease,
// or resumed after it expired, writes nothing; its error wraps
// ErrLeaseExpired. Reads pass, so informers keep working. The replica's
// lock must not use this client: a standby's campaign is a write.
func (r *Replica) Transport(base http.RoundTripper) http.RoundTripper {
	return gatedTransport{base: base, r: r}
}

type gatedTransport struct {
	base http.RoundTripper
	r    *Replica
}

func (t gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	err := t.r.hold.stall(ctx)
	if err == nil {
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			err = t.r.Gate(ctx)
		}
	}
	if err != nil {
		// RoundTrip must close the body, even when it fails.
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}
