package kubelet

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/workqueue"
)

// StatusWriter exposes the status manager to the external tests, with
// its per-pod back-off starting at backoff.
type StatusWriter struct{ m *statusManager }

func NewStatusWriter(c *client.Client, backoff time.Duration, current func(ns, name string) string) *StatusWriter {
	m := newStatusManager(c, current, zerolog.Nop())
	m.queue = workqueue.New(workqueue.Config[string]{
		RateLimiter: workqueue.NewExponential[string](backoff, 2*backoff),
	})
	return &StatusWriter{m}
}

func (w *StatusWriter) Set(uid, ns, name string, status []byte) {
	w.m.set(w.m.c, uid, ns, name, status)
}
func (w *StatusWriter) Run(ctx context.Context) { w.m.run(ctx, 1) }

// SetClock makes now the kubelet's clock; call it before Run.
func (k *Kubelet) SetClock(now func() time.Time) { k.now = now }
