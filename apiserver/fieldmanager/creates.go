package fieldmanager

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"math"
	"reflect"
	"strconv"
	"sync"
)

// createCache keeps the sets of creates, and their FieldsV1, by a digest
// of their bodies' fields (see digester.value): a ReplicaSet's pods come
// from one template, Events differ only in values, and listing an object's
// fields and writing them as FieldsV1 was most of the cost of its create.
// It holds nil for a digest seen once, so that one-off bodies neither pay
// for storing their sets nor evict others'; it is cleared when full.
type createCache struct {
	mu   sync.Mutex
	sets map[[2]uint64]*readFields // never changed once stored
}

const maxCreates = 1024

// get returns what is stored for k, and whether k was seen before; it
// records k as seen.
func (c *createCache) get(k [2]uint64) (*readFields, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, seen := c.sets[k]
	if !seen {
		if len(c.sets) >= maxCreates || c.sets == nil {
			c.sets = map[[2]uint64]*readFields{}
		}
		c.sets[k] = nil
	}
	return r, seen
}

func (c *createCache) put(k [2]uint64, r *readFields) {
	c.mu.Lock()
	c.sets[k] = r
	c.mu.Unlock()
}

// Two hashes under independent seeds make a 128-bit digest: bodies with
// the same digest are taken to have the same fields.
var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// digestOf hashes a decoded object and a subresource. It reports false
// for a value of a type it does not know, which is not cached.
func digestOf(o Object, subresource string) ([2]uint64, bool) {
	w := digester{buf: make([]byte, 0, 256)}
	w.string('r', subresource)
	ok := w.value(o, false)
	return w.sum(0), ok
}

// digester writes values to hash: a tag for the type, then the value,
// strings with their length so that a list's cannot be cut differently.
type digester struct{ buf []byte }

// value writes v, inside a list or not. A map's entries are hashed apart,
// each with its key, and their sum written, so that their order does not
// matter; a list's elements are written in order. A scalar outside lists
// adds only its path to the set, whatever its value, so only its type is
// written: Events, which differ in messages, names and times, share a
// digest. Inside a list a value may be an element's key (k:) or the
// element itself (v:), so it is written whole.
func (w *digester) value(v any, inList bool) bool {
	switch t := v.(type) {
	case map[string]any:
		var sum [2]uint64
		for k, e := range t {
			start := len(w.buf)
			w.string('e', k)
			if !w.value(e, inList) {
				return false
			}
			d := w.sum(start)
			w.buf = w.buf[:start]
			sum[0], sum[1] = sum[0]+d[0], sum[1]+d[1]
		}
		w.uint('m', sum[0])
		w.uint('m', sum[1])
		return true
	case []any:
		w.uint('l', uint64(len(t)))
		for _, e := range t {
			if !w.value(e, true) {
				return false
			}
		}
		return true
	}
	if !inList {
		return w.scalarType(v)
	}
	switch t := v.(type) {
	case string:
		w.string('s', t)
	case json.Number:
		w.string('n', string(t))
	case int64, int32, int:
		w.uint('i', uint64(reflect.ValueOf(t).Int()))
	case float64:
		w.uint('f', math.Float64bits(t))
	case bool:
		w.string('b', strconv.FormatBool(t))
	case nil:
		w.buf = append(w.buf, 'z')
	default:
		return false
	}
	return true
}

// scalarType writes the tag of a scalar's type alone.
func (w *digester) scalarType(v any) bool {
	var tag byte
	switch v.(type) {
	case string:
		tag = 's'
	case json.Number:
		tag = 'n'
	case int64, int32, int:
		tag = 'i'
	case float64:
		tag = 'f'
	case bool:
		tag = 'b'
	case nil:
		tag = 'z'
	default:
		return false
	}
	w.buf = append(w.buf, tag)
	return true
}

func (w *digester) uint(tag byte, x uint64) {
	w.buf = binary.LittleEndian.AppendUint64(append(w.buf, tag), x)
}

func (w *digester) string(tag byte, s string) {
	w.buf = append(binary.AppendUvarint(append(w.buf, tag), uint64(len(s))), s...)
}

// sum hashes what was written from start.
func (w *digester) sum(start int) [2]uint64 {
	return [2]uint64{maphash.Bytes(seeds[0], w.buf[start:]), maphash.Bytes(seeds[1], w.buf[start:])}
}

// copyTree copies a FieldsV1 tree, whose values are all such trees.
func copyTree(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		child, _ := v.(map[string]any)
		c[k] = copyTree(child)
	}
	return c
}
