package limits

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxUserLabels bounds the user label of the per-user series: the first
// MaxUserLabels users the server sees keep their name for its life, and
// every later one is counted as OtherUser, so that a client minting user
// names cannot grow /metrics without bound. A cluster's components and its
// people are a handful; a workshop of thirty shares "other".
const MaxUserLabels = 20

// OtherUser is the user label of everyone past the first MaxUserLabels,
// and AnonymousUser that of unauthenticated requests.
const (
	OtherUser     = "other"
	AnonymousUser = "system:anonymous"
)

// userMetrics are the per-user series: what the dashboard's Pressure view
// shows by user.
//
//	minik8s_user_dispatched_requests_total{user}       counter: requests let through
//	minik8s_user_rejected_requests_total{user,reason}  counter: 429s (rate-limit, time-out, concurrency-limit)
//	minik8s_user_executing_requests{user}              gauge: seats held now (long-running requests hold none)
type userMetrics struct {
	dispatched *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	executing  *prometheus.GaugeVec

	mu    sync.Mutex
	named map[string]bool
}

func newUserMetrics() *userMetrics {
	return &userMetrics{
		dispatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minik8s_user_dispatched_requests_total",
			Help: "Requests let through, by user (the first " + strconv.Itoa(MaxUserLabels) + " users seen; the rest are \"other\").",
		}, []string{"user"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minik8s_user_rejected_requests_total",
			Help: "Requests rejected with 429, by user (as minik8s_user_dispatched_requests_total) and reason.",
		}, []string{"user", "reason"}),
		executing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "minik8s_user_executing_requests",
			Help: "Seats held now, by user (as minik8s_user_dispatched_requests_total); long-running requests hold none.",
		}, []string{"user"}),
		named: map[string]bool{},
	}
}

func (m *userMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.dispatched, m.rejected, m.executing}
}

// label is the user label of user name ("" for an anonymous request).
func (m *userMetrics) label(name string) string {
	if name == "" {
		name = AnonymousUser
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.named[name] {
		return name
	}
	if len(m.named) < MaxUserLabels {
		m.named[name] = true
		return name
	}
	return OtherUser
}
