package apiserver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/apiserver/audit"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/discovery"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/limits"
	"github.com/minik8s/minik8s/apiserver/metrics"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
	"github.com/minik8s/minik8s/apiserver/resourcemetrics"
	"github.com/minik8s/minik8s/apiserver/satoken"
	"github.com/minik8s/minik8s/apiserver/servicealloc"
	"github.com/minik8s/minik8s/internal/growstack"
	"github.com/minik8s/minik8s/internal/httpserver"
	"github.com/minik8s/minik8s/store"
)

// Bus carries committed changes between API servers (in-process or Redis).
type Bus = hub.Bus

// Config is the API server's own configuration.
type Config struct {
	// Listen is the address to serve on, host:port.
	Listen string `yaml:"listen"`
	// HTTP sets the connection timeouts and cap.
	HTTP httpserver.Config `yaml:"http"`
	// Limits are the per-user rate limit, in-flight cap and body size cap.
	Limits limits.Config `yaml:"limits"`
	// BookmarkInterval is how often a watch that asked for bookmarks gets one.
	BookmarkInterval time.Duration `yaml:"bookmarkInterval"`
	// WatchCacheBytes bounds the memory of the recent changes the watch
	// hub keeps for new watches to replay (older ones replay from the
	// change log).
	WatchCacheBytes int64 `yaml:"watchCacheBytes"`
	// WatchQueueBytes bounds the changes queued for one watch whose client
	// reads too slowly; beyond it the watch ends and its client watches
	// again from the last revision it got.
	WatchQueueBytes int64 `yaml:"watchQueueBytes"`
	// CompactInterval is how often the change log is compacted (0: never).
	CompactInterval time.Duration `yaml:"compactInterval"`
	// ShutdownTimeout bounds the graceful shutdown of the HTTP server.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
	// Audit turns the audit log on (off by default).
	Audit audit.Config `yaml:"audit"`
	// ServiceAccountIssuer is the iss of the service account tokens the
	// server issues, and the audience they are for ("": satoken's
	// DefaultIssuer).
	ServiceAccountIssuer string `yaml:"serviceAccountIssuer"`
	// StallTimeout bounds each write of a long-running stream (watch,
	// followed log): a client that reads nothing for that long is cut off.
	StallTimeout time.Duration `yaml:"stallTimeout"`
	// AuthorizationMode is "Node,RBAC" (Kubernetes' usual mode; the
	// default) or "AlwaysAllow" (every authenticated request is allowed:
	// for comparing figures).
	AuthorizationMode string `yaml:"authorizationMode"`
	// ServiceClusterIPRange is the CIDR Services' cluster IPs come from
	// (kube-apiserver's --service-cluster-ip-range); the kubernetes
	// Service gets its first address.
	ServiceClusterIPRange string `yaml:"serviceClusterIPRange"`
	// ServiceNodePortRange is the range node ports come from, FROM-TO
	// (kube-apiserver's --service-node-port-range).
	ServiceNodePortRange string `yaml:"serviceNodePortRange"`
	// ResourceMetrics tunes how metrics.k8s.io measures: how long figures
	// are served before the node agents are asked again.
	ResourceMetrics resourcemetrics.Config `yaml:"resourceMetrics"`
}

// DefaultConfig returns the defaults documented in config.yaml.
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:6443",
		HTTP:             httpserver.DefaultConfig(),
		Limits:           limits.DefaultConfig(),
		BookmarkInterval: 30 * time.Second,
		WatchCacheBytes:  hub.DefaultRingBytes,
		WatchQueueBytes:  hub.DefaultWatcherBytes,
		CompactInterval:  time.Minute,
		ShutdownTimeout:  2 * time.Second,
		StallTimeout:     10 * time.Second,
		Audit:            audit.Config{BufferSize: audit.DefaultBufferSize},

		AuthorizationMode:     AuthorizationNodeRBAC,
		ServiceClusterIPRange: servicealloc.DefaultClusterIPRange,
		ServiceNodePortRange:  servicealloc.DefaultNodePortRange,
		ResourceMetrics:       resourcemetrics.DefaultConfig(),
	}
}

// Storage is the store as the API server uses it: objects and change log.
type Storage interface {
	store.Store
	store.ChangeLog
}

// Compactor trims the change log; the SQL store is one.
type Compactor interface {
	RunCompactor(ctx context.Context, interval time.Duration) error
}

// BatchCounter counts the store's write transactions; the SQL store is one.
type BatchCounter interface {
	BatchStats() store.BatchStats
}

