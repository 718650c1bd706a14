package metrics

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// Kubernetes API verbs, as the classifier passed to Middleware should
// report them (reqinfo's).
const (
	VerbGet              = reqinfo.VerbGet
	VerbList             = reqinfo.VerbList
	VerbWatch            = reqinfo.VerbWatch
	VerbCreate           = reqinfo.VerbCreate
	VerbUpdate           = reqinfo.VerbUpdate
	VerbPatch            = reqinfo.VerbPatch
	VerbDelete           = reqinfo.VerbDelete
	VerbDeleteCollection = reqinfo.VerbDeleteCollection
)

// DurationBuckets are the upper bounds (seconds) of the request duration
// histogram: dense in the milliseconds where a small API server's requests
// fall, up to 10 s for slow lists.
var DurationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Classifier tells how a request counts: its Kubernetes verb (see the Verb
// constants) and its resource, with a subresource after a slash
// ("pods", "pods/log", "deployments.apps/scale"). It runs after routing, so
// it may use c.Path() and c.Param. Return "" for a request that is not for
// a resource (discovery, /healthz).
type Classifier func(c echo.Context) (verb, resource string)

// Metrics holds the request collectors registered by New.
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	longRunning *prometheus.GaugeVec
}

// New creates the request collectors and registers them with reg. It fails
// if reg already has collectors by these names, for example when New is
// called twice with one registry.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_request_total",
			Help: "Counter of API requests, by verb, resource and HTTP response code.",
		}, []string{"verb", "resource", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_request_duration_seconds",
			Help:    "Response latency of API requests in seconds, by verb and resource; long-running requests are not observed.",
			Buckets: DurationBuckets,
		}, []string{"verb", "resource"}),
		longRunning: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_longrunning_requests",
			Help: "Number of long-running requests (watches, followed logs) open now, by verb and resource.",
		}, []string{"verb", "resource"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.longRunning} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register request metrics: %w", err)
		}
	}
	return m, nil
}

// Middleware records every request in the collectors of m, classified by
// info. See the package documentation for what is counted when.
func (m *Metrics) Middleware(info Classifier) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			verb, resource := info(c)
			if !longRunning(c.Request(), verb) {
				if err := next(c); err != nil {
					c.Error(err) // write the error response now, to learn its code
				}
				m.requests.WithLabelValues(verb, resource, code(c)).Inc()
				m.duration.WithLabelValues(verb, resource).Observe(time.Since(start).Seconds())
				return nil
			}

			counted := false
			count := func() {
				if !counted {
					counted = true
					m.requests.WithLabelValues(verb, resource, code(c)).Inc()
				}
			}
			c.Response().Before(count) // the stream starts: count it now
			g := m.longRunning.WithLabelValues(verb, resource)
			g.Inc()
			defer g.Dec()
			if err := next(c); err != nil {
				c.Error(err)
			}
			count() // the handler wrote nothing through echo's WriteHeader
			return nil
		}
	}
}

// longRunning reports whether a request streams for as long as the client
// wants: a watch, or what reqinfo decided for every layer.
func longRunning(r *http.Request, verb string) bool {
	return verb == VerbWatch || reqinfo.Of(r).LongRunning
}

func code(c echo.Context) string {
	s := c.Response().Status
	if s == 0 {
		s = http.StatusOK // net/http's implicit status
	}
	return strconv.Itoa(s)
}

// RegisterWatchers registers apiserver_registered_watchers, a gauge whose
// value is n(), called at each scrape; n must be safe for concurrent use.
func RegisterWatchers(reg prometheus.Registerer, n func() float64) error {
	return register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "apiserver_registered_watchers",
		Help: "Number of watchers currently registered with the API server's watch hub.",
	}, n))
}

// RegisterWatchCacheBytes registers minik8s_watch_cache_bytes, a gauge
// whose value is n(), the memory of the changes the watch hub keeps for
// replay, called at each scrape; n must be safe for concurrent use.
func RegisterWatchCacheBytes(reg prometheus.Registerer, n func() float64) error {
	return register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "minik8s_watch_cache_bytes",
		Help: "Bytes of recent changes the watch hub keeps in memory for new watches to replay (apiserver.watchCacheBytes bounds it).",
	}, n))
}

// RegisterStoreRevision registers minik8s_store_revision, a gauge whose value
// is rev(), the store's current revision, called at each scrape; rev must be
// safe for concurrent use and should return quickly.
func RegisterStoreRevision(reg prometheus.Registerer, rev func() float64) error {
	return register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "minik8s_store_revision",
		Help: "Current revision of the store (the resourceVersion of its last write).",
	}, rev))
}

// RegisterStoreBatches registers minik8s_store_batches_total{path}, the
// store's write transactions by how they committed: one counter per path,
// whose value is counts[path](), called at each scrape. The funcs must be
// safe for concurrent use and never decrease.
func RegisterStoreBatches(reg prometheus.Registerer, counts map[string]func() float64) error {
	for _, path := range slices.Sorted(maps.Keys(counts)) {
		err := register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "minik8s_store_batches_total",
			Help:        "Write transactions of the store's committer by how they committed (see the store package).",
			ConstLabels: prometheus.Labels{"path": path},
		}, counts[path]))
		if err != nil {
			return err
		}
	}
	return nil
}

// RegisterUpdateGuesses registers minik8s_update_guesses_total{outcome},
// the writes that started from the watch hub's newest version of their
// object instead of reading the store: "kept" when the write went through
// from it, "reread" when it failed or changed nothing from it (it may have
// been behind), so the write read the store and tried again. The
// funcs are called at each scrape; they must be safe for concurrent use
// and never decrease.
func RegisterUpdateGuesses(reg prometheus.Registerer, counts map[string]func() float64) error {
	for _, outcome := range slices.Sorted(maps.Keys(counts)) {
		err := register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "minik8s_update_guesses_total",
			Help:        "Updates and deletes that started from the watch hub's newest version of the object instead of reading the store, by whether they kept it or read the store and tried again.",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, counts[outcome]))
		if err != nil {
			return err
		}
	}
	return nil
}

func register(reg prometheus.Registerer, c prometheus.Collector) error {
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("register metric: %w", err)
	}
	return nil
}

// Handler serves the metrics gathered from g (usually the *prometheus.Registry
// New registered with) in the Prometheus text or OpenMetrics format, for
// GET /metrics. A collector that fails is reported in the response, and the
// remaining metrics are still served.
func Handler(g prometheus.Gatherer) echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}))
}
