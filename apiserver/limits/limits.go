package limits

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// Config sets the limits. A zero field turns its check off.
type Config struct {
	// QPS is each user's sustained request rate, and Burst the number of
	// requests a user may make at once after being idle.
	QPS   float64 `json:"qps" yaml:"qps"`
	Burst int     `json:"burst" yaml:"burst"`
	// MaxInFlight caps the read-only requests running at once, and
	// MaxMutatingInFlight the mutating ones; long-running requests are not
	// counted.
	MaxInFlight         int `json:"maxInFlight" yaml:"maxInFlight"`
	MaxMutatingInFlight int `json:"maxMutatingInFlight" yaml:"maxMutatingInFlight"`
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int64 `json:"maxBodyBytes" yaml:"maxBodyBytes"`
	// BodyTimeout bounds the time a client may take to send a request body
	// (long-running requests excepted).
	BodyTimeout time.Duration `json:"bodyTimeout" yaml:"bodyTimeout"`
	// PriorityLevels are the seats of the control plane's own traffic;
	// QPS, Burst, MaxInFlight and MaxMutatingInFlight apply to everyone
	// else's (level global-default).
	PriorityLevels PriorityLevels `json:"priorityLevels" yaml:"priorityLevels"`
}

// DefaultConfig returns limits generous enough that the control plane's own
// components, which all share the admin user for now, are not throttled in
// normal use; lower them to demonstrate throttling. The in-flight caps and
// the 3 MiB body cap are kube-apiserver's defaults.
func DefaultConfig() Config {
	return Config{
		QPS:                 5000,
		Burst:               10000,
		MaxInFlight:         400,
		MaxMutatingInFlight: 200,
		MaxBodyBytes:        3 << 20,
		BodyTimeout:         10 * time.Second,
		PriorityLevels:      DefaultPriorityLevels(),
	}
}

// Validate reports the first inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.QPS < 0 || math.IsNaN(c.QPS) || math.IsInf(c.QPS, 0):
		return fmt.Errorf("limits: qps must be a finite number >= 0, got %v", c.QPS)
	case c.QPS > 0 && c.Burst < 1:
		return fmt.Errorf("limits: burst must be at least 1 when qps is set, got %d", c.Burst)
	case c.Burst < 0:
		return fmt.Errorf("limits: burst must be >= 0, got %d", c.Burst)
	case c.MaxInFlight < 0:
		return fmt.Errorf("limits: maxInFlight must be >= 0, got %d", c.MaxInFlight)
	case c.MaxMutatingInFlight < 0:
		return fmt.Errorf("limits: maxMutatingInFlight must be >= 0, got %d", c.MaxMutatingInFlight)
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("limits: maxBodyBytes must be >= 0, got %d", c.MaxBodyBytes)
	case c.BodyTimeout < 0:
		return fmt.Errorf("limits: bodyTimeout must be >= 0, got %v", c.BodyTimeout)
	}
	return c.PriorityLevels.validate()
}

// Rejection reasons, the values of apiserver_rejected_requests_total's
// reason label.
const (
	ReasonRateLimit    = "rate-limit"
	ReasonMaxInFlight  = "max-in-flight"
	ReasonBodyTooLarge = "request-too-large"
	ReasonBodyTimeout  = "request-body-timeout"
)

// sweepEvery is how often idle buckets are looked for.
const sweepEvery = time.Minute

// Limiter enforces a Config. Create it with New.
type Limiter struct {
	cfg Config
	log zerolog.Logger
	now func() time.Time // injected by tests

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
	idleAfter time.Duration // a bucket unused this long is full again

	readOnly, mutating atomic.Int64

	rejected *prometheus.CounterVec
	inFlight *prometheus.GaugeVec

	levels map[string]*level // the control plane's, by name
	flow   *flowMetrics
	users  *userMetrics
}

type bucket struct {
	lim      *rate.Limiter
	lastUsed time.Time
}

