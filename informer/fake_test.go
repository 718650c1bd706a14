package informer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// fakeSource is an in-memory API server for one resource: the source of
// truth with a change log, behind the ListWatch seam. Objects handed out are
// copies, as decoding would make them.
type fakeSource struct {
	mu        sync.Mutex
	rv        int64
	objects   map[Key]*api.Pod
	log       []client.WatchEvent[*api.Pod] // every change, in order
	compacted int64                         // watches from before this revision get 410
	goneAsEvt bool                          // report 410 as an ERROR event rather than refusing the watch
	watch     chan client.WatchEvent[*api.Pod]
	silent    bool // changes are logged but not sent to the open watch

	listErrs  []error // returned by the next List calls, in order
	lists     int
	watchFrom []int64 // fromRV of every Watch call
}

func newFakeSource(pods ...*api.Pod) *fakeSource {
	f := &fakeSource{objects: make(map[Key]*api.Pod)}
	for _, p := range pods {
		f.create(p)
	}
	return f
}

func pod(ns, name, node string) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	p.Spec.NodeName = node
	return p
}

func (f *fakeSource) record(t client.EventType, p *api.Pod) {
	f.rv++
	p.ResourceVersion = strconv.FormatInt(f.rv, 10)
	ev := client.WatchEvent[*api.Pod]{Type: t, Object: api.DeepCopy(p)}
	f.log = append(f.log, ev)
	if f.watch != nil && !f.silent {
		f.watch <- ev
	}
}

func (f *fakeSource) create(p *api.Pod) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p = api.DeepCopy(p)
	f.objects[KeyOf(p)] = p
	f.record(client.Added, p)
}

func (f *fakeSource) update(ns, name string, change func(*api.Pod)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.objects[Key{ns, name}]
	change(p)
	f.record(client.Modified, p)
}

func (f *fakeSource) remove(ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.objects[Key{ns, name}]
	delete(f.objects, Key{ns, name})
	f.record(client.Deleted, p)
}

// bookmark sends a bookmark at a new revision on the open watch.
func (f *fakeSource) bookmark() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rv++
	b := &api.Pod{ObjectMeta: api.ObjectMeta{ResourceVersion: strconv.FormatInt(f.rv, 10)}}
	f.watch <- client.WatchEvent[*api.Pod]{Type: client.Bookmark, Object: b}
	return f.rv
}

// drained reports whether the open watch's events have all been received.
// The informer handles an event before receiving the next, so after
// drained a close of the stream is seen after every event was handled.
func (f *fakeSource) drained() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watch == nil || len(f.watch) == 0
}

// breakWatch ends the open watch stream, as a server restart would.
func (f *fakeSource) breakWatch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watch != nil {
		close(f.watch)
		f.watch = nil
	}
}

// compact forgets the change log up to the current revision.
func (f *fakeSource) compact() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.compacted = f.rv
	f.log = nil
}

func (f *fakeSource) setSilent(s bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silent = s
}

func (f *fakeSource) stats() (lists int, watchFrom []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, slices.Clone(f.watchFrom)
}

func (f *fakeSource) snapshot() map[Key]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[Key]string)
	for k, p := range f.objects {
		m[k] = p.ResourceVersion
	}
	return m
}

var gone = &client.StatusError{Status: api.Status{Code: 410, Reason: api.StatusReasonExpired, Message: "too old resource version"}}

func (f *fakeSource) List(ctx context.Context, opt client.ListOptions) ([]*api.Pod, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if len(f.listErrs) > 0 {
		err := f.listErrs[0]
		f.listErrs = f.listErrs[1:]
		return nil, 0, err
	}
	var out []*api.Pod
	for _, p := range f.objects {
		out = append(out, api.DeepCopy(p))
	}
	return out, f.rv, nil
}

func (f *fakeSource) Watch(ctx context.Context, opt client.ListOptions, fromRV int64) (<-chan client.WatchEvent[*api.Pod], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watchFrom = append(f.watchFrom, fromRV)
	if opt.TimeoutSeconds <= 0 {
		return nil, fmt.Errorf("watch without timeoutSeconds")
	}
	ch := make(chan client.WatchEvent[*api.Pod], 10000)
	if fromRV < f.compacted {
		if !f.goneAsEvt {
			return nil, gone
		}
		ch <- client.WatchEvent[*api.Pod]{Type: client.Error, Err: gone}
		close(ch)
		return ch, nil
	}
	for _, ev := range f.log {
		if client.ResourceVersion(ev.Object) > fromRV {
			ch <- ev
		}
	}
	if f.watch != nil {
		close(f.watch)
	}
	f.watch = ch
	return ch, nil
}