// Deps are the API server's collaborators, built by the caller.
type Deps struct {
	Store Storage
	// Bus must already receive the store's commits (the caller wires the
	// store's commit hook to Bus.Publish).
	Bus    Bus
	Tokens *authn.Tokens
	// Metrics is the registry /metrics serves; nil makes a private one.
	Metrics *prometheus.Registry
	// Listener, if set, is served instead of listening on Config.Listen.
	Listener net.Listener
	// Local, if set, is served too, as plain HTTP/1.1: a Unix socket that
	// only the data dir's owner can open, for the components on this
	// machine (see kubeconfig.SocketExtension). Requests on it are
	// authenticated and authorized as on Listener; they carry no client
	// certificate. Run closes it.
	Local net.Listener
	// Ready reports extra readiness checks (e.g. Redis) for /readyz.
	Ready func(ctx context.Context) error
	// ClientCAs verifies client certificates (CN the user, O the groups);
	// nil accepts none.
	ClientCAs *x509.CertPool
	// Issuer issues and verifies ServiceAccount tokens; nil: no
	// TokenRequest and no service account tokens.
	Issuer *satoken.Issuer
	// KubeletTransport reaches the node agents' log servers over HTTPS,
	// with the API server's client certificate; nil: pods/log answers 503.
	KubeletTransport http.RoundTripper
}

// Server is one API server.
type Server struct {
	cfg  Config
	deps Deps
	log  zerolog.Logger
	hub  *hub.Hub
	// The objects admission reads, cached from the watch hub.
	namespaces, limitRanges, quotas, serviceAccounts *admission.Cache
	admission                                        admission.Chain
	audit                                            *audit.Logger // nil: off
	e                                                *echo.Echo
	crds                                             *crds
	pc                                               pcCache
	// authz authorizes every request and holds the RBAC objects and the
	// Node authorizer's graph.
	authz *authorizer

	svcAlloc   *servicealloc.Allocator
	allocators map[string]allocator // by store resource

	// usage answers metrics.k8s.io; nil without KubeletTransport.
	usage *resourcemetrics.Collector

	// selectAttrs holds what watchers' selectors read of recent changes.
	selectAttrs attrCache

	// guesses counts the updates and deletes that started from the hub's
	// version of their object (guess): kept when the write went through
	// from it, reread when the write read the store and tried again.
	guesses struct{ kept, reread atomic.Int64 }

	mu   sync.Mutex
	addr string
	up   chan struct{}
}

