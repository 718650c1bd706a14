package informer

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// ListWatch is the informer's source: client.ListWatch adapts a resource
// client to it. List returns the objects and the resourceVersion they were
// read at; Watch streams the changes after fromRV and closes the channel
// when the stream ends, reporting a 410 as an error for which client.IsGone
// holds (from Watch itself or as an Error event).
type ListWatch[T any] interface {
	List(ctx context.Context, opt client.ListOptions) ([]T, int64, error)
	Watch(ctx context.Context, opt client.ListOptions, fromRV int64) (<-chan client.WatchEvent[T], error)
}

// Key names a cached object. Namespace is "" for cluster-scoped objects.
type Key struct {
	Namespace, Name string
}

// KeyOf returns the key of obj.
func KeyOf(obj api.Object) Key {
	m := obj.GetObjectMeta()
	return Key{Namespace: m.Namespace, Name: m.Name}
}

// String returns "namespace/name", or "name" without a namespace.
func (k Key) String() string {
	if k.Namespace == "" {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// Handler is told about changes to the cache; see the package doc for when
// and how it is called. OnDelete gets the object's last known state.
type Handler[T any] interface {
	OnAdd(obj T)
	OnUpdate(old, new T)
	OnDelete(obj T)
}

// HandlerFuncs is a Handler made of optional functions.
type HandlerFuncs[T any] struct {
	AddFunc    func(obj T)
	UpdateFunc func(old, new T)
	DeleteFunc func(obj T)
}

func (h HandlerFuncs[T]) OnAdd(obj T) {
	if h.AddFunc != nil {
		h.AddFunc(obj)
	}
}

func (h HandlerFuncs[T]) OnUpdate(old, new T) {
	if h.UpdateFunc != nil {
		h.UpdateFunc(old, new)
	}
}

func (h HandlerFuncs[T]) OnDelete(obj T) {
	if h.DeleteFunc != nil {
		h.DeleteFunc(obj)
	}
}

// Indexer is a named secondary index: Func returns the index values of an
// object (such as its node name), and ByIndex(Name, v) the objects with v.
// Func must be a pure function of the object.
type Indexer[T any] struct {
	Name string
	Func func(obj T) []string
}

// Informer caches one resource; see the package doc. Create it with New,
// add handlers, then call Run.
type Informer[T api.Object] struct {
	lw       ListWatch[T]
	resync   time.Duration
	indexers []Indexer[T]
	log      zerolog.Logger

	mu      sync.RWMutex
	items   map[Key]T
	indices map[string]map[string]*indexSet // index → value → keys
	synced  atomic.Bool
	running atomic.Bool

	mutations *mutationDetector // nil unless MutationDetectorEnv is set
	share     bool              // keep shares objects (lw is an API server's)

	qmu     sync.Mutex
	pending []notification[T] // for the dispatch goroutine, in order
	signal  chan struct{}     // wakes the dispatch goroutine

	// Retry and watch tuning; tests shorten them.
	minBackoff, maxBackoff time.Duration
	watchTimeout           func() int64
}

type notifyKind int

const (
	notifyAdd notifyKind = iota
	notifyUpdate
	notifyDelete
	notifyRegister
	notifyListed // the first list's notifications are all queued
)

type notification[T any] struct {
	kind     notifyKind
	old, new T
	handler  Handler[T]   // notifyRegister
	initial  []T          // notifyRegister: the objects cached when it was added
	told     *atomic.Bool // notifyRegister: set once handler has had the first list
	listed   bool         // notifyRegister: the first list was cached already
}

// New returns an informer of the objects lw lists and watches, re-delivering
// them every resync (0: never), maintaining the given indexes. Index names
// must be distinct. It starts nothing.
func New[T api.Object](lw ListWatch[T], resync time.Duration, indexers ...Indexer[T]) *Informer[T] {
	i := &Informer[T]{
		lw:         lw,
		resync:     resync,
		indexers:   indexers,
		log:        zerolog.Nop(),
		mutations:  newMutationDetector(),
		items:      make(map[Key]T),
		indices:    make(map[string]map[string]*indexSet),
		signal:     make(chan struct{}, 1),
		minBackoff: 200 * time.Millisecond,
		maxBackoff: 30 * time.Second,
		// Like client-go's reflector, ask the server to end each watch after
		// 5–10 minutes so that connections are recycled.
		watchTimeout: func() int64 { return int64(300 + rand.IntN(300)) },
	}
	for _, ix := range indexers {
		i.indices[ix.Name] = make(map[string]*indexSet)
	}
	// What an API server serves at one resourceVersion is the same for every
	// informer; what a test's fake serves is not (shared.go).
	_, i.share = lw.(*client.ListWatcher[T])
	return i
}

// WithLogger sets the logger of list and watch failures (default: none).
// Call it before Run.
func (i *Informer[T]) WithLogger(log zerolog.Logger) *Informer[T] {
	i.log = log
	return i
}

// HasSynced reports whether the first list has been stored in the cache.
func (i *Informer[T]) HasSynced() bool { return i.synced.Load() }

// Get returns the cached object with key k.
func (i *Informer[T]) Get(k Key) (T, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	obj, ok := i.items[k]
	return obj, ok
}

// List returns every cached object, sorted by namespace and name.
func (i *Informer[T]) List() []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	keys := make([]Key, 0, len(i.items))
	for k := range i.items {
		keys = append(keys, k)
	}
	return i.sortedLocked(keys)
}

// ByIndex returns the cached objects whose index name has value, sorted by
// namespace and name; empty for an unknown index or value.
func (i *Informer[T]) ByIndex(name, value string) []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	set := i.indices[name][value]
	if set == nil {
		return []T{}
	}
	keys := set.sortedKeys()
	out := make([]T, len(keys))
	for n, k := range keys {
		out[n] = i.items[k]
	}
	return out
}

