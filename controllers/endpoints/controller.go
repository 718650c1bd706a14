package endpoints

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// serviceQueue is what both controllers share: a work queue of Service
// keys fed by the Service and pod informers, and the Run loop.
type serviceQueue struct {
	name string
	log  zerolog.Logger
	pods *informer.Informer[*api.Pod]
	svcs *informer.Informer[*api.Service]

	handlers sync.Once
	running  atomic.Bool
	queue    atomic.Pointer[workqueue.Queue[informer.Key]] // nil when not running
}

// run waits for the caches, then syncs Services with workers until ctx
// ends. addHandlers registers the handlers of the controller's own
// informer, once.
func (q *serviceQueue) run(ctx context.Context, workers int, synced []func() bool, addHandlers func(), sync controllerutil.SyncFunc) error {
	if !q.running.CompareAndSwap(false, true) {
		return errors.New(q.name + " controller: already running")
	}
	defer q.running.Store(false)
	wq := workqueue.New(workqueue.Config[informer.Key]{})
	q.queue.Store(wq)
	defer q.queue.Store(nil)
	q.handlers.Do(func() {
		q.addHandlers()
		addHandlers()
	})
	if !informer.WaitForCacheSync(ctx, append([]func() bool{q.pods.HasSynced, q.svcs.HasSynced}, synced...)...) {
		wq.ShutDown()
		return nil
	}
	for _, s := range q.svcs.List() {
		wq.Add(informer.KeyOf(s))
	}
	q.log.Info().Int("workers", workers).Msg(q.name + " controller started")
	controllerutil.RunWorkers(ctx, wq, workers, sync, q.log)
	q.log.Info().Msg(q.name + " controller stopped")
	return nil
}

func (q *serviceQueue) add(k informer.Key) {
	if wq := q.queue.Load(); wq != nil {
		wq.Add(k)
	}
}

func (q *serviceQueue) addHandlers() {
	q.svcs.AddHandler(informer.HandlerFuncs[*api.Service]{
		AddFunc:    func(s *api.Service) { q.add(informer.KeyOf(s)) },
		UpdateFunc: func(_, s *api.Service) { q.add(informer.KeyOf(s)) },
		DeleteFunc: func(s *api.Service) { q.add(informer.KeyOf(s)) },
	})
	q.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc: q.podChanged,
		UpdateFunc: func(old, cur *api.Pod) {
			if old.ResourceVersion == cur.ResourceVersion {
				return // a resync; the Services' own resync covers it
			}
			if !mapsEqual(old.Labels, cur.Labels) {
				q.podChanged(old)
				q.podChanged(cur)
				return
			}
			if controllerutil.EndpointsChanged(old, cur) || !podPortsEqual(old, cur) {
				q.podChanged(cur)
			}
		},
		DeleteFunc: q.podChanged,
	})
}

// podChanged enqueues the Services selecting pod.
func (q *serviceQueue) podChanged(pod *api.Pod) {
	for _, s := range controllerutil.ServicesSelecting(q.svcs, pod) {
		q.add(informer.KeyOf(s))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// podPortsEqual reports whether two versions of a pod name the same
// container ports (which named target ports resolve to).
func podPortsEqual(a, b *api.Pod) bool {
	if len(a.Spec.Containers) != len(b.Spec.Containers) {
		return false
	}
	for i := range a.Spec.Containers {
		pa, pb := a.Spec.Containers[i].Ports, b.Spec.Containers[i].Ports
		if len(pa) != len(pb) {
			return false
		}
		for j := range pa {
			if pa[j] != pb[j] {
				return false
			}
		}
	}
	return true
}
