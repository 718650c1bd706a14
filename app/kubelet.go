package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/kubelet"
	"github.com/minik8s/minik8s/kubelet/docker"
	"github.com/minik8s/minik8s/kubelet/sim"
	"github.com/minik8s/minik8s/kubeproxy"
	"github.com/minik8s/minik8s/pki"
)

// Container runtimes a kubelet can use.
const (
	RuntimeAuto   = "auto"
	RuntimeDocker = "docker"
	RuntimeSim    = "sim"
)

// KubeletConfig configures the kubelet role: the nodes one process runs
// and their runtime.
type KubeletConfig struct {
	kubelet.Config `yaml:",inline"`
	// NodeName names the node; when a process runs several, they are
	// NodeName-1 … NodeName-K. Empty: the host name.
	NodeName string `yaml:"nodeName"`
	// Runtime is docker, sim, or auto (Docker when its engine answers,
	// else sim).
	Runtime string `yaml:"runtime"`
	// Docker configures the Docker runtime (its NodeName is set per node).
	Docker docker.Config `yaml:"docker"`
	// Sim configures each simulated node (its PodCIDR is set per node).
	Sim sim.Config `yaml:"sim"`
	// KubeAPIQPS and KubeAPIBurst rate-limit the process's API client,
	// which all its nodes share.
	KubeAPIQPS   float32 `yaml:"kubeAPIQPS"`
	KubeAPIBurst int     `yaml:"kubeAPIBurst"`
	// Zones spreads the process's nodes over this many zones, round robin:
	// node i gets topology.kubernetes.io/zone=<Region><a+i mod Zones> and
	// topology.kubernetes.io/region=<Region>. 0: no topology labels.
	Zones int `yaml:"zones"`
	// Region is the region of those zones.
	Region string `yaml:"region"`
	// Proxy configures the node agent's kube-proxy and cluster DNS.
	Proxy kubeproxy.Config `yaml:"proxy"`
}

// topologyLabels adds node i's zone and region labels to l.
func (kc KubeletConfig) topologyLabels(i int, l map[string]string) {
	if kc.Zones < 1 {
		return
	}
	l[LabelZone] = kc.Region + string(rune('a'+i%kc.Zones))
	l[LabelRegion] = kc.Region
}

// Well-known topology labels of nodes.
const (
	LabelZone   = "topology.kubernetes.io/zone"
	LabelRegion = "topology.kubernetes.io/region"
)

// DefaultKubeletConfig returns the kubelet's defaults: runtime auto, the
// kubelet package's defaults, and a client allowed 1000 requests per
// second (burst 2000), enough for a thousand simulated nodes.
func DefaultKubeletConfig() KubeletConfig {
	return KubeletConfig{
		Config:       kubelet.DefaultConfig(),
		Runtime:      RuntimeAuto,
		Docker:       docker.DefaultConfig(),
		Sim:          sim.DefaultConfig(),
		KubeAPIQPS:   1000,
		KubeAPIBurst: 2000,
		Region:       "region-1",
		Proxy:        kubeproxy.DefaultConfig(),
	}
}

// Validate checks the settings a user can get wrong.
func (c KubeletConfig) Validate() error {
	switch c.Runtime {
	case RuntimeAuto, RuntimeDocker, RuntimeSim:
	default:
		return fmt.Errorf("--runtime %q must be docker, sim or auto", c.Runtime)
	}
	if c.Zones < 0 || c.Zones > 26 {
		return fmt.Errorf("--zones %d must be 0 (none) to 26", c.Zones)
	}
	if c.Zones > 0 && c.Region == "" {
		return errors.New("kubelet.region must not be empty when zones are set")
	}
	if err := c.Proxy.Validate(); err != nil {
		return fmt.Errorf("kubelet.proxy: %w", err)
	}
	return c.Config.Validate()
}

// Docker containers run exec probes.
var _ kubelet.Execer = (*docker.Runtime)(nil)

// LabelRuntime on a Node names its runtime: docker or sim.
const LabelRuntime = "node.minik8s.io/runtime"