func (i *Informer[T]) sortedLocked(keys []Key) []T {
	slices.SortFunc(keys, compareKeys)
	out := make([]T, len(keys))
	for n, k := range keys {
		out[n] = i.items[k]
	}
	return out
}

// AddHandler registers h. It may be called before or during Run; a handler
// added during Run first gets OnAdd for every cached object. The function
// it returns reports whether h has been told of every object of the first
// list (client-go's registration HasSynced): h's view of the cache is then
// complete, if behind the cache by the notifications not yet dispatched.
func (i *Informer[T]) AddHandler(h Handler[T]) (synced func() bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	initial := make([]T, 0, len(i.items))
	for _, obj := range i.items {
		initial = append(initial, obj)
	}
	told := new(atomic.Bool)
	i.notify(notification[T]{kind: notifyRegister, handler: h, initial: initial, told: told, listed: i.synced.Load()})
	return told.Load
}

// notify queues n for the dispatch goroutine. Callers hold i.mu, so the
// order of notifications is the order of the cache changes.
func (i *Informer[T]) notify(n notification[T]) {
	i.qmu.Lock()
	i.pending = append(i.pending, n)
	i.qmu.Unlock()
	select {
	case i.signal <- struct{}{}:
	default:
	}
}

// Run fills the cache and keeps it in step until ctx ends, calling the
// handlers; it returns nil then. It may be called only once.
func (i *Informer[T]) Run(ctx context.Context) error {
	if !i.running.CompareAndSwap(false, true) {
		return errors.New("informer already started")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		i.dispatch(ctx)
	}()
	i.listAndWatch(ctx)
	wg.Wait()
	i.checkMutations()
	return nil
}

// checkMutations checks every cached object with the mutation detector.
func (i *Informer[T]) checkMutations() {
	if i.mutations == nil {
		return
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	for k, obj := range i.items {
		i.mutations.check(k, obj, false)
	}
}

// dispatch calls the handlers with the queued notifications, in order,
// and queues every cached object again each resync period (in this
// goroutine: an informer's goroutines are scanned at every GC).
func (i *Informer[T]) dispatch(ctx context.Context) {
	var (
		handlers []Handler[T]
		told     []*atomic.Bool // of handlers registered before the first list
	)
	var resync <-chan time.Time
	if i.resync > 0 {
		t := time.NewTicker(i.resync)
		defer t.Stop()
		resync = t.C
	}
	for {
		select { // also while notifications keep coming
		case <-resync:
			i.resyncNow()
		default:
		}
		i.qmu.Lock()
		batch := i.pending
		i.pending = nil
		i.qmu.Unlock()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-i.signal:
				continue
			case <-resync:
				i.resyncNow()
				continue
			}
		}
		for _, n := range batch {
			if ctx.Err() != nil {
				return
			}
			switch n.kind {
			case notifyRegister:
				handlers = append(handlers, n.handler)
				for _, obj := range n.initial {
					n.handler.OnAdd(obj)
				}
				if n.listed {
					n.told.Store(true)
				} else {
					told = append(told, n.told)
				}
			case notifyListed:
				for _, t := range told {
					t.Store(true)
				}
				told = nil
			case notifyAdd:
				for _, h := range handlers {
					h.OnAdd(n.new)
				}
			case notifyUpdate:
				for _, h := range handlers {
					h.OnUpdate(n.old, n.new)
				}
			case notifyDelete:
				for _, h := range handlers {
					h.OnDelete(n.old)
				}
			}
		}
	}
}

// resyncNow queues every cached object as updated, once synced.
func (i *Informer[T]) resyncNow() {
	if !i.HasSynced() {
		return
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	for _, obj := range i.items {
		i.notify(notification[T]{kind: notifyUpdate, old: obj, new: obj})
	}
}
