package resourcemetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"

	"github.com/minik8s/minik8s/internal/wait"
)

// Config tunes the collector.
type Config struct {
	// Resolution is how long figures are served before they are measured
	// again (metrics-server's --metric-resolution is 15s).
	Resolution time.Duration `yaml:"resolution"`
	// MaxWindow is the oldest sample a new one is rated against.
	MaxWindow time.Duration `yaml:"maxWindow"`
	// PairInterval separates the two samples of a first measurement.
	PairInterval time.Duration `yaml:"pairInterval"`
	// Timeout bounds one scrape of one node agent.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig returns a 10s resolution, samples rated up to 90s apart,
// a 1s pair and a 10s scrape timeout.
func DefaultConfig() Config {
	return Config{Resolution: 10 * time.Second, MaxWindow: 90 * time.Second, PairInterval: time.Second, Timeout: 10 * time.Second}
}

// Validate reports settings the collector cannot work with.
func (c Config) Validate() error {
	if c.Resolution < 0 || c.PairInterval <= 0 || c.MaxWindow < c.PairInterval || c.Timeout <= 0 {
		return fmt.Errorf("resource metrics config: need resolution >= 0, pairInterval > 0, maxWindow >= pairInterval, timeout > 0 (got %+v)", c)
	}
	return nil
}

// Target is a node and the address (host:port) of its node agent.
type Target struct{ Node, Addr string }

// Usage is one CPU and memory figure.
type Usage struct {
	CPUMilli    int64 // thousandths of a core
	MemoryBytes int64 // working set
}

// ContainerUsage is one container's figure.
type ContainerUsage struct {
	Name string
	Usage
}

// PodUsage is one pod's figure: every container that has one.
type PodUsage struct {
	Namespace, Name string
	Timestamp       time.Time
	Window          time.Duration
	Containers      []ContainerUsage
}

// NodeUsage is one node's figures: its own and its pods'.
type NodeUsage struct {
	Timestamp time.Time
	Window    time.Duration
	Usage
	// HasNode is false when the node's own figure could not be rated.
	HasNode bool
	// Pods by "namespace/name".
	Pods map[string]*PodUsage
}

// Collector collects usage from node agents; see the package doc.
type Collector struct {
	cfg    Config
	client *http.Client
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex // serialises refreshes
	nodes map[string]*nodeState
}

type nodeState struct {
	addr    string
	sample  *sample    // the latest sample
	usage   *NodeUsage // the latest figures; nil until rated
	ratedAt time.Time  // when usage was computed
}

// New returns a collector that reaches node agents through transport (the
// API server's kubelet client transport).
func New(cfg Config, transport http.RoundTripper) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if transport == nil {
		return nil, errors.New("resource metrics: a transport to the node agents is required")
	}
	return &Collector{cfg: cfg, client: &http.Client{Transport: transport, Timeout: cfg.Timeout}, now: time.Now,
		sleep: wait.Sleep, nodes: map[string]*nodeState{}}, nil
}

// Collect returns the figures of the targets' nodes, by node name;
// nodes without figures (agent down, nothing rated yet) are missing, and
// the scrape errors are joined in err.
func (c *Collector) Collect(ctx context.Context, targets []Target) (map[string]*NodeUsage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var stale []Target
	for _, t := range targets {
		st := c.nodes[t.Node]
		if st == nil || st.addr != t.Addr {
			st = &nodeState{addr: t.Addr}
			c.nodes[t.Node] = st
		}
		if st.usage == nil || now.Sub(st.ratedAt) >= c.cfg.Resolution {
			stale = append(stale, t)
		}
	}
	var errs []error
	if len(stale) > 0 {
		samples, err := c.scrape(ctx, stale)
		errs = append(errs, err)
		var again []Target
		for _, t := range stale {
			cur, ok := samples[t.Node]
			if !ok {
				continue
			}
			st := c.nodes[t.Node]
			prev := st.sample
			st.sample = cur
			if prev == nil || cur.at.Sub(prev.at) > c.cfg.MaxWindow || cur.at.Sub(prev.at) < c.cfg.PairInterval/2 {
				again = append(again, t)
				continue
			}
			if u := rate(prev, cur); u != nil {
				st.usage, st.ratedAt = u, now
			} else {
				again = append(again, t)
			}
		}
		if len(again) > 0 {
			if err := c.sleep(ctx, c.cfg.PairInterval); err != nil {
				return nil, err
			}
			samples, err := c.scrape(ctx, again)
			errs = append(errs, err)
			for _, t := range again {
				cur, ok := samples[t.Node]
				if !ok {
					continue
				}
				st := c.nodes[t.Node]
				prev := st.sample
				st.sample = cur
				if u := rate(prev, cur); u != nil {
					st.usage, st.ratedAt = u, c.now()
				}
			}
		}
	}
	out := make(map[string]*NodeUsage, len(targets))
	for _, t := range targets {
		if st := c.nodes[t.Node]; st != nil && st.usage != nil && now.Sub(st.ratedAt) < c.cfg.MaxWindow {
			out[t.Node] = st.usage
		}
	}
	c.forget(now)
	return out, errors.Join(errs...)
}

// forget drops the state of nodes nobody asked about for long (deleted
// ones among them).
func (c *Collector) forget(now time.Time) {
	for name, st := range c.nodes {
		if st.sample != nil && now.Sub(st.sample.at) > 10*c.cfg.MaxWindow {
			delete(c.nodes, name)
		}
	}
}

