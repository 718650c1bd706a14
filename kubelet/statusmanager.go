package kubelet

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/workqueue"
)

// statusManager writes pod statuses to the API server. Of the statuses
// set for a pod before a writer gets to it, only the latest is written,
// so a busy API server sees fewer, not more, writes. A failed write is
// retried with a back-off per pod (up to 30 s), but not past the API
// server's recovery: while writes fail because the server is unavailable,
// the manager probes its /readyz every probeEvery, and once it answers
// every pending status is retried at once, back-offs reset.
type statusManager struct {
	c          *client.Client
	log        zerolog.Logger
	current    func(ns, name string) string // UID of the pod now cached under ns/name
	queue      *workqueue.Queue[string]
	probeEvery time.Duration

	mu      sync.Mutex
	pending map[string]statusUpdate // by pod UID
	failing map[string]struct{}     // pods whose last write failed, by UID

	down chan struct{} // a write found the server unavailable (buffered 1)
}

type statusUpdate struct {
	c        *client.Client // the client of the pod's node
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
		pending:    map[string]statusUpdate{},
		failing:    map[string]struct{}{},
		probeEvery: 500 * time.Millisecond,
		down:       make(chan struct{}, 1),
	}
}

// set queues the status (JSON) of the pod uid, ns/name, replacing one
// still queued; c (the client of the pod's node) will write it.
func (m *statusManager) set(c *client.Client, uid, ns, name string, body []byte) {
	m.mu.Lock()
	m.pending[uid] = statusUpdate{c: c, ns: ns, name: name, body: body}
	m.mu.Unlock()
	m.queue.Add(uid)
}

// forget drops the pod's queued status.
func (m *statusManager) forget(uid string) {
	m.mu.Lock()
	delete(m.pending, uid)
	delete(m.failing, uid)
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
				err := m.write(ctx, uid)
				switch {
				case err != nil && ctx.Err() == nil:
					m.log.Debug().Err(err).Str(logKeyPod, uid).Msg("write pod status; retrying")
					m.setFailing(uid, true)
					m.queue.AddRateLimited(uid)
					if unavailable(err) {
						select {
						case m.down <- struct{}{}:
						default:
						}
					}
				case err == nil:
					m.queue.Forget(uid)
					if m.setFailing(uid, false) {
						m.retryNow() // the server answers again
					}
				}
				m.queue.Done(uid)
			}
		})
	}
	wg.Go(func() { m.watchRecovery(ctx) })
	<-ctx.Done()
	m.queue.ShutDown()
	wg.Wait()
}

// unavailable reports whether err says the API server (or its storage)
// could not serve the write, rather than that the write was wrong.
func unavailable(err error) bool {
	var se *client.StatusError
	if !errors.As(err, &se) {
		return true // no answer at all
	}
	return se.Status.Code >= 500 || se.Status.Code == http.StatusTooManyRequests
}

// setFailing records whether uid's last write failed; it reports whether a
// success ended a failure.
func (m *statusManager) setFailing(uid string, failed bool) (recovered bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if failed {
		m.failing[uid] = struct{}{}
		return false
	}
	_, was := m.failing[uid]
	delete(m.failing, uid)
	return was
}

// retryNow retries every failing pod's status at once, back-off reset.
func (m *statusManager) retryNow() {
	m.mu.Lock()
	uids := make([]string, 0, len(m.failing))
	for uid := range m.failing {
		uids = append(uids, uid)
	}
	m.mu.Unlock()
	for _, uid := range uids {
		m.queue.Forget(uid)
		m.queue.Add(uid) // ahead of its delayed retry, which is then a no-op
	}
}

// watchRecovery waits for a write to find the server unavailable, then
// probes the server's /readyz until it answers and retries the failing
// pods' statuses at once.
func (m *statusManager) watchRecovery(ctx context.Context) {
	t := time.NewTicker(m.probeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.down:
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, cancel := context.WithTimeout(ctx, m.probeEvery)
			err := m.c.Do(pctx, http.MethodGet, "/readyz", nil, nil)
			cancel()
			if err == nil {
				break
			}
		}
		m.log.Debug().Msg("API server answers again; retrying pod statuses now")
		m.retryNow()
	}
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
	err := u.c.Pods(u.ns).PatchDiscard(ctx, u.name, client.MergePatchType, patch, "status")
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
