package limits

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// Priority levels, named as Kubernetes' API Priority and Fairness names
// them. Every request belongs to one; each control-plane level has seats of
// its own, so that no flood of people's requests can take them.
const (
	// LevelExempt: health probes; never limited.
	LevelExempt = "exempt"
	// LevelLeaderElection: the scheduler's and controller manager's Leases
	// in kube-system.
	LevelLeaderElection = "leader-election"
	// LevelNodeHigh: node agents' heartbeats (their Leases in
	// kube-node-lease, their Node objects).
	LevelNodeHigh = "node-high"
	// LevelSystem: the node agents' other requests.
	LevelSystem = "system"
	// LevelWorkloadHigh: the scheduler's and controller manager's other
	// requests.
	LevelWorkloadHigh = "workload-high"
	// LevelGlobalDefault: everyone else, with a token bucket per user and
	// the MaxInFlight and MaxMutatingInFlight caps.
	LevelGlobalDefault = "global-default"
)

// Levels lists the priority levels.
var Levels = []string{LevelExempt, LevelLeaderElection, LevelNodeHigh, LevelSystem, LevelWorkloadHigh, LevelGlobalDefault}

// PriorityLevels sets the seats (requests running at once, long-running
// ones not counted) of the control plane's levels. A request finding its
// level full waits up to QueueWait for a seat, then gets 429. A zero seat
// count turns that level's cap off.
type PriorityLevels struct {
	LeaderElection int           `json:"leaderElection" yaml:"leaderElection"`
	NodeHigh       int           `json:"nodeHigh" yaml:"nodeHigh"`
	System         int           `json:"system" yaml:"system"`
	WorkloadHigh   int           `json:"workloadHigh" yaml:"workloadHigh"`
	QueueWait      time.Duration `json:"queueWait" yaml:"queueWait"`
}

// DefaultPriorityLevels returns seats in the proportions of Kubernetes'
// default priority levels.
func DefaultPriorityLevels() PriorityLevels {
	return PriorityLevels{LeaderElection: 25, NodeHigh: 100, System: 75, WorkloadHigh: 100, QueueWait: 5 * time.Second}
}

func (p PriorityLevels) validate() error {
	for name, n := range map[string]int{"leaderElection": p.LeaderElection, "nodeHigh": p.NodeHigh,
		"system": p.System, "workloadHigh": p.WorkloadHigh} {
		if n < 0 {
			return fmt.Errorf("limits: priorityLevels.%s must be >= 0, got %d", name, n)
		}
	}
	if p.QueueWait < 0 {
		return fmt.Errorf("limits: priorityLevels.queueWait must be >= 0, got %v", p.QueueWait)
	}
	return nil
}

func (p PriorityLevels) seats(level string) int {
	switch level {
	case LevelLeaderElection:
		return p.LeaderElection
	case LevelNodeHigh:
		return p.NodeHigh
	case LevelSystem:
		return p.System
	case LevelWorkloadHigh:
		return p.WorkloadHigh
	}
	return 0
}

// Classify returns the priority level of a request and the flow schema
// (the rule) that put it there. authenticated is false for an anonymous
// request. The components are known by their own identities: the users
// system:kube-scheduler and system:kube-controller-manager, and the group
// system:nodes.
func Classify(u authn.User, authenticated bool, info reqinfo.Info) (level, flowSchema string) {
	switch info.Path {
	case "/healthz", "/livez", "/readyz":
		return LevelExempt, "probes"
	}
	if !authenticated {
		return LevelGlobalDefault, "global-default"
	}
	lease := info.IsResourceRequest && info.Group == "coordination.k8s.io" && info.Resource == "leases"
	switch {
	case u.InGroup(authn.NodesGroup):
		if (lease && info.Namespace == "kube-node-lease") || (info.IsResourceRequest && info.Group == "" && info.Resource == "nodes") {
			return LevelNodeHigh, "system-node-high"
		}
		return LevelSystem, "system-nodes"
	case u.Name == authn.SchedulerUser || u.Name == authn.ControllerManagerUser:
		if lease && info.Namespace == "kube-system" {
			return LevelLeaderElection, "system-leader-election"
		}
		return LevelWorkloadHigh, "kube-" + u.Name[len("system:kube-"):]
	}
	return LevelGlobalDefault, "global-default"
}

// ControlPlane reports whether level serves the control plane's own
// traffic (or probes), whose storage reads may use capacity held back from
// people's.
func ControlPlane(level string) bool { return level != "" && level != LevelGlobalDefault }

type levelKey struct{}

// WithLevel returns a copy of ctx that carries the request's priority
// level.
func WithLevel(ctx context.Context, level string) context.Context {
	return context.WithValue(ctx, levelKey{}, level)
}

// LevelFrom returns the priority level the middleware gave the request
// ctx belongs to, or "".
func LevelFrom(ctx context.Context) string {
	l, _ := ctx.Value(levelKey{}).(string)
	return l
}

// uids holds uid's results, up to maxUIDs of them: every request sends
// two, from a handful of levels and flow schemas (a flow schema per
// system:kube-* user, which any authenticated client may claim to be).
var (
	uids    sync.Map // name → string
	numUIDs atomic.Int32
)

const maxUIDs = 64

// uid is a stable UID-shaped name for a level or flow schema, for the
// X-Kubernetes-PF-* headers (there are no such objects to take it from).
func uid(name string) string {
	if u, ok := uids.Load(name); ok {
		return u.(string)
	}
	h := sha256.Sum256([]byte("minik8s/flowcontrol/" + name))
	u := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	if numUIDs.Add(1) <= maxUIDs {
		uids.Store(name, u)
	}
	return u
}

// level is one control-plane level's seats.
type level struct {
	name  string
	seats chan struct{} // nil: no cap
}

// flowMetrics are the per-level series, named as kube-apiserver's.
type flowMetrics struct {
	executing  *prometheus.GaugeVec
	inQueue    *prometheus.GaugeVec
	dispatched *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	seats      *prometheus.GaugeVec
}

func newFlowMetrics() *flowMetrics {
	return &flowMetrics{
		executing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_flowcontrol_current_executing_requests",
			Help: "Requests running now, by priority level and flow schema (long-running ones not counted).",
		}, []string{"priority_level", "flow_schema"}),
		inQueue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_flowcontrol_current_inqueue_requests",
			Help: "Requests waiting for a seat of their priority level, by priority level and flow schema.",
		}, []string{"priority_level", "flow_schema"}),
		dispatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_flowcontrol_dispatched_requests_total",
			Help: "Requests let through, by priority level and flow schema.",
		}, []string{"priority_level", "flow_schema"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_flowcontrol_rejected_requests_total",
			Help: "Requests rejected, by priority level, flow schema and reason.",
		}, []string{"priority_level", "flow_schema", "reason"}),
		seats: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_flowcontrol_nominal_limit_seats",
			Help: "Seats of each priority level (0: not capped).",
		}, []string{"priority_level"}),
	}
}

func (m *flowMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.executing, m.inQueue, m.dispatched, m.rejected, m.seats}
}

// acquire takes a seat of lv, waiting up to wait; ok is false when none
// came in time (or ctx ended). release must be called once done.
func (lv *level) acquire(ctx context.Context, wait time.Duration, queued func(delta float64)) (release func(), ok bool) {
	if lv.seats == nil {
		return func() {}, true
	}
	release = func() { <-lv.seats }
	select {
	case lv.seats <- struct{}{}:
		return release, true
	default:
	}
	if wait <= 0 {
		return nil, false
	}
	queued(1)
	defer queued(-1)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case lv.seats <- struct{}{}:
		return release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}