// perNodeRecorders is the most nodes that get an event recorder each (so
// that events name their node as source.host); more nodes share one.
const perNodeRecorders = 10

// NewKubelets builds one kubelet process running nodes nodes (named as
// KubeletConfig.NodeName says) on the runtime kc.Runtime selects, with
// kc's settings, reaching the API server through cfg's kubeconfig. It
// returns the functions to run (the kubelet and its event recorders) and
// which runtime it picked and why, for the start-up log. It reads the
// kubeconfig, so the API server must have written it.
func NewKubelets(ctx context.Context, cfg Config, kc KubeletConfig, nodes int, log zerolog.Logger) ([]func(context.Context) error, PickedRuntime, error) {
	if nodes < 1 {
		return nil, PickedRuntime{}, fmt.Errorf("kubelet nodes %d: want at least 1", nodes)
	}
	if err := kc.Validate(); err != nil {
		return nil, PickedRuntime{}, err
	}
	rt, why := kc.Runtime, kc.Runtime+" runtime, as --runtime asks"
	if rt == RuntimeAuto {
		if docker.Available(ctx, kc.Docker.Host) {
			rt, why = RuntimeDocker, "docker runtime: --runtime auto found a Docker engine"
		} else {
			rt, why = RuntimeSim, "sim runtime: --runtime auto found no Docker engine, so nodes are simulated"
		}
	}
	base := kc.NodeName
	if base == "" {
		var err error
		if base, err = os.Hostname(); err != nil || base == "" {
			base = "minik8s-node"
		}
	}
	nodeName := func(i int) string {
		if nodes > 1 {
			return base + "-" + strconv.Itoa(i+1)
		}
		return base
	}
	// One client for the process's nodes, one connection pool and one
	// request budget; each node authenticates as itself
	// (system:node:<name>, client.WithToken), as the Node authorizer
	// requires. The shared pod watch runs as the first node (a node may
	// watch every pod).
	klog := log.With().Str("component", "kubelet").Logger()
	kcPath, err := cfg.ComponentKubeconfig(klog, authn.NodeUser(nodeName(0)), authn.NodesGroup)
	if err != nil {
		return nil, PickedRuntime{}, err
	}
	c, err := client.FromKubeconfig(kcPath, kc.KubeAPIQPS, kc.KubeAPIBurst)
	if err != nil {
		return nil, PickedRuntime{}, fmt.Errorf("build API client: %w", err)
	}
	c = c.WithUserAgent(client.UserAgent("kubelet"))
	users := make([]string, nodes)
	for i := range users {
		users[i] = authn.NodeUser(nodeName(i))
	}
	tokens, ownTokens, err := cfg.ComponentTokens(users, authn.NodesGroup)
	if err != nil {
		return nil, PickedRuntime{}, err
	}
	nodeClient := func(i int) *client.Client {
		if !ownTokens {
			return c
		}
		return c.WithToken(tokens[i])
	}
	var (
		fns     []func(context.Context) error
		closers []func() error
		shared  *events.Recorder
	)
	recorder := func(host string, nc *client.Client) kubelet.EventRecorder {
		if nodes > perNodeRecorders {
			if shared == nil {
				shared = events.New(events.ClientSink(c), events.Config{Source: "kubelet"}, klog)
				fns = append(fns, shared.Run)
			}
			return shared
		}
		r := events.New(events.ClientSink(nc), events.Config{Source: "kubelet", Host: host, Workers: 1}, klog)
		fns = append(fns, r.Run)
		return r
	}
	// The log server's certificate comes from the cluster CA, which the
	// API server verifies it by, and it accepts the API server's client
	// certificate from the same CA.
	ca, err := pki.LoadCA(cfg.DataDir)
	if err != nil {
		return nil, PickedRuntime{}, fmt.Errorf("kubelet log server: %w", err)
	}
	serving, err := ca.ServingCert(authn.NodeUser(base), pki.DefaultHosts(kc.Address))
	if err != nil {
		return nil, PickedRuntime{}, fmt.Errorf("kubelet log server: %w", err)
	}
	deps := kubelet.Deps{Client: c, TLS: ca.ServerTLS(serving)}
	// The node agent controls (stop, freeze) take the admin token, as the
	// scheduler's and controller manager's ports do; a kubelet without the
	// cluster's token file (on another machine) serves none.
	if tokens, err := authn.Load(cfg.TokenFile()); err == nil {
		deps.AdminTokens = tokens
	} else {
		klog.Info().Err(err).Msg("node agent controls off: no token file")
	}
	cluster := ""
	if rt == RuntimeDocker {
		if cluster, err = clusterID(cfg.ClientKubeconfig()); err != nil {
			return nil, PickedRuntime{}, err
		}
	}
	proxy, err := planProxy(ctx, cfg, kc, rt, cluster, c.WithUserAgent(client.UserAgent("kube-proxy")), klog)
	if err != nil {
		return nil, PickedRuntime{}, err
	}
	if proxy.run != nil {
		fns = append(fns, proxy.run)
	}
	var dockerRT *docker.Runtime // any of the nodes' Docker runtimes, to build images
	for i := range nodes {
		name := nodeName(i)
		nc := nodeClient(i)
		n := kubelet.Node{Name: name, Client: nc, Events: recorder(name, nc), Labels: map[string]string{LabelRuntime: rt}}
		kc.topologyLabels(i, n.Labels)
		switch rt {
		case RuntimeDocker:
			dc := kc.Docker
			dc.NodeName, dc.Cluster, dc.DNS = name, cluster, proxy.dns
			r, err := docker.New(dc, klog.With().Str("node", name).Logger())
			if err != nil {
				for _, cl := range closers {
					_ = cl()
				}
				return nil, PickedRuntime{}, err
			}
			closers = append(closers, r.Close)
			n.Runtime, dockerRT = r, r
		default:
			sc := kc.Sim
			sc.PodCIDR = sim.NodePodCIDR(i)
			r, err := sim.New(sc, klog.With().Str("node", name).Logger())
			if err != nil {
				return nil, PickedRuntime{}, err
			}
			n.Runtime, n.Simulated = r, true
		}
		deps.Nodes = append(deps.Nodes, n)
	}
	if kc.RootDir == "" {
		kc.RootDir = filepath.Join(cfg.DataDir, "kubelet")
	}
	k, err := kubelet.New(kc.Config, deps, klog)
	if err != nil {
		for _, cl := range closers {
			_ = cl()
		}
		return nil, PickedRuntime{}, err
	}
	fns = append(fns, func(ctx context.Context) error {
		defer func() {
			for _, cl := range closers {
				_ = cl()
			}
		}()
		err := k.Run(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	picked := PickedRuntime{Name: rt, Why: why, DemoImage: "nginx:1.27", Proxy: proxy.mode}
	if rt == RuntimeDocker {
		// No registry to pull from: offer an image built from this binary.
		if err := dockerRT.EnsureDemoImage(ctx); err != nil {
			klog.Warn().Err(err).Msg("could not build the demo image")
		} else {
			picked.DemoImage = docker.DemoImage
		}
	}
	return fns, picked, nil
}

// PickedRuntime says which runtime NewKubelets picked, why, and an image
// that runs on it for the first steps (one built locally for Docker).
type PickedRuntime struct {
	Name, Why, DemoImage string
	// Proxy says how Services carry traffic (kube-proxy's mode, the
	// cluster DNS address), or why they do not.
	Proxy string
}

// clusterID is the ID (pki.ClusterID) of the cluster the kubeconfig at path
// reaches, from the CA it carries; "" when it carries none (an insecure
// kubeconfig), so the Docker containers carry no cluster label.
func clusterID(path string) (string, error) {
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return "", err
	}
	r, err := kc.Resolve()
	if err != nil {
		return "", err
	}
	if len(r.Cluster.CertificateAuthorityData) == 0 {
		return "", nil
	}
	return pki.ClusterID(r.Cluster.CertificateAuthorityData)
}
