package election

import (
	"fmt"

	"github.com/minik8s/minik8s/internal/promutil"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one elector's view of the shared collectors.
type metrics struct {
	isLeader    prometheus.Gauge   // minik8s_leader_is_leader{component,identity}
	transitions prometheus.Counter // minik8s_leader_transitions_total{component}
}

func newMetrics(reg prometheus.Registerer, component, identity string) (metrics, error) {
	isLeader := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "minik8s_leader_is_leader",
		Help: "1 while this replica holds the component's lease, else 0.",
	}, []string{"component", "identity"})
	transitions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minik8s_leader_transitions_total",
		Help: "Times a replica of the component became leader or stopped leading.",
	}, []string{"component"})
	if reg != nil {
		var err error
		if isLeader, err = register(reg, isLeader); err != nil {
			return metrics{}, err
		}
		if transitions, err = register(reg, transitions); err != nil {
			return metrics{}, err
		}
	}
	return metrics{
		isLeader:    isLeader.WithLabelValues(component, identity),
		transitions: transitions.WithLabelValues(component),
	}, nil
}

// register registers c, or returns the collector another replica
// registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promutil.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("register election metrics: %w", err)
	}
	return c, nil
}
