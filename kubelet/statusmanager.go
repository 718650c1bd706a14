package kubelet

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/workqueue"
)

// statusManager writes pod statuses to the API server. Of the statuses
// set for a pod before a writer gets to it, only the latest is written,
// so a busy API server sees fewer, not more, writes.
type statusManager struct {
	c       *client.Client
	log     zerolog.Logger
	current func(ns, name string) string // UID of the pod now cached under ns/name
	queue   *workqueue.Queue[string]

	mu      sync.Mutex
	pending map[string]statusUpdate // by pod UID
}

type statusUpdate struct {
	ns, name string
	body     []byte // the status as JSON
}

func newStatusManager(c *client.Client, current func(ns, name string) string, log zerolog.Logger) *statusManager {
	return &statusManager{
		c:       c,
		log:     log,
		current: current,
		queue: workqueue.New(workqueue.Config[string]{
			RateLimiter: workqueue.NewExponential[string](200*time.Millisecond, 30*time.Second),
		}),
		pending: map[string]statusUpdate{},
	}
}

// set queues the status (JSON) of the pod uid, ns/name, replacing one
// still queued.
func (m *statusManager) set(uid, ns, name string, body []byte) {
	m.mu.Lock()
	m.pending[uid] = statusUpdate{ns: ns, name: name, body: body}
	m.mu.Unlock()
	m.queue.Add(uid)
}

// forget drops the pod's queued status.
func (m *statusManager) forget(uid string) {
	m.mu.Lock()
	delete(m.pending, uid)
	m.mu.Unlock()
}

// run writes statuses with n workers until ctx is done.
func (m *statusManager) run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				uid, shutdown := m.queue.Get()
				if shutdown {
					return
				}
				if err := m.write(ctx, uid); err != nil && ctx.Err() == nil {
					m.log.Debug().Err(err).Str(logKeyPod, uid).Msg("write pod status; retrying")
					m.queue.AddRateLimited(uid)
				} else {
					m.queue.Forget(uid)
				}
				m.queue.Done(uid)
			}
		})
	}
	<-ctx.Done()
	m.queue.ShutDown()
	wg.Wait()
}

// write sends the pod's queued status as a merge patch of its status
// subresource: the lists it holds (conditions, containerStatuses) replace
// the stored ones whole.
func (m *statusManager) write(ctx context.Context, uid string) error {
	m.mu.Lock()
	u, ok := m.pending[uid]
	delete(m.pending, uid)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	if m.current(u.ns, u.name) != uid {
		return nil // deleted, perhaps replaced by a pod of the same name
	}
	patch := make([]byte, 0, len(u.body)+12)
	patch = append(append(append(patch, `{"status":`...), u.body...), '}')
	_, err := m.c.Pods(u.ns).Patch(ctx, u.name, client.MergePatchType, patch, "status")
	if err == nil || client.IsNotFound(err) {
		return nil
	}
	m.mu.Lock()
	if _, newer := m.pending[uid]; !newer {
		m.pending[uid] = u
	}
	m.mu.Unlock()
	return err
}
