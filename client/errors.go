package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/wait"
)

// StatusError is an error response of the API server: the Status it sent,
// or one made up from the HTTP status when the body was not a Status.
type StatusError struct {
	Status api.Status
}

func (e *StatusError) Error() string {
	if e.Status.Message != "" {
		return e.Status.Message
	}
	return fmt.Sprintf("%s (%d)", e.Status.Reason, e.Status.Code)
}

// newStatusError builds the error of a non-2xx response from its body.
func newStatusError(resp *http.Response, body []byte) *StatusError {
	var st api.Status
	if err := jsonUnmarshal(body, &st); err != nil || (st.Kind != "Status" && st.Code == 0) {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 256 {
			msg = msg[:256] + "…"
		}
		st = api.Status{
			Status:  "Failure",
			Reason:  api.ReasonForCode(resp.StatusCode),
			Message: fmt.Sprintf("the server responded with status %d: %s", resp.StatusCode, msg),
		}
	}
	if st.Code == 0 {
		st.Code = int32(resp.StatusCode)
	}
	if st.Reason == "" {
		st.Reason = api.ReasonForCode(int(st.Code))
	}
	if secs, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
		if st.Details == nil {
			st.Details = &api.StatusDetails{}
		}
		if st.Details.RetryAfterSeconds == 0 {
			st.Details.RetryAfterSeconds = int32(secs)
		}
	}
	return &StatusError{Status: st}
}

func parseRetryAfter(h string) (int, bool) {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs < 0 {
		return 0, false
	}
	return secs, true
}

// knownReasons are the reasons that decide on their own; for any other
// reason the HTTP code decides, as in client-go's errors package.
var knownReasons = map[api.StatusReason]bool{
	api.StatusReasonUnauthorized: true, api.StatusReasonForbidden: true,
	api.StatusReasonNotFound: true, api.StatusReasonAlreadyExists: true,
	api.StatusReasonConflict: true, api.StatusReasonGone: true,
	api.StatusReasonExpired: true, api.StatusReasonInvalid: true,
	api.StatusReasonBadRequest: true, api.StatusReasonMethodNotAllowed: true,
	api.StatusReasonTooManyRequests: true, api.StatusReasonInternalError: true,
	api.StatusReasonServiceUnavailable: true, api.StatusReasonTimeout: true,
	api.StatusReasonNotAcceptable: true, api.StatusReasonRequestEntityTooLarge: true,
	api.StatusReasonUnsupportedMediaType: true,
}

// is reports whether err is a StatusError with one of reasons or, when its
// reason is not a known one, with code (code 0: reason only).
func is(err error, code int32, reasons ...api.StatusReason) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	for _, r := range reasons {
		if se.Status.Reason == r {
			return true
		}
	}
	return code != 0 && !knownReasons[se.Status.Reason] && se.Status.Code == code
}

// IsNotFound reports a 404 NotFound.
func IsNotFound(err error) bool { return is(err, 404, api.StatusReasonNotFound) }

// IsConflict reports a 409 Conflict: the object changed since it was read.
func IsConflict(err error) bool { return is(err, 409, api.StatusReasonConflict) }

// IsAlreadyExists reports a 409 AlreadyExists from a create.
func IsAlreadyExists(err error) bool { return is(err, 0, api.StatusReasonAlreadyExists) }

// IsGone reports a 410: the resourceVersion asked for is older than the
// server's change log holds (reason Gone or Expired). Watchers must relist.
func IsGone(err error) bool { return is(err, 410, api.StatusReasonGone, api.StatusReasonExpired) }

// IsTooManyRequests reports a 429; RetryAfter gives the server's delay.
func IsTooManyRequests(err error) bool { return is(err, 429, api.StatusReasonTooManyRequests) }

// IsInvalid reports a 422 Invalid: the object failed validation.
func IsInvalid(err error) bool { return is(err, 422, api.StatusReasonInvalid) }

// IsUnauthorized reports a 401: the token is missing or not accepted.
func IsUnauthorized(err error) bool { return is(err, 401, api.StatusReasonUnauthorized) }

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return is(err, 403, api.StatusReasonForbidden) }

// RetryAfter returns the delay the server asked for (Retry-After, or the
// Status's retryAfterSeconds), if err carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if !errors.As(err, &se) || se.Status.Details == nil || se.Status.Details.RetryAfterSeconds <= 0 {
		return 0, false
	}
	return time.Duration(se.Status.Details.RetryAfterSeconds) * time.Second, true
}

// Backoff describes a bounded series of growing waits.
type Backoff struct {
	Steps    int           // how many times to try in all (at least 1)
	Duration time.Duration // the first wait
	Factor   float64       // each wait is the previous one times Factor (<= 1: constant)
	Jitter   float64       // each wait is lengthened by up to Jitter·wait at random
	Cap      time.Duration // waits never exceed Cap (0: no cap)
}

// DefaultRetry is client-go's retry.DefaultRetry: 5 tries, 10 ms apart.
var DefaultRetry = Backoff{Steps: 5, Duration: 10 * time.Millisecond, Factor: 1, Jitter: 0.1}

// DefaultBackoff is client-go's retry.DefaultBackoff: 4 tries, waits from
// 10 ms growing fivefold.
var DefaultBackoff = Backoff{Steps: 4, Duration: 10 * time.Millisecond, Factor: 5, Jitter: 0.1}

// wait returns the i-th wait (from 0).
func (b Backoff) wait(i int) time.Duration {
	d := float64(b.Duration)
	for range i {
		if b.Factor > 1 {
			d *= b.Factor
		}
		if b.Cap > 0 && d > float64(b.Cap) {
			d = float64(b.Cap)
			break
		}
	}
	if b.Jitter > 0 {
		d += rand.Float64() * b.Jitter * d
	}
	return time.Duration(d)
}

// OnError calls fn until it succeeds, returns an error retriable rejects,
// or backoff.Steps tries have been made; it then returns fn's last error.
// It returns ctx's error if ctx ends while waiting.
func OnError(ctx context.Context, backoff Backoff, retriable func(error) bool, fn func() error) error {
	var err error
	for i := 0; ; i++ {
		if err = fn(); err == nil || !retriable(err) || i+1 >= backoff.Steps {
			return err
		}
		if serr := wait.Sleep(ctx, backoff.wait(i)); serr != nil {
			return serr
		}
	}
}

// RetryOnConflict calls fn, a read-modify-write of one object, again while
// it fails with a 409 Conflict, as client-go's retry.RetryOnConflict. fn
// must re-read the object each time. After backoff.Steps conflicts the last
// conflict is returned; any other error is returned at once.
func RetryOnConflict(ctx context.Context, backoff Backoff, fn func() error) error {
	return OnError(ctx, backoff, IsConflict, fn)
}
