package controllerutil

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// Loop is the part every controller shares, sample-controller's shape: a
// work queue of keys that the controller's informer handlers fill through
// Add, and a Run that waits for the caches, looks at every key once, and
// drains the queue with workers calling Sync until its context ends.
//
// Fill the exported fields before the first Run (a controller's New does)
// and do not change them after. Add is safe for concurrent use and may be
// called before Run, between two Runs, or after: keys added while no Run
// is under way wait in the queue for the next one.
type Loop struct {
	// Name starts the log lines and errors: "replicaset controller" logs
	// "replicaset controller started".
	Name string
	Log  zerolog.Logger
	// Sync reconciles one key; see ProcessNext for what its result does.
	Sync SyncFunc
	// HasSynced are the caches no worker may read before they are filled.
	HasSynced []func() bool
	// AddHandlers, if set, registers the controller's informer handlers.
	// The first Run calls it, once; an informer replays its cache to a
	// new handler, so every cached object is seen then.
	AddHandlers func()
	// Keys, if set, lists the keys to look at once the caches have synced
	// (events handled by no Run, such as those of a previous term of
	// leadership, are covered by it) and again every Resync.
	Keys func() []informer.Key
	// Resync, if positive, is how often Keys are added again (the
	// autoscaler's sync period, the node monitor's period).
	Resync time.Duration
	// Also, if set, runs beside the workers once the caches have synced
	// (the collector's discovery, a second loop); Run waits for it to
	// return after ctx ends.
	Also func(ctx context.Context)
	// StartFields are logged with the "started" line besides the workers.
	StartFields map[string]any

	handlers sync.Once
	running  atomic.Bool
	slow     sync.Map                                      // informer.Key → time.Duration: keys whose last sync took at least minBatchedSync
	mu       sync.Mutex                                    // serializes creating the queue
	queue    atomic.Pointer[workqueue.Queue[informer.Key]] // nil until first needed
}

// Add queues key for a worker. Keys already queued and not yet taken are
// not queued twice.
func (l *Loop) Add(key informer.Key) { l.current().Add(key) }

// Enqueue queues obj's key.
func (l *Loop) Enqueue(obj api.Object) { l.Add(informer.KeyOf(obj)) }

// Batching of slow keys: a key whose last sync took at least
// minBatchedSync is queued by AddBatched only after batchFactor times
// that sync's duration, at most maxBatchDelay. A key whose status keeps
// changing so takes at most 1/(1+batchFactor) of a worker's time, a
// seventh; a third (batchFactor 2) cost measurably more CPU per pod (see
// the commit that set 6). The bound keeps the status of a huge owner
// less than 2 s behind its pods; at 250 ms, a ReplicaSet of 150,000 pods
// (a sync of about 0.4 s) took 32% of all-150k's CPU.
const (
	minBatchedSync = time.Millisecond
	batchFactor    = 6
	maxBatchDelay  = 2 * time.Second
)

// AddBatched queues key like Add when its last sync was quick. When it
// was slow, it queues key after batchFactor times that sync's duration
// (at most 2 s), so that the changes arriving meanwhile are handled by
// one sync.
// Handlers use it for changes that can only alter the key's status, such
// as a pod of a ReplicaSet becoming ready. A ReplicaSet of 10,000 pods
// counts them all at each sync; without batching, its syncs would run
// back to back while its pods start. Kubernetes' EndpointSlice controller
// batches pod changes the same way (--endpointslice-updates-batch-period),
// with a fixed period instead of one in proportion to the sync's cost.
func (l *Loop) AddBatched(key informer.Key) {
	if d, ok := l.slow.Load(key); ok {
		l.current().AddAfter(key, min(batchFactor*d.(time.Duration), maxBatchDelay))
		return
	}
	l.Add(key)
}

// EnqueueBatched queues obj's key with AddBatched.
func (l *Loop) EnqueueBatched(obj api.Object) { l.AddBatched(informer.KeyOf(obj)) }

// timed is l.Sync, recording which keys are slow to sync for AddBatched.
func (l *Loop) timed(ctx context.Context, key informer.Key) (time.Duration, error) {
	start := time.Now()
	after, err := l.Sync(ctx, key)
	if d := time.Since(start); d >= minBatchedSync {
		l.slow.Store(key, d)
	} else if _, ok := l.slow.Load(key); ok {
		l.slow.Delete(key)
	}
	return after, err
}

// current returns the queue of the running or next Run.
func (l *Loop) current() *workqueue.Queue[informer.Key] {
	if q := l.queue.Load(); q != nil {
		return q
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.queue.Load(); q != nil {
		return q
	}
	q := workqueue.New(workqueue.Config[informer.Key]{})
	l.queue.Store(q)
	return q
}

// Run registers the handlers (on its first call), waits for the caches,
// adds Keys, then runs workers (at least one) until ctx ends. It returns
// nil once they have finished their current keys, or at once if ctx ends
// before the caches sync. Run may be called again after it returns (a
// leader that lost and regained its lease) but not concurrently: it says
// so with an error.
func (l *Loop) Run(ctx context.Context, workers int) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New(l.Name + ": already running")
	}
	defer l.running.Store(false)
	q := l.current()
	// A shut-down queue takes no more keys: the next Run gets a new one.
	defer l.queue.CompareAndSwap(q, nil)
	if l.AddHandlers != nil {
		l.handlers.Do(l.AddHandlers)
	}
	if !informer.WaitForCacheSync(ctx, l.HasSynced...) {
		q.ShutDown()
		return nil
	}
	var wg sync.WaitGroup
	if l.Keys != nil {
		wg.Go(func() { l.resync(ctx, q) })
	}
	if l.Also != nil {
		wg.Go(func() { l.Also(ctx) })
	}
	l.Log.Info().Int("workers", workers).Fields(l.StartFields).Msg(l.Name + " started")
	RunWorkers(ctx, q, workers, l.timed, l.Log)
	wg.Wait()
	l.Log.Info().Msg(l.Name + " stopped")
	return nil
}

// resync adds Keys to q now and, with a Resync period, every period until
// ctx ends.
func (l *Loop) resync(ctx context.Context, q *workqueue.Queue[informer.Key]) {
	var tick <-chan time.Time
	if l.Resync > 0 {
		t := time.NewTicker(l.Resync)
		defer t.Stop()
		tick = t.C
	}
	for {
		for _, k := range l.Keys() {
			q.Add(k)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// KeysOf returns a Loop.Keys listing the key of every object in inf's
// cache.
func KeysOf[T api.Object](inf *informer.Informer[T]) func() []informer.Key {
	return func() []informer.Key {
		objs := inf.List()
		keys := make([]informer.Key, len(objs))
		for i, o := range objs {
			keys[i] = informer.KeyOf(o)
		}
		return keys
	}
}

// Handler returns the handler of a controller's own kind: each add and
// update queues the object's key on l, with AddBatched when neither its
// generation nor its deletion changed (such as the controller's own
// status writes). Set DeleteFunc on the result when a deletion needs more
// than the sync of a missing object.
func Handler[T api.Object](l *Loop) informer.HandlerFuncs[T] {
	return informer.HandlerFuncs[T]{
		AddFunc: func(obj T) { l.Enqueue(obj) },
		UpdateFunc: func(old, obj T) {
			om, m := old.GetObjectMeta(), obj.GetObjectMeta()
			if om.Generation == m.Generation && (om.DeletionTimestamp == nil) == (m.DeletionTimestamp == nil) {
				l.EnqueueBatched(obj)
				return
			}
			l.Enqueue(obj)
		},
	}
}
