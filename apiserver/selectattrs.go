package apiserver

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"unique"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// selectAttrs is what label and field selectors read of one version of an
// object: its labels and the values of its resource's selectable fields
// (absent when the object lacks the field). A change is read once for
// every watcher with selectors, as Kubernetes' watch cache computes an
// event's attributes once: a pod's change reaches a kubelet's watch per
// node, and each decoding the whole pod to read spec.nodeName made every
// change cost in proportion to the nodes.
//
// It also holds where the version's managedFields are, which every
// watcher that asked for objects without them cuts out.
type selectAttrs struct {
	labels map[string]string
	fields map[string]string
	// managedFrom and managedTo are managedFieldsSpan's, if managed.
	managedFrom, managedTo int
	managed                bool
}

// readSelectAttrs reads the attributes from an object's JSON. It checks
// the JSON once, then reads only what it needs with
// github.com/tidwall/gjson, which skips over the rest without decoding it:
// a pod's managedFields and spec cost a scan, not a decode, and a change
// is read in microseconds.
func readSelectAttrs(res *registry.Resource, value []byte) (*selectAttrs, error) {
	if !gjson.ValidBytes(value) {
		return nil, errors.New("the stored object is not valid JSON")
	}
	// A view of value, not a copy: what the attributes keep is cloned.
	top := gjson.Parse(unsafe.String(unsafe.SliceData(value), len(value)))
	if !top.IsObject() {
		return nil, errors.New("the stored object is not a JSON object")
	}
	a := &selectAttrs{fields: make(map[string]string, len(res.Fields)+2)}
	meta := top.Get("metadata")
	if labels := meta.Get("labels"); labels.IsObject() {
		a.labels = map[string]string{}
		labels.ForEach(func(k, v gjson.Result) bool {
			a.labels[strings.Clone(k.Str)] = strings.Clone(stringOf(v))
			return true
		})
	}
	a.managedFrom, a.managedTo, a.managed = managedFieldsSpanAt(value, meta.Get("managedFields"))
	a.fields["metadata.name"] = strings.Clone(stringOf(meta.Get("name")))
	a.fields["metadata.namespace"] = strings.Clone(stringOf(meta.Get("namespace")))
	// The objects read so far, by their first key (most fields share one:
	// spec or status).
	objects := map[string]gjson.Result{}
	for name, path := range res.Fields {
		first, ok := objects[path[0]]
		if !ok {
			first = top.Get(gjson.Escape(path[0]))
			objects[path[0]] = first
		}
		if v, ok := readPath(first, path[1:]); ok {
			a.fields[name] = strings.Clone(v)
		}
	}
	return a, nil
}

// stringOf is a JSON string's value, and "" for any other value, as
// nestedString and stringMap read a decoded object.
func stringOf(r gjson.Result) string {
	if r.Type == gjson.String {
		return r.Str
	}
	return ""
}

// readPath reads the scalar at path below v, as fieldString renders the
// decoded value: absent on the way through anything but an object, and
// when null.
func readPath(v gjson.Result, path []string) (string, bool) {
	for _, p := range path {
		if !v.IsObject() {
			return "", false
		}
		v = v.Get(gjson.Escape(p))
	}
	switch v.Type {
	case gjson.Null:
		return "", false // null, or absent
	case gjson.String:
		return v.Str, true
	case gjson.True, gjson.False:
		return strconv.FormatBool(v.Bool()), true
	}
	return v.Raw, true // a number as written, as json.Number keeps it
}

// attrCache holds the selector attributes of the most recent changes, so
// that the watchers of one change read it once between them.
type attrCache struct {
	mu    sync.Mutex
	byKey map[attrKey]*selectAttrs
	order []attrKey // a ring of the keys held, oldest at next
	next  int
}

type attrKey struct {
	store.Key
	rev int64
}

// attrCacheSize bounds the changes whose attributes are held: watchers
// read a change within moments of one another.
const attrCacheSize = 1024

// get returns the attributes of the object version c carries.
func (ac *attrCache) get(res *registry.Resource, c *store.Change) (*selectAttrs, error) {
	k := attrKey{c.Key, c.Revision}
	ac.mu.Lock()
	a, ok := ac.byKey[k]
	ac.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := readSelectAttrs(res, c.Value)
	if err != nil {
		return nil, err
	}
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.byKey == nil {
		ac.byKey = make(map[attrKey]*selectAttrs, attrCacheSize)
		ac.order = make([]attrKey, attrCacheSize)
	}
	if _, ok := ac.byKey[k]; !ok {
		delete(ac.byKey, ac.order[ac.next])
		ac.order[ac.next] = k
		ac.next = (ac.next + 1) % attrCacheSize
		ac.byKey[k] = a
	}
	return a, nil
}

// watchIndex is the hub's index (hub.WithIndex): the value of the field
// each kind's watchers are indexed by (registry.Resource.WatchIndex, a
// pod's spec.nodeName), read from a change's JSON as selectors read it
// (readPath, and zeroValue when absent), so that a watcher indexed by a
// selector's value is offered exactly the changes the selector can match.
// Values are interned: the hub keeps every object's.
func watchIndex() func(*store.Change) (string, bool) {
	type index struct {
		path []string
		zero string
	}
	byStore := map[string]index{}
	for _, r := range registry.All() {
		if r.WatchIndex == "" {
			continue
		}
		ix := index{path: r.Fields[r.WatchIndex]}
		if r.Schema.Go != nil {
			ix.zero = zeroValue(r.Schema.Go, ix.path)
		}
		byStore[r.StoreName()] = ix
	}
	return func(c *store.Change) (string, bool) {
		ix, ok := byStore[c.Resource]
		if !ok {
			return "", false
		}
		// A view of the value, not a copy: the value kept is interned.
		v, ok := readPath(gjson.Parse(unsafe.String(unsafe.SliceData(c.Value), len(c.Value))), ix.path)
		if !ok {
			v = ix.zero
		}
		return unique.Make(v).Value(), true
	}
}
