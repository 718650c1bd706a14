package apiserver

import (
	"bytes"
	"encoding/json"
	"sync"

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
type selectAttrs struct {
	labels map[string]string
	fields map[string]string
}

// readSelectAttrs reads the attributes from an object's JSON, decoding
// only the objects on the way to them (no array, no other field).
func readSelectAttrs(res *registry.Resource, value []byte) (*selectAttrs, error) {
	a := &selectAttrs{fields: make(map[string]string, len(res.Fields)+2)}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(value, &top); err != nil {
		return nil, err
	}
	var meta struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	}
	if raw := top["metadata"]; raw != nil {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, err
		}
	}
	a.labels = meta.Labels
	a.fields["metadata.name"], a.fields["metadata.namespace"] = meta.Name, meta.Namespace
	// The objects read so far, by the path to them joined with ".".
	objects := map[string]map[string]json.RawMessage{"": top}
	for name, path := range res.Fields {
		if v, ok := readPath(objects, path); ok {
			a.fields[name] = v
		}
	}
	return a, nil
}

// readPath reads the scalar at path, as fieldString renders it.
func readPath(objects map[string]map[string]json.RawMessage, path []string) (string, bool) {
	obj, prefix := objects[""], ""
	for i, p := range path[:len(path)-1] {
		if i > 0 {
			prefix += "."
		}
		prefix += p
		next, seen := objects[prefix]
		if !seen {
			raw := obj[p]
			if raw == nil || json.Unmarshal(raw, &next) != nil {
				next = nil // absent, null or not an object
			}
			objects[prefix] = next
		}
		if next == nil {
			return "", false
		}
		obj = next
	}
	raw := obj[path[len(path)-1]]
	if raw == nil {
		return "", false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || v == nil {
		return "", false
	}
	return fieldString(v), true
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
