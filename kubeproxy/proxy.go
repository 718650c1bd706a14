package kubeproxy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// Backend programs the host for the Service ports (a data plane).
type Backend interface {
	// Name is the mode's name for logs: nftables or userspace.
	Name() string
	// Sync makes the host carry exactly ports; called again with the
	// same ports it changes nothing.
	Sync(ctx context.Context, ports []ServicePort) error
	// Cleanup removes everything the backend added to the host.
	Cleanup() error
}

// Config tunes the proxy.
type Config struct {
	// Mode picks the data plane: auto (nftables when the host lets us,
	// else userspace), nftables, userspace, or off (no proxy, no DNS).
	// auto is off on simulated nodes, whose pods have no network.
	Mode string `yaml:"mode"`
	// ClusterDomain is the DNS domain of Services: cluster.local.
	ClusterDomain string `yaml:"clusterDomain"`
	// SyncPeriod re-programs the host even when nothing changed, to repair
	// rules someone else removed.
	SyncPeriod time.Duration `yaml:"syncPeriod"`
}

// Modes.
const (
	ModeAuto      = "auto"
	ModeNftables  = "nftables"
	ModeUserspace = "userspace"
	ModeOff       = "off"
)

// DefaultConfig returns mode auto, cluster.local and a 30 s resync.
func DefaultConfig() Config {
	return Config{Mode: ModeAuto, ClusterDomain: "cluster.local", SyncPeriod: 30 * time.Second}
}

// Validate reports settings the proxy cannot run with.
func (c Config) Validate() error {
	switch c.Mode {
	case ModeAuto, ModeNftables, ModeUserspace, ModeOff:
	default:
		return fmt.Errorf("proxy mode %q: want auto, nftables, userspace or off", c.Mode)
	}
	if c.ClusterDomain == "" {
		return errors.New("proxy clusterDomain is empty")
	}
	if c.SyncPeriod <= 0 {
		return errors.New("proxy syncPeriod must be positive")
	}
	return nil
}

// Deps are what a Proxy works with.
type Deps struct {
	// Client reads Services and EndpointSlices (a node may list and watch
	// both).
	Client *client.Client
	// Backend programs the host.
	Backend Backend
	// DNS, if set, is served (see DNS) and its virtual address, when it
	// has one, programmed like a Service port.
	DNS *DNS
}

// Proxy keeps the host's data plane in line with the cluster's Services;
// see the package doc.
type Proxy struct {
	cfg     Config
	log     zerolog.Logger
	backend Backend
	dns     *DNS
	svcs    *informer.Informer[*api.Service]
	slices  *informer.Informer[*api.EndpointSlice]
	queue   *workqueue.Queue[string]

	mu      sync.Mutex
	applied []ServicePort // last state the backend took
	synced  bool
}

// Index of EndpointSlices by namespace/service.
const indexService = "service"

// New validates cfg and builds a proxy; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.Backend == nil {
		return nil, errors.New("new proxy: a client and a backend are required")
	}
	p := &Proxy{cfg: cfg, log: log, backend: deps.Backend, dns: deps.DNS}
	p.svcs = informer.New(client.ListWatch(deps.Client.Services(""), client.ListOptions{}), cfg.SyncPeriod).
		WithLogger(log.With().Str("informer", "services").Logger())
	p.slices = informer.New(client.ListWatch(deps.Client.EndpointSlices(""), client.ListOptions{}), cfg.SyncPeriod,
		informer.Indexer[*api.EndpointSlice]{Name: indexService, Func: func(s *api.EndpointSlice) []string {
			if n := s.Labels[api.LabelServiceName]; n != "" {
				return []string{s.Namespace + "/" + n}
			}
			return nil
		}}).WithLogger(log.With().Str("informer", "endpointslices").Logger())
	p.queue = workqueue.New(workqueue.Config[string]{
		RateLimiter: workqueue.NewExponential[string](100*time.Millisecond, 30*time.Second),
	})
	enqueueSvc := informer.HandlerFuncs[*api.Service]{
		AddFunc: func(*api.Service) { p.queue.Add(syncKey) }, UpdateFunc: func(_, _ *api.Service) { p.queue.Add(syncKey) },
		DeleteFunc: func(*api.Service) { p.queue.Add(syncKey) }}
	enqueueSlice := informer.HandlerFuncs[*api.EndpointSlice]{
		AddFunc: func(*api.EndpointSlice) { p.queue.Add(syncKey) }, UpdateFunc: func(_, _ *api.EndpointSlice) { p.queue.Add(syncKey) },
		DeleteFunc: func(*api.EndpointSlice) { p.queue.Add(syncKey) }}
	p.svcs.AddHandler(enqueueSvc)
	p.slices.AddHandler(enqueueSlice)
	if p.dns != nil {
		p.dns.svcs, p.dns.slices = p.svcs, p.slices
	}
	return p, nil
}

