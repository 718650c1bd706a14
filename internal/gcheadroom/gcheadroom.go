// Package gcheadroom bounds how far the Go heap grows beyond what is live
// before the garbage collector runs again, from below and from above.
//
// Go's default (GOGC=100) starts the next collection once the heap has
// grown by as much as the last one found live. For a heap of a few hundred
// MB that headroom is cheap and spares collections. minik8s's heap is
// mostly long-lived caches, though (each informer's objects, the node
// agents' pods, the watch ring), and at 150,000 pods the headroom is itself
// gigabytes: close to half of the process's memory. Above maxHeadroom of
// live heap, Start lowers the GC percentage after every collection so
// that the next one starts once maxHeadroom more has been allocated.
//
// The trade is CPU for memory, and only for large heaps: collections run
// more often once the live heap passes maxHeadroom, never below it.
// Kubernetes' 1.24 release notes suggest the same trade for a large
// kube-apiserver (GOGC=63), and Prometheus lowers its default GOGC to 75.
//
// A small heap makes the opposite trade. With 20 MB live, Go collects after
// every 20 MB allocated, and a burst of work (a Deployment of 1,000 pods)
// allocates that in tens of milliseconds: the collector then marks the
// same caches over and over. Below minHeadroom of live heap, Start raises
// the percentage so that the heap may grow by minHeadroom: a fixed memory
// cost, of the kind a heap ballast buys, for fewer collections.
//
// A GOGC set in the environment is the user's choice and wins: Start then
// does nothing.
package gcheadroom

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/rs/zerolog"
)

// minPercent is the lowest GC percentage Start sets, however large the
// live heap: below it, collections would take most of the CPU.
const minPercent = 25

// basePercent is Go's default GC percentage, which Start keeps for heaps
// whose default headroom (as much as is live) lies within the bounds.
const basePercent = 100

// Bounds are the headroom's bounds in bytes; 0 is no bound.
type Bounds struct {
	Min, Max int64
}

// percentFor is the GC percentage for a heap of live bytes: Go's default,
// unless that lets the heap grow by less than b.Min bytes before the next
// collection (then the percentage that allows b.Min) or by more than b.Max
// (then the percentage that allows b.Max, but never less than minPercent).
func percentFor(live int64, b Bounds) int {
	if live <= 0 {
		return basePercent
	}
	switch { // Go's default headroom is live
	case b.Max > 0 && live > b.Max:
		return int(max(b.Max*100/live, minPercent))
	case b.Min > 0 && live < b.Min:
		return int((b.Min*100 + live - 1) / live)
	}
	return basePercent
}

// Start bounds the heap's headroom (b must have Min <= Max when both are
// set) until stop is called, which restores Go's default. It adjusts once
// per collection, after it, from the live heap that collection found; the
// adjustments are logged at debug level.
func Start(b Bounds, log zerolog.Logger) (stop func()) {
	if t := start(b, log); t != nil {
		return t.stop
	}
	return func() {}
}

// start starts a tuner, or returns nil if there is nothing to bound.
func start(b Bounds, log zerolog.Logger) *tuner {
	if b.Min <= 0 && b.Max <= 0 {
		return nil
	}
	if v := os.Getenv("GOGC"); v != "" {
		log.Debug().Str("GOGC", v).Msg("GOGC is set: the GC's headroom is left to it")
		return nil
	}
	t := &tuner{bounds: b, cur: basePercent, log: log,
		live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.arm()
	return t
}

// tuner adjusts the GC percentage after each collection. A sentinel, an
// object nothing references, is allocated per cycle; its cleanup runs
// once a collection has found it unreachable, adjusts, and allocates the
// next one.
type tuner struct {
	bounds Bounds
	log    zerolog.Logger

	mu      sync.Mutex
	live    []metrics.Sample
	cur     int // the GC percentage set
	stopped bool
}

// sentinel holds a pointer so that it is not batched with other tiny
// objects into one allocation slot, whose cleanups may never run.
type sentinel struct{ t *tuner }

func (t *tuner) arm() {
	s := &sentinel{t: t}
	runtime.AddCleanup(s, (*tuner).collected, t)
}

// collected runs after a collection.
func (t *tuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.live)
	if t.live[0].Value.Kind() == metrics.KindUint64 {
		live := int64(t.live[0].Value.Uint64())
		if p := percentFor(live, t.bounds); p != t.cur {
			debug.SetGCPercent(p)
			t.log.Debug().Int("gcPercent", p).Int64("liveHeapBytes", live).
				Int64("minHeadroomBytes", t.bounds.Min).Int64("maxHeadroomBytes", t.bounds.Max).
				Msg("GC percentage adjusted to bound the heap's headroom")
			t.cur = p
		}
	}
	t.arm()
}

// percent is the GC percentage the tuner set last.
func (t *tuner) percent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	if t.cur != basePercent {
		debug.SetGCPercent(basePercent)
		t.cur = basePercent
	}
}