// New validates the configuration and builds the server; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Server, error) {
	if deps.Store == nil || deps.Bus == nil || deps.Tokens == nil {
		return nil, errors.New("apiserver: store, bus and tokens are required")
	}
	if cfg.Listen == "" && deps.Listener == nil {
		return nil, errors.New("apiserver: listen address is required")
	}
	if err := cfg.HTTP.Validate(); err != nil {
		return nil, err
	}
	if cfg.BookmarkInterval <= 0 {
		cfg.BookmarkInterval = DefaultConfig().BookmarkInterval
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultConfig().ShutdownTimeout
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultConfig().StallTimeout
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	if cfg.ServiceClusterIPRange == "" {
		cfg.ServiceClusterIPRange = servicealloc.DefaultClusterIPRange
	}
	if cfg.ServiceNodePortRange == "" {
		cfg.ServiceNodePortRange = servicealloc.DefaultNodePortRange
	}
	svcAlloc, err := servicealloc.New(deps.Store, cfg.ServiceClusterIPRange, cfg.ServiceNodePortRange)
	if err != nil {
		return nil, fmt.Errorf("apiserver: %w", err)
	}
	h := hub.New(deps.Store, deps.Bus, log.With().Str("component", "watch-hub").Logger(),
		hub.WithRingBytes(cfg.WatchCacheBytes), hub.WithWatcherBytes(cfg.WatchQueueBytes), hub.WithIndex(watchIndex()))
	s := &Server{
		cfg:  cfg,
		deps: deps,
		log:  log,
		hub:  h,
		up:   make(chan struct{}),

		svcAlloc:   svcAlloc,
		allocators: map[string]allocator{servicealloc.ServicesResource: svcAlloc},
	}
	s.namespaces = admission.NewCache("namespaces", deps.Store)
	s.limitRanges = admission.NewCache("limitranges", deps.Store)
	s.quotas = admission.NewCache("resourcequotas", deps.Store)
	s.serviceAccounts = admission.NewCache("serviceaccounts", deps.Store)
	s.admission = s.admissionChain()
	if s.audit, err = audit.New(cfg.Audit, deps.Metrics, log.With().Str("component", "audit").Logger()); err != nil {
		return nil, err
	}
	crds, err := newCRDs(log.With().Str("component", "crds").Logger())
	if err != nil {
		return nil, err
	}
	if s.authz, err = newAuthorizer(cfg.AuthorizationMode); err != nil {
		return nil, err
	}
	s.authz.node.Lookup = s.lookupPodNode
	s.crds = crds
	if deps.KubeletTransport != nil {
		if cfg.ResourceMetrics == (resourcemetrics.Config{}) {
			cfg.ResourceMetrics = resourcemetrics.DefaultConfig()
		}
		if s.usage, err = resourcemetrics.New(cfg.ResourceMetrics, deps.KubeletTransport); err != nil {
			return nil, err
		}
	}
	if s.e, err = s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the HTTP handler (for tests that serve it themselves).
func (s *Server) Handler() http.Handler { return s.e }

// Addr blocks until the server listens (or ctx ends) and returns its
// address.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case <-s.up:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.addr, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Run serves until ctx is done, then shuts down gracefully. It returns nil
// on a clean stop.
func (s *Server) Run(ctx context.Context) error {
	if s.deps.Local != nil {
		defer s.deps.Local.Close()
	}
	ln := s.deps.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Listen); err != nil {
			return err
		}
	}
	if err := s.bootstrap(ctx, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	epIP, epPort := apiServerEndpoint(ln.Addr())
	if err := s.renewAPIServerLease(ctx, epIP, epPort); err != nil {
		ln.Close()
		return fmt.Errorf("write this API server's lease: %w", err)
	}
	if err := s.syncKubernetesEndpoints(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("add this API server to the kubernetes endpoints: %w", err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.up)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.hub.Run(ctx); err != nil && ctx.Err() == nil {
			errc <- err
			cancel()
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runAuthorizer(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runRepair(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runAPIServerLease(ctx, epIP, epPort)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pc.run(ctx, s.deps.Store, s.hub)
	}()
	for _, c := range s.admissionCaches() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Run(ctx, s.hub)
		}()
	}
	if s.audit != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.audit.Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.crds.run(ctx, s)
	}()
	if c, ok := s.deps.Store.(Compactor); ok && s.cfg.CompactInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.RunCompactor(ctx, s.cfg.CompactInterval)
		}()
	}
	// Each request runs on a goroutine of its own; see growstack.
	srv := httpserver.New(s.cfg.HTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		growstack.Grow()
		s.e.ServeHTTP(w, r)
	}), s.log)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	for _, l := range []net.Listener{ln, s.deps.Local} {
		if l == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
				cancel()
			}
		}()
	}
	if s.deps.Local != nil {
		s.log.Info().Str("socket", s.deps.Local.Addr().String()).Msg("API server listening on its local socket")
	}
	s.log.Info().Str("addr", s.addr).Msg("API server listening")
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer scancel()
	// Requests in flight were cancelled with ctx; connections a client
	// opened but never used count as busy for seconds, so close whatever
	// is left when the timeout ends.
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// routes builds the echo instance: metrics outermost, then
// authentication and limits, then the health endpoints and the API.
func (s *Server) routes() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.httpError

	m, err := metrics.New(s.deps.Metrics)
	if err != nil {
		return nil, err
	}
	lim, err := limits.New(s.cfg.Limits, s.deps.Metrics, s.log)
	if err != nil {
		return nil, err
	}
	if err := metrics.RegisterStoreRevision(s.deps.Metrics, func() float64 { return float64(s.hub.Revision()) }); err != nil {
		return nil, err
	}
	if err := metrics.RegisterWatchers(s.deps.Metrics, func() float64 { return float64(s.hub.Watchers()) }); err != nil {
		return nil, err
	}
	if err := metrics.RegisterWatchCacheBytes(s.deps.Metrics, func() float64 { return float64(s.hub.BufferedBytes()) }); err != nil {
		return nil, err
	}
	err = metrics.RegisterUpdateGuesses(s.deps.Metrics, map[string]func() float64{
		"kept":   func() float64 { return float64(s.guesses.kept.Load()) },
		"reread": func() float64 { return float64(s.guesses.reread.Load()) },
	})
	if err != nil {
		return nil, err
	}
	if b, ok := s.deps.Store.(BatchCounter); ok {
		stat := func(field func(store.BatchStats) uint64) func() float64 {
			return func() float64 { return float64(field(b.BatchStats())) }
		}
		err := metrics.RegisterStoreBatches(s.deps.Metrics, map[string]func() float64{
			"pipelined": stat(func(st store.BatchStats) uint64 { return st.Pipelined }),
			"in_order":  stat(func(st store.BatchStats) uint64 { return st.InOrder }),
			"retried":   stat(func(st store.BatchStats) uint64 { return st.Retried }),
			"failed":    stat(func(st store.BatchStats) uint64 { return st.Failed }),
		})
		if err != nil {
			return nil, err
		}
	}
	e.Use(reqinfo.Middleware())
	e.Use(m.Middleware(requestClass))
	e.Use(s.recoverPanics())
	authenticator := &authn.Authenticator{Tokens: s.deps.Tokens, ClientCAs: s.deps.ClientCAs}
	if s.deps.Issuer != nil {
		authenticator.ServiceAccounts = s
	}
	e.Use(authenticator.Middleware(authn.PublicPath))
	if s.audit != nil {
		e.Use(s.audit.Middleware())
	}
	e.Use(s.impersonation())
	e.Use(lim.Middleware())
	e.Use(s.authorization())
	e.Use(storePriority)

	health := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	e.GET("/healthz", health)
	e.GET("/livez", health)
	e.GET("/readyz", s.readyz)
	e.GET("/readyz/:check", s.readyz)
	e.GET("/metrics", metrics.Handler(s.deps.Metrics))
	// Profiles for "profile before optimising"; behind authentication.
	e.GET("/debug/pprof/*", echo.WrapHandler(http.HandlerFunc(pprof.Index)))
	e.GET("/debug/pprof/profile", echo.WrapHandler(http.HandlerFunc(pprof.Profile)))
	e.GET("/debug/pprof/trace", echo.WrapHandler(http.HandlerFunc(pprof.Trace)))
	if iss := s.deps.Issuer; iss != nil {
		e.GET(authn.OIDCDiscoveryPath, func(c echo.Context) error { return c.JSONBlob(http.StatusOK, iss.Discovery()) })
		e.GET(authn.OIDCJWKSPath, func(c echo.Context) error {
			return c.Blob(http.StatusOK, "application/jwk-set+json", iss.JWKS())
		})
	}
	discovery.RegisterCurrent(e, s.crds.discovery)
	e.Any("/api/*", s.serveAPI)
	e.Any("/apis/*", s.serveAPI)
	return e, nil
}