// New validates cfg and returns a Limiter whose collectors are registered
// with reg (nil: not registered). It fails if cfg is invalid or reg already
// has collectors by these names.
func New(cfg Config, reg prometheus.Registerer, log zerolog.Logger) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{
		cfg:     cfg,
		log:     log,
		now:     time.Now,
		buckets: make(map[string]*bucket),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_rejected_requests_total",
			Help: "Requests rejected by the API server's limits, by reason.",
		}, []string{"reason"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_current_inflight_requests",
			Help: "Requests running now, by kind (readOnly or mutating); long-running requests are not counted.",
		}, []string{"request_kind"}),
	}
	if cfg.QPS > 0 {
		// Evicting a bucket that has refilled changes nothing: a new one
		// starts full too.
		l.idleAfter = max(sweepEvery, time.Duration(float64(cfg.Burst)/cfg.QPS*float64(time.Second)))
	}
	for _, r := range []string{ReasonRateLimit, ReasonMaxInFlight, ReasonBodyTooLarge, ReasonBodyTimeout} {
		l.rejected.WithLabelValues(r) // export zeros, so rate() works from the start
	}
	l.flow = newFlowMetrics()
	l.users = newUserMetrics()
	l.levels = make(map[string]*level)
	for _, name := range Levels {
		n := cfg.PriorityLevels.seats(name)
		switch name {
		case LevelGlobalDefault:
			n = cfg.MaxInFlight + cfg.MaxMutatingInFlight
		case LevelExempt:
		default:
			lv := &level{name: name}
			if n > 0 {
				lv.seats = make(chan struct{}, n)
			}
			l.levels[name] = lv
		}
		l.flow.seats.WithLabelValues(name).Set(float64(n))
	}
	if reg != nil {
		cs := append([]prometheus.Collector{l.rejected, l.inFlight}, l.flow.collectors()...)
		for _, c := range append(cs, l.users.collectors()...) {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register limits metrics: %w", err)
			}
		}
	}
	return l, nil
}

// Middleware enforces the limits; see the package documentation.
func (l *Limiter) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if l.cfg.MaxBodyBytes > 0 && req.ContentLength > l.cfg.MaxBodyBytes {
				return l.tooLarge(c)
			}
			info := reqinfo.Of(req)
			u, authenticated := authn.UserFrom(req.Context())
			lvName, flow := Classify(u, authenticated, info)
			user := l.users.label(u.Name)
			h := c.Response().Header()
			h.Set("X-Kubernetes-PF-PriorityLevel-UID", uid(lvName))
			h.Set("X-Kubernetes-PF-FlowSchema-UID", uid(flow))
			req = req.WithContext(WithLevel(req.Context(), lvName))
			c.SetRequest(req)
			if lvName == LevelGlobalDefault && l.cfg.QPS > 0 {
				if wait, ok := l.take(bucketKey(req), l.now()); !ok {
					l.flow.rejected.WithLabelValues(lvName, flow, ReasonRateLimit).Inc()
					l.users.rejected.WithLabelValues(user, ReasonRateLimit).Inc()
					return l.tooMany(c, wait, ReasonRateLimit,
						"Too many requests: rate limit exceeded, please try again later.")
				}
			}
			long := info.LongRunning
			// The body is read before a seat is taken, under a deadline, so
			// that a client sending it slowly holds no seat and is cut off.
			if !long && req.ContentLength != 0 && (l.cfg.MaxBodyBytes > 0 || l.cfg.BodyTimeout > 0) {
				if err := l.bufferBody(c); err != nil {
					var mbe *http.MaxBytesError
					var ne net.Error
					switch {
					case errors.As(err, &mbe):
						return l.tooLarge(c)
					case errors.As(err, &ne) && ne.Timeout():
						return l.bodyTimeout(c)
					}
					return writeStatus(c, http.StatusBadRequest, "BadRequest",
						fmt.Sprintf("read request body: %v", err), 0)
				}
			}
			l.flow.dispatched.WithLabelValues(lvName, flow).Inc()
			l.users.dispatched.WithLabelValues(user).Inc()
			if long || lvName == LevelExempt {
				return next(c)
			}
			if lv := l.levels[lvName]; lv != nil {
				release, ok := lv.acquire(req.Context(), l.cfg.PriorityLevels.QueueWait, l.flow.inQueue.WithLabelValues(lvName, flow).Add)
				if !ok {
					l.flow.rejected.WithLabelValues(lvName, flow, "time-out").Inc()
					l.users.rejected.WithLabelValues(user, "time-out").Inc()
					return l.tooMany(c, 1, ReasonMaxInFlight, "Too many requests, please try again later.")
				}
				defer release()
			} else {
				kind, n, limit := "readOnly", &l.readOnly, l.cfg.MaxInFlight
				if mutating(req.Method) {
					kind, n, limit = "mutating", &l.mutating, l.cfg.MaxMutatingInFlight
				}
				if limit > 0 {
					if n.Add(1) > int64(limit) {
						n.Add(-1)
						l.flow.rejected.WithLabelValues(lvName, flow, "concurrency-limit").Inc()
						l.users.rejected.WithLabelValues(user, "concurrency-limit").Inc()
						return l.tooMany(c, 1, ReasonMaxInFlight, "Too many requests, please try again later.")
					}
					defer n.Add(-1)
				}
				g := l.inFlight.WithLabelValues(kind)
				g.Inc()
				defer g.Dec()
			}
			g := l.flow.executing.WithLabelValues(lvName, flow)
			g.Inc()
			defer g.Dec()
			ug := l.users.executing.WithLabelValues(user)
			ug.Inc()
			defer ug.Dec()
			return next(c)
		}
	}
}

