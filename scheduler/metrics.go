package scheduler

import (
	"fmt"

	"github.com/minik8s/minik8s/internal/promutil"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one scheduler's view of collectors shared by every replica
// registered with the same Registerer (labelled by identity).
type metrics struct {
	scheduled     prometheus.Counter // attempts that ended bound
	unschedulable prometheus.Counter // attempts that found no node
	errors        prometheus.Counter // attempts whose binding failed
	attempt       prometheus.Observer
	e2e           prometheus.Observer
}

func newMetrics(reg prometheus.Registerer, identity string, lens func() (int, int, int)) (metrics, error) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minik8s_scheduler_schedule_attempts_total",
		Help: "Scheduling attempts by result: scheduled (bound), unschedulable (no node fits) or error (binding failed).",
	}, []string{"identity", "result"})
	attempt := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "minik8s_scheduler_scheduling_attempt_duration_seconds",
		Help:    "Time to filter and score the nodes for one pod and assume it on the best.",
		Buckets: prometheus.ExponentialBuckets(10e-6, 4, 10),
	}, []string{"identity"})
	e2e := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "minik8s_scheduler_pod_scheduling_duration_seconds",
		Help:    "Time from a pod entering the queue to its binding, over all its attempts.",
		Buckets: prometheus.ExponentialBuckets(1e-3, 4, 10),
	}, []string{"identity"})
	if reg != nil {
		var err error
		if attempts, err = register(reg, attempts); err != nil {
			return metrics{}, err
		}
		if attempt, err = register(reg, attempt); err != nil {
			return metrics{}, err
		}
		if e2e, err = register(reg, e2e); err != nil {
			return metrics{}, err
		}
		for i, queue := range []string{"active", "backoff", "unschedulable"} {
			g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "minik8s_scheduler_pending_pods",
				Help:        "Pods waiting in each scheduling queue.",
				ConstLabels: prometheus.Labels{"identity": identity, "queue": queue},
			}, func() float64 {
				a, b, u := lens()
				return float64([]int{a, b, u}[i])
			})
			if err := reg.Register(g); err != nil {
				return metrics{}, fmt.Errorf("register scheduler metrics: %w", err)
			}
		}
	}
	return metrics{
		scheduled:     attempts.WithLabelValues(identity, "scheduled"),
		unschedulable: attempts.WithLabelValues(identity, "unschedulable"),
		errors:        attempts.WithLabelValues(identity, "error"),
		attempt:       attempt.WithLabelValues(identity),
		e2e:           e2e.WithLabelValues(identity),
	}, nil
}

// register registers c, or returns the collector another replica
// registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promutil.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("register scheduler metrics: %w", err)
	}
	return c, nil
}
