package hpa

import (
	"context"

	"github.com/minik8s/minik8s/api"
)

// metricsOverride answers PodMetrics itself and passes the rest on.
type metricsOverride struct {
	writer
	fn func(ctx context.Context, namespace, selector string) (*api.PodMetricsList, error)
}

func (m metricsOverride) PodMetrics(ctx context.Context, namespace, selector string) (*api.PodMetricsList, error) {
	return m.fn(ctx, namespace, selector)
}

// SetPodMetrics makes c read pod metrics from fn (the test API server has
// no node agents to measure).
func SetPodMetrics(c *Controller, fn func(ctx context.Context, namespace, selector string) (*api.PodMetricsList, error)) {
	c.w = metricsOverride{writer: c.w, fn: fn}
}
