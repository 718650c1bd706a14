package election

import (
	"errors"
	"fmt"

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

// register registers c, or returns the equal collector registered before,
// so that several electors in one process (replicas run by `all`) share one.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register election metrics: %w", err)
}