// syncKey is the one key of the queue: every change re-computes the whole
// state (a few hundred ports at most), and the queue folds a burst of
// changes into one sync.
const syncKey = "all"

// Synced reports whether the backend has taken the cluster's state once.
func (p *Proxy) Synced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.synced
}

// Run watches Services and EndpointSlices and programs the backend until
// ctx is done, then removes what the backend added (a clean stop leaves
// the host as it found it). It returns nil then.
func (p *Proxy) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		p.queue.ShutDown()
		wg.Wait()
		if err := p.backend.Cleanup(); err != nil {
			p.log.Error().Err(err).Msg("clean up the host's Service rules")
		} else {
			p.log.Info().Str("mode", p.backend.Name()).Msg("Service rules removed")
		}
	}()
	if p.dns != nil {
		if err := p.dns.listen(); err != nil {
			// Services still carry traffic; only names do not resolve.
			p.log.Error().Err(err).Msg("no cluster DNS")
		} else {
			wg.Go(func() { p.dns.serve(ctx) })
		}
	}
	wg.Go(func() { _ = p.svcs.Run(ctx) })
	wg.Go(func() { _ = p.slices.Run(ctx) })
	if !informer.WaitForCacheSync(ctx, p.svcs.HasSynced, p.slices.HasSynced) {
		return nil
	}
	p.log.Info().Str("mode", p.backend.Name()).Msg("proxy synced its caches")
	p.queue.Add(syncKey)
	wg.Go(func() {
		<-ctx.Done()
		p.queue.ShutDown() // ends the loop below
	})
	wg.Go(func() {
		t := time.NewTicker(p.cfg.SyncPeriod)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.mu.Lock()
				p.applied = nil // force a full re-program
				p.mu.Unlock()
				p.queue.Add(syncKey)
			}
		}
	})
	for {
		key, shutdown := p.queue.Get()
		if shutdown {
			return nil
		}
		if err := p.sync(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn().Err(err).Msg("program Services; retrying")
			p.queue.AddRateLimited(key)
		} else {
			p.queue.Forget(key)
		}
		p.queue.Done(key)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// State is what the backend is given: the cluster's Service ports, plus
// the DNS server's virtual address when it has one.
func (p *Proxy) State() []ServicePort {
	ports := BuildState(p.svcs.List(), p.slices.List())
	if p.dns != nil {
		ports = append(ports, p.dns.servicePorts()...)
	}
	return ports
}

func (p *Proxy) sync(ctx context.Context) error {
	ports := p.State()
	p.mu.Lock()
	same := p.applied != nil && reflect.DeepEqual(p.applied, ports)
	p.mu.Unlock()
	if same {
		return nil
	}
	start := time.Now()
	if err := p.backend.Sync(ctx, ports); err != nil {
		return err
	}
	p.mu.Lock()
	p.applied, p.synced = ports, true
	p.mu.Unlock()
	p.log.Debug().Int("ports", len(ports)).Dur("took", time.Since(start)).Msg("Service rules programmed")
	return nil
}

// Addr4 parses an IPv4 address, the zero Addr when s is not one.
func addr4(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}
	}
	return a
}
