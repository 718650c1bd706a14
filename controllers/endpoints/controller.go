package endpoints

import (
	"maps"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// serviceQueue is what both controllers share: a loop over Service keys
// fed by the Service and pod informers.
type serviceQueue struct {
	loop controllerutil.Loop
	log  zerolog.Logger
	pods *informer.Informer[*api.Pod]
	svcs *informer.Informer[*api.Service]
}

// init sets up the loop of the controller called name, whose own
// informer is synced by synced and gets its handlers from addHandlers.
func (q *serviceQueue) init(name string, log zerolog.Logger, pods *informer.Informer[*api.Pod], svcs *informer.Informer[*api.Service],
	synced func() bool, addHandlers func(), sync controllerutil.SyncFunc) {
	q.log, q.pods, q.svcs = log, pods, svcs
	q.loop = controllerutil.Loop{Name: name + " controller", Log: log, Sync: sync,
		HasSynced: []func() bool{pods.HasSynced, svcs.HasSynced, synced},
		AddHandlers: func() {
			q.addHandlers()
			addHandlers()
		},
		Keys: controllerutil.KeysOf(svcs)}
}

func (q *serviceQueue) add(k informer.Key) { q.loop.Add(k) }

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
			if !maps.Equal(old.Labels, cur.Labels) {
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

// podChanged enqueues the Services selecting pod, batched: a sync reads
// all the Service's pods, so while it is slow one sync takes in the
// changes of many (controllerutil.Loop.AddBatched).
func (q *serviceQueue) podChanged(pod *api.Pod) {
	for _, s := range controllerutil.ServicesSelecting(q.svcs, pod) {
		q.loop.AddBatched(informer.KeyOf(s))
	}
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

// ownWrites remembers, by Service, the objects a controller wrote and its
// cache has not shown yet: object name → the resourceVersion written, or
// deleted. A sync from a cache without them would write from an old
// version (a conflict), create a duplicate, or find the old version equal
// to what it wants and write nothing, losing a change: a pod ready, then
// not, then ready again faster than the cache follows
// (kubernetes/kubernetes#125638). Kubernetes' controllers defer such
// syncs the same way (the EndpointSlice controller's
// endpointSliceTracker, the Endpoints controller's staleEndpointsTracker).
type ownWrites struct {
	mu      sync.Mutex
	written map[informer.Key]map[string]int64
}

// deleted marks a deletion in ownWrites.
const deleted = -1

// staleRetry is when a deferred sync runs again should no event for the
// awaited writes come (an object deleted by someone else between a
// relist).
const staleRetry = time.Second

func (o *ownWrites) wrote(key informer.Key, name string, rv int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.written == nil {
		o.written = map[informer.Key]map[string]int64{}
	}
	if o.written[key] == nil {
		o.written[key] = map[string]int64{}
	}
	o.written[key][name] = rv
}

// forget drops what was written to one object: it is gone.
func (o *ownWrites) forget(key informer.Key, name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.written[key], name)
}

// forgetAll drops what was written for the Service key: it is gone.
func (o *ownWrites) forgetAll(key informer.Key) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.written, key)
}

// stale reports whether the cached objects of the Service key (name →
// resourceVersion) miss some of the writes: an object created or updated
// but not cached at that version or later, or one deleted but still
// cached. Writes the cache shows are forgotten.
func (o *ownWrites) stale(key informer.Key, cached map[string]int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.written[key]
	stale := false
	for name, rv := range w {
		have, ok := cached[name]
		if (rv == deleted && !ok) || (rv != deleted && ok && have >= rv) {
			delete(w, name)
			continue
		}
		stale = true
	}
	if len(w) == 0 {
		delete(o.written, key)
	}
	return stale
}