// recoverPanics turns a panic in a handler into a logged stack and a 500
// Status, as Kubernetes's API server does, instead of a connection the
// client sees reset. A panic is a bug: the log says where.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true, // the panicking goroutine's stack only
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			r := c.Request()
			s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).
				Bytes("stack", stack).Msg("panic serving a request")
			return newStatus(http.StatusInternalServerError, api.StatusReasonInternalError,
				"This request caused the API server to panic. Look in its log for details.")
		},
	})
}

// storePriority lets the control plane's requests (and probes) read the
// store on the connections held back from everyone else's, so that a flood
// of lists cannot delay a lease renewal or /readyz.
func storePriority(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if limits.ControlPlane(limits.LevelFrom(r.Context())) {
			c.SetRequest(r.WithContext(store.WithPriority(r.Context())))
		}
		return next(c)
	}
}

// requestClass classifies a request for metrics: its Kubernetes verb and
// resource.
func requestClass(c echo.Context) (verb, resource string) {
	ri, ok := infoOf(c)
	if !ok {
		return ri.Verb, ""
	}
	res := ri.Resource
	if ri.Subresource != "" {
		res += "/" + ri.Subresource
	}
	return ri.Verb, res
}

// httpError renders echo's own errors (404 routes, 405) as Status objects.
func (s *Server) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		reason := api.ReasonForCode(he.Code)
		msg := http.StatusText(he.Code)
		if he.Code == http.StatusNotFound {
			msg = "the server could not find the requested resource"
		}
		writeStatus(c, newStatus(int32(he.Code), reason, msg))
		return
	}
	_ = s.writeError(c, err, nil, "")
}

// admissionCaches are the caches admission reads, fed by the hub.
func (s *Server) admissionCaches() []*admission.Cache {
	return []*admission.Cache{s.namespaces, s.limitRanges, s.quotas, s.serviceAccounts}
}
