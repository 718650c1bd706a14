package events

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// Sink writes Event objects; ClientSink adapts the REST client.
type Sink interface {
	// Create creates ev in ev.Namespace.
	Create(ctx context.Context, ev *api.Event) error
	// Patch merge-patches the named event; an error for which
	// client.IsNotFound holds if it does not exist.
	Patch(ctx context.Context, namespace, name string, mergePatch []byte) error
}

// ClientSink returns the Sink that writes through c.
func ClientSink(c *client.Client) Sink { return clientSink{c} }

type clientSink struct{ c *client.Client }

func (s clientSink) Create(ctx context.Context, ev *api.Event) error {
	_, err := s.c.Events(ev.Namespace).Create(ctx, ev)
	return err
}

func (s clientSink) Patch(ctx context.Context, ns, name string, p []byte) error {
	_, err := s.c.Events(ns).Patch(ctx, name, client.MergePatchType, p)
	return err
}

// Config tunes a Recorder.
type Config struct {
	// Source names the reporting component (source.component and
	// reportingComponent), e.g. "default-scheduler".
	Source string
	// Host is source.host; Instance is reportingInstance (e.g. the
	// replica identity). Both optional.
	Host, Instance string
	// QPS and Burst limit the writes; 0 means 50 and 100.
	QPS   float64
	Burst int
	// Buffer is how many events may wait to be written (0: 1000).
	Buffer int
	// Workers write in parallel (0: 4).
	Workers int
	// CacheSize is how many distinct events, and how many sources'
	// objects (their similar events and spam budgets), are remembered
	// (0: 4096).
	CacheSize int
}

// The correlation rules of client-go's EventCorrelator.
const (
	// similarMax distinct messages of one source, object, type and
	// reason within similarWindow make the next ones one combined event.
	similarMax    = 10
	similarWindow = 10 * time.Minute
	combinedBy    = "(combined from similar events): "
	// A source may write spamBurst events about one object, then one
	// more every spamEvery.
	spamBurst = 25
	spamEvery = 5 * time.Minute
)

// Recorder queues events and writes them; see the package doc.
// Recorders made by WithSource share its queue, rate limit, aggregation
// cache and workers, as client-go's recorders share one broadcaster.
type Recorder struct {
	*queue
	source string
}

// queue is what the recorders of one component share.
type queue struct {
	sink    Sink
	cfg     Config
	log     zerolog.Logger
	now     func() time.Time
	limiter *rate.Limiter
	seed    maphash.Seed
	queues  []chan *record // pointers: a channel allocates its whole buffer up front
	dropped atomic.Int64
	spammed atomic.Int64
	names   atomic.Int64 // makes event names unique within a nanosecond

	mu      sync.Mutex
	written lru[aggKey, aggregate]     // the Event object each distinct event went to
	objects lru[uint64, *objectEvents] // by the hash of the objectKey
}

type record struct {
	key     aggKey
	message string // key.message, or the combined message
	ref     api.ObjectReference
	at      time.Time
}

// objectKey is one source's events about one object.
type objectKey struct {
	source                                 string
	apiVersion, kind, namespace, name, uid string
}

// aggKey identifies events that aggregate into one Event object.
type aggKey struct {
	objectKey
	eventType, reason, message string
	combined                   bool // the similar events' combined event; message is empty
}

// objectEvents is what correlate keeps of one source's events about one
// object: a few dozen bytes, for thousands of pods. Its spam budget is a
// token bucket of spamBurst refilled one per spamEvery, kept as two
// numbers (a rate.Limiter and its pointer would double the entry).
type objectEvents struct {
	tokens  float64
	at      time.Time // of tokens
	similar []similarEvents
}

// similarEvents is what correlate knows of the events of one type and
// reason, which differ only in their message: the hashes of up to
// similarMax-1 of their messages.
type similarEvents struct {
	group    uint64 // the hash of the type and reason
	messages []uint64
	last     time.Time
}

// take spends one of o's tokens at now, if it has one.
func (o *objectEvents) take(now time.Time) bool {
	if now.After(o.at) {
		o.tokens = min(spamBurst, o.tokens+now.Sub(o.at).Seconds()/spamEvery.Seconds())
		o.at = now
	}
	if o.tokens < 1 {
		return false
	}
	o.tokens--
	return true
}