// take takes a token from key's bucket. When the bucket is empty it takes
// nothing and returns how many whole seconds until a token is there.
func (l *Limiter) take(key string, now time.Time) (retryAfter int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		for k, b := range l.buckets {
			if now.Sub(b.lastUsed) >= l.idleAfter {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.QPS), l.cfg.Burst)}
		l.buckets[key] = b
	}
	b.lastUsed = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return 1, false // cannot happen with burst >= 1; refuse rather than wait forever
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return max(1, int(math.Ceil(d.Seconds()))), false
	}
	return 0, true
}

// bufferBody replaces the body by its content, read up to MaxBodyBytes
// within BodyTimeout: a longer body is an *http.MaxBytesError, a slower one
// a timeout net.Error.
func (l *Limiter) bufferBody(c echo.Context) error {
	req := c.Request()
	rc := http.NewResponseController(c.Response())
	if l.cfg.BodyTimeout > 0 {
		// Not supported when no connection is behind the request (tests
		// serving the handler directly): read without a deadline then.
		if err := rc.SetReadDeadline(time.Now().Add(l.cfg.BodyTimeout)); err == nil {
			// Clear it once the body is in, or net/http's background
			// read would end the request's context when it passes.
			defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
		}
	}
	var r io.Reader = req.Body
	if l.cfg.MaxBodyBytes > 0 {
		// The underlying writer, so that net/http closes the connection
		// after answering rather than draining an oversized body.
		r = http.MaxBytesReader(c.Response().Writer, req.Body, l.cfg.MaxBodyBytes)
	}
	var body []byte
	var err error
	if n := req.ContentLength; n > 0 && n <= maxPreallocated && (l.cfg.MaxBodyBytes <= 0 || n <= l.cfg.MaxBodyBytes) {
		// net/http ends the body after ContentLength bytes: one allocation.
		body = make([]byte, n)
		_, err = io.ReadFull(r, body)
	} else {
		body, err = io.ReadAll(r)
	}
	req.Body.Close()
	if err != nil {
		return err
	}
	req.Body = &Body{Reader: bytes.NewReader(body), all: body}
	req.ContentLength = int64(len(body))
	req.TransferEncoding = nil
	return nil
}

// maxPreallocated bounds the memory a request's ContentLength alone
// makes bufferBody allocate before the bytes arrive; a larger body grows
// as it comes.
const maxPreallocated = 64 << 10

// Body is a request body the limiter has read into memory; it replaces
// the request's Body.
type Body struct {
	*bytes.Reader
	all []byte
}

// Close does nothing: the body is in memory.
func (b *Body) Close() error { return nil }

// ReadAll is io.ReadAll(b) without a copy: the bytes not read yet, which
// the caller must not change.
func (b *Body) ReadAll() []byte {
	rest := b.all[len(b.all)-b.Len():]
	b.Reset(nil)
	return rest
}

func (l *Limiter) tooMany(c echo.Context, retryAfter int, reason, message string) error {
	l.rejected.WithLabelValues(reason).Inc()
	l.log.Debug().Str("reason", reason).Str("path", c.Request().URL.Path).Int("retryAfter", retryAfter).Msg("request rejected")
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
	return writeStatus(c, http.StatusTooManyRequests, "TooManyRequests", message, retryAfter)
}

func (l *Limiter) bodyTimeout(c echo.Context) error {
	l.rejected.WithLabelValues(ReasonBodyTimeout).Inc()
	l.log.Debug().Str("reason", ReasonBodyTimeout).Str("path", c.Request().URL.Path).Msg("request rejected")
	c.Response().Header().Set("Connection", "close")
	return writeStatus(c, http.StatusRequestTimeout, "Timeout",
		fmt.Sprintf("the request body was not received within %v", l.cfg.BodyTimeout), 0)
}

func (l *Limiter) tooLarge(c echo.Context) error {
	l.rejected.WithLabelValues(ReasonBodyTooLarge).Inc()
	l.log.Debug().Str("reason", ReasonBodyTooLarge).Str("path", c.Request().URL.Path).Msg("request rejected")
	return writeStatus(c, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("Request entity too large: limit is %d", l.cfg.MaxBodyBytes), 0)
}

// bucketKey names the bucket a request draws from: its user, or for an
// anonymous request its client's IP (the peer address; forwarding headers
// are not trusted).
func bucketKey(r *http.Request) string {
	if u, ok := authn.UserFrom(r.Context()); ok {
		return "user:" + u.Name
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

func mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// LongRunning reports whether r streams for as long as its client wants,
// as reqinfo decides it once per request: a watch (by any value of the watch
// parameter Kubernetes reads as true, or the legacy /api/v1/watch/… and
// /apis/G/V/watch/… paths), a pod log with follow, exec, attach,
// port-forward or proxy.
func LongRunning(r *http.Request) bool { return reqinfo.Of(r).LongRunning }