// maxNamedNodes is how many nodes a scrape names with ?node=; beyond it
// the agent is asked for all of its nodes.
const maxNamedNodes = 64

// scrape asks each address for its targets' nodes, at once.
func (c *Collector) scrape(ctx context.Context, targets []Target) (map[string]*sample, error) {
	byAddr := map[string][]string{}
	for _, t := range targets {
		byAddr[t.Addr] = append(byAddr[t.Addr], t.Node)
	}
	var mu sync.Mutex
	out := map[string]*sample{}
	var errs []error
	var g errgroup.Group
	g.SetLimit(16)
	for addr, nodes := range byAddr {
		g.Go(func() error {
			got, err := c.scrapeOne(ctx, addr, nodes)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			for _, n := range nodes {
				if s, ok := got[n]; ok {
					out[n] = s
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	return out, errors.Join(errs...)
}

func (c *Collector) scrapeOne(ctx context.Context, addr string, nodes []string) (map[string]*sample, error) {
	q := url.Values{}
	if len(nodes) <= maxNamedNodes {
		sort.Strings(nodes)
		q["node"] = nodes
	}
	u := url.URL{Scheme: "https", Host: addr, Path: "/metrics/resource", RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape node agent %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scrape node agent %s: %s: %s", addr, resp.Status, b)
	}
	return parse(resp.Body)
}

// sample is one scrape of one node.
type sample struct {
	at         time.Time // the node's timestamp
	cpu        float64   // node CPU seconds
	memory     float64
	hasNode    bool
	containers map[containerKey]*containerSample
}

type containerKey struct{ namespace, pod, container string }

type containerSample struct {
	at     time.Time
	cpu    float64
	memory float64
	start  float64 // unix seconds
	hasCPU bool
}

// parse reads a /metrics/resource answer into samples by node.
func parse(r io.Reader) (map[string]*sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse resource metrics: %w", err)
	}
	out := map[string]*sample{}
	node := func(m *dto.Metric) *sample {
		name := label(m, "node")
		s := out[name]
		if s == nil {
			s = &sample{containers: map[containerKey]*containerSample{}}
			out[name] = s
		}
		return s
	}
	container := func(m *dto.Metric) *containerSample {
		s := node(m)
		k := containerKey{label(m, "namespace"), label(m, "pod"), label(m, "container")}
		cs := s.containers[k]
		if cs == nil {
			cs = &containerSample{}
			s.containers[k] = cs
		}
		return cs
	}
	for name, fam := range fams {
		for _, m := range fam.Metric {
			v, at := value(m), time.UnixMilli(m.GetTimestampMs())
			switch name {
			case "node_cpu_usage_seconds_total":
				s := node(m)
				s.cpu, s.at, s.hasNode = v, at, true
			case "node_memory_working_set_bytes":
				s := node(m)
				s.memory = v
				if s.at.IsZero() {
					s.at = at
				}
			case "container_cpu_usage_seconds_total":
				cs := container(m)
				cs.cpu, cs.at, cs.hasCPU = v, at, true
			case "container_memory_working_set_bytes":
				container(m).memory = v
			case "container_start_time_seconds":
				container(m).start = v
			}
		}
	}
	delete(out, "")
	return out, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// rate computes a node's figures from two samples; nil if the node's own
// counter went down or did not move forward in time.
func rate(prev, cur *sample) *NodeUsage {
	if prev == nil || cur == nil {
		return nil
	}
	u := &NodeUsage{Timestamp: cur.at, Window: cur.at.Sub(prev.at), Pods: map[string]*PodUsage{}}
	if cur.hasNode && prev.hasNode && u.Window > 0 && cur.cpu >= prev.cpu {
		u.HasNode = true
		u.CPUMilli = milli((cur.cpu - prev.cpu) / u.Window.Seconds())
		u.MemoryBytes = int64(cur.memory)
	}
	for k, c := range cur.containers {
		if !c.hasCPU {
			continue
		}
		var cpu float64
		var window time.Duration
		p := prev.containers[k]
		switch {
		case p != nil && p.hasCPU && p.start == c.start && c.cpu >= p.cpu && c.at.After(p.at):
			window = c.at.Sub(p.at)
			cpu = (c.cpu - p.cpu) / window.Seconds()
		case (p == nil || p.start != c.start) && c.start > 0 && c.at.Sub(time.Unix(0, int64(c.start*1e9))) >= time.Second:
			// Started (or restarted) since the last sample: its whole
			// counter is its use.
			window = c.at.Sub(time.Unix(0, int64(c.start*1e9)))
			cpu = c.cpu / window.Seconds()
		default:
			continue
		}
		key := k.namespace + "/" + k.pod
		pu := u.Pods[key]
		if pu == nil {
			pu = &PodUsage{Namespace: k.namespace, Name: k.pod, Timestamp: c.at, Window: window}
			u.Pods[key] = pu
		}
		pu.Containers = append(pu.Containers, ContainerUsage{Name: k.container, Usage: Usage{CPUMilli: milli(cpu), MemoryBytes: int64(c.memory)}})
	}
	for _, pu := range u.Pods {
		sort.Slice(pu.Containers, func(i, j int) bool { return pu.Containers[i].Name < pu.Containers[j].Name })
	}
	if !u.HasNode && len(u.Pods) == 0 {
		return nil
	}
	return u
}

func milli(cores float64) int64 { return int64(cores*1000 + 0.5) }