type aggregate struct {
	key       aggKey
	namespace string
	name      string // of the Event object
	count     int32
	first     time.Time
}

// New returns a recorder writing to sink; it writes nothing until Run.
func New(sink Sink, cfg Config, log zerolog.Logger) *Recorder {
	if cfg.QPS <= 0 {
		cfg.QPS = 50
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 100
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 4096
	}
	r := &queue{
		sink:    sink,
		cfg:     cfg,
		log:     log,
		now:     time.Now,
		limiter: rate.NewLimiter(rate.Limit(cfg.QPS), cfg.Burst),
		seed:    maphash.MakeSeed(),
		written: newLRU[aggKey, aggregate](cfg.CacheSize),
		objects: newLRU[uint64, *objectEvents](cfg.CacheSize),
	}
	per := max(cfg.Buffer/cfg.Workers, 1)
	for range cfg.Workers {
		r.queues = append(r.queues, make(chan *record, per))
	}
	return &Recorder{queue: r, source: cfg.Source}
}

// WithSource returns a recorder reporting as source (source.component and
// reportingComponent) through r's queue: run r, not it. A controller
// manager runs one recorder and gives each controller its own source.
func (r *Recorder) WithSource(source string) *Recorder {
	return &Recorder{queue: r.queue, source: source}
}

// Ref returns a reference to obj for Eventf.
func Ref(apiVersion, kind string, obj api.Object) api.ObjectReference {
	m := obj.GetObjectMeta()
	return api.ObjectReference{
		APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: m.Name,
		UID: m.UID, ResourceVersion: m.ResourceVersion,
	}
}

// Eventf queues an event about ref of eventType (api.EventTypeNormal or
// api.EventTypeWarning) with a CamelCase reason and a message. It never
// blocks; see the package doc.
func (r *Recorder) Eventf(ref api.ObjectReference, eventType, reason, messageFmt string, args ...any) {
	msg := messageFmt
	if len(args) > 0 {
		msg = fmt.Sprintf(messageFmt, args...)
	}
	rec := &record{
		key: aggKey{
			objectKey: objectKey{source: r.source, apiVersion: ref.APIVersion, kind: ref.Kind,
				namespace: ref.Namespace, name: ref.Name, uid: ref.UID},
			eventType: eventType, reason: reason, message: msg,
		},
		message: msg,
		ref:     ref,
		at:      r.now(),
	}
	if !r.correlate(rec) {
		r.spammed.Add(1)
		return
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(ref.Namespace)
	h.WriteString(ref.Name)
	h.WriteString(reason)
	q := r.queues[h.Sum64()%uint64(len(r.queues))]
	select {
	case q <- rec:
	default:
		if n := r.dropped.Add(1); n == 1 || n%1000 == 0 {
			r.log.Warn().Int64("dropped", n).Str("reason", reason).Msg("event queue full, dropping events")
		}
	}
}

// Dropped is how many events were dropped because the queue was full.
func (r *queue) Dropped() int64 { return r.dropped.Load() }

// Spammed is how many events were dropped because their source had
// spent its budget for their object.
func (r *queue) Spammed() int64 { return r.spammed.Load() }

// correlate applies client-go's EventCorrelator to rec: past similarMax
// distinct messages within similarWindow, the events of one source about
// one object with one type and reason become one combined event (rec is
// changed into it); and it reports whether the source's budget for the
// object has room for rec. A ReplicaSet creating a thousand pods so
// writes 25 events, not a thousand: nine "Created pod: …", then one
// "(combined from similar events): Created pod: …" counted up.
func (r *queue) correlate(rec *record) bool {
	k := rec.key
	var h maphash.Hash
	h.SetSeed(r.seed)
	for _, f := range []string{k.source, k.apiVersion, k.kind, k.namespace, k.name, k.uid} {
		h.WriteString(f)
		h.WriteByte(0)
	}
	object := h.Sum64()
	h.Reset()
	h.WriteString(k.eventType)
	h.WriteByte(0)
	h.WriteString(k.reason)
	group := h.Sum64()
	message := maphash.String(r.seed, rec.message)

	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.objects.get(object)
	if !ok {
		o = &objectEvents{tokens: spamBurst, at: rec.at}
		r.objects.put(object, o)
	}
	i := slices.IndexFunc(o.similar, func(s similarEvents) bool { return s.group == group })
	if i < 0 {
		i = len(o.similar)
		o.similar = append(o.similar, similarEvents{group: group})
	}
	s := &o.similar[i]
	if rec.at.Sub(s.last) > similarWindow {
		s.messages = s.messages[:0]
	}
	s.last = rec.at
	switch {
	case slices.Contains(s.messages, message):
	case len(s.messages) < similarMax-1:
		s.messages = append(s.messages, message)
	default:
		// The similarMax-th distinct message: this and every new one
		// after it are combined. (client-go then swaps one of the
		// messages it knows for this one; these stay.)
		k.message, k.combined = "", true
		rec.key, rec.message = k, combinedBy+rec.message
	}
	return o.take(rec.at)
}

// Run writes queued events until ctx is done; it returns nil then.
func (r *queue) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range r.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case rec := <-q:
					if err := r.limiter.Wait(ctx); err != nil {
						return
					}
					if err := r.write(ctx, rec); err != nil && ctx.Err() == nil {
						r.log.Debug().Err(err).Str("reason", rec.key.reason).
							Str("object", rec.ref.Namespace+"/"+rec.ref.Name).Msg("write event")
					}
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// write creates the Event for rec, or bumps the one it aggregates into.
func (r *queue) write(ctx context.Context, rec *record) error {
	if agg := r.lookup(rec.key); agg != nil {
		bump := map[string]any{"count": agg.count + 1, "lastTimestamp": api.NewTime(rec.at)}
		if rec.key.combined {
			bump["message"] = rec.message
		}
		patch, err := json.Marshal(bump)
		if err != nil {
			return err
		}
		err = r.sink.Patch(ctx, agg.namespace, agg.name, patch)
		if err == nil {
			r.remember(aggregate{key: rec.key, namespace: agg.namespace, name: agg.name, count: agg.count + 1, first: agg.first})
			return nil
		}
		if !client.IsNotFound(err) {
			return fmt.Errorf("patch event %s/%s: %w", agg.namespace, agg.name, err)
		}
		// Deleted (expired) meanwhile: start over.
	}
	ev := r.newEvent(rec)
	if err := r.sink.Create(ctx, ev); err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	r.remember(aggregate{key: rec.key, namespace: ev.Namespace, name: ev.Name, count: 1, first: rec.at})
	return nil
}

func (r *queue) newEvent(rec *record) *api.Event {
	ns := rec.ref.Namespace
	if ns == "" {
		ns = "default" // events about cluster-scoped objects, as Kubernetes does
	}
	// Kubernetes names events <object>.<hex nanoseconds>.
	nanos := rec.at.UnixNano() + r.names.Add(1)
	return &api.Event{
		TypeMeta:            api.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta:          api.ObjectMeta{Name: rec.ref.Name + "." + strconv.FormatInt(nanos, 16), Namespace: ns},
		InvolvedObject:      rec.ref,
		Reason:              rec.key.reason,
		Message:             rec.message,
		Source:              api.EventSource{Component: rec.key.source, Host: r.cfg.Host},
		FirstTimestamp:      api.NewTime(rec.at),
		LastTimestamp:       api.NewTime(rec.at),
		Count:               1,
		Type:                rec.key.eventType,
		ReportingController: rec.key.source,
		ReportingInstance:   r.cfg.Instance,
	}
}

// lookup returns the aggregate of k, if remembered.
func (r *queue) lookup(k aggKey) *aggregate {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.written.get(k)
	if !ok {
		return nil
	}
	return &a
}

// remember records a as the latest state of its event.
func (r *queue) remember(a aggregate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written.put(a.key, a)
}

// lru is a map that keeps its size most recently used entries.
type lru[K comparable, V any] struct {
	size  int
	m     map[K]*list.Element // of *lruEntry[K, V]
	order list.List           // most recent first
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](size int) lru[K, V] {
	return lru[K, V]{size: size, m: make(map[K]*list.Element)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	el, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry[K, V]).val, true
}

func (c *lru[K, V]) put(k K, v V) {
	if el, ok := c.m[k]; ok {
		el.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.m[k] = c.order.PushFront(&lruEntry[K, V]{k, v})
	for c.order.Len() > c.size {
		delete(c.m, c.order.Remove(c.order.Back()).(*lruEntry[K, V]).key)
	}
}
