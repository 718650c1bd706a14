package api

import (
	"hash/maphash"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"unsafe"
)

// Compact shares equal parts between the values it readies, as a
// hash-consing table does: once a pointer's target, a slice's elements or
// a map of strings have been compacted (their own parts shared, their
// strings interned), a part equal to one seen recently is replaced by that
// one. A Deployment's pods then hold one copy of their tolerations, owner
// reference, labels and service account volume source between them, in
// every informer of the process (TestCompactShares). A pod of a
// Deployment then costs 1.5 KB in a cache rather than 3.4, and decoding
// and compacting it about 3% more time (BenchmarkKeptPod,
// BenchmarkUnmarshalPod).
//
// Equality is by memory: a compacted part's strings are interned and its
// own parts already shared, so two equal parts hold the same bytes —
// the same string and part addresses, equal numbers — and comparing them
// does not recurse. Parts that are equal but not alike in memory (a
// string not interned, an interface value) are only not shared, never
// wrongly so.
//
// What Compact readied must not be changed, which is the informer's rule
// for its cache anyway (MINIK8S_CACHE_MUTATION_DETECTOR checks it):
// changing a shared part would change every object holding it.

// sharedParts is a table of recently compacted parts, by hash, each part
// having two slots: a part finding an equal one in either takes it;
// otherwise it takes a free slot of its two, or one of them at random.
// (With one slot, two parts of every pod landing on one slot, as happens
// in some processes, would evict each other for ever.) Bounded, so a part
// no object holds any more is let go once others take its slots; a part
// that repeats (a Deployment's tolerations) is put back by the next
// object that holds it.
var sharedParts [1 << 14]atomic.Pointer[sharedPart]

type sharedPart struct {
	typ  reflect.Type
	hash uint64
	val  any // the pointer, slice or map
}

var shareSeed = maphash.MakeSeed()

// share replaces the compacted pointer, slice or map v (settable, not
// nil) with an equal part seen before, or offers v for others to share.
func share(v reflect.Value) {
	if !v.CanSet() {
		return
	}
	h, ok := partHash(v)
	if !ok {
		return
	}
	// Parts of different types may hold the same bytes (a *Time and a
	// *ContainerStateRunning at that time): the type tells their slots apart.
	h ^= uint64(reflect.ValueOf(v.Type()).Pointer()) * 0x9e3779b97f4a7c15
	slots := [2]*atomic.Pointer[sharedPart]{
		&sharedParts[h%uint64(len(sharedParts))],
		&sharedParts[(h>>32^h<<7)%uint64(len(sharedParts))],
	}
	free := -1
	for i, slot := range slots {
		s := slot.Load()
		if s == nil {
			free = i
			continue
		}
		if s.hash == h && s.typ == v.Type() {
			if sv := reflect.ValueOf(s.val); samePart(v, sv) {
				v.Set(sv)
				return
			}
		}
	}
	if free < 0 {
		free = rand.IntN(2)
	}
	slots[free].Store(&sharedPart{typ: v.Type(), hash: h, val: v.Interface()})
}

// partHash hashes the memory of v's target (partMemory) or the entries of
// a map of strings; ok is false for a part it does not share.
func partHash(v reflect.Value) (uint64, bool) {
	if b, ok := partMemory(v); ok {
		return maphash.Bytes(shareSeed, b), true
	}
	m, ok := stringMap(v)
	if !ok || len(m) == 0 {
		return 0, false
	}
	var h uint64
	for k, s := range m { // any order: entries' hashes add up
		h += maphash.String(shareSeed, k) ^ maphash.String(shareSeed, s)*31
	}
	return h, true
}

// partMemory is the memory a pointer's target or a non-empty slice's
// elements occupy; ok is false for other values.
func partMemory(v reflect.Value) ([]byte, bool) {
	switch {
	case v.Kind() == reflect.Pointer:
		return memoryOf(v.UnsafePointer(), v.Type().Elem().Size()), true
	case v.Kind() == reflect.Slice && v.Len() > 0:
		return memoryOf(v.UnsafePointer(), uintptr(v.Len())*v.Type().Elem().Size()), true
	}
	return nil, false
}

// samePart reports whether a and b (of one type) are equal as share
// compares them.
func samePart(a, b reflect.Value) bool {
	if x, ok := partMemory(a); ok {
		y, _ := partMemory(b)
		return string(x) == string(y)
	}
	x, _ := stringMap(a)
	y, _ := stringMap(b)
	if len(x) != len(y) {
		return false
	}
	for k, s := range x {
		if t, ok := y[k]; !ok || t != s {
			return false
		}
	}
	return true
}

var mapOfStrings = reflect.TypeFor[map[string]string]()

// stringMap returns v as a map[string]string if it is a map whose keys and
// values are strings (labels, annotations, selectors).
func stringMap(v reflect.Value) (map[string]string, bool) {
	t := v.Type()
	switch {
	case t.Kind() != reflect.Map:
		return nil, false
	case t == mapOfStrings:
		return v.Interface().(map[string]string), true
	case t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String:
		return nil, false
	}
	return v.Convert(mapOfStrings).Interface().(map[string]string), true // allocates
}

func memoryOf(p unsafe.Pointer, n uintptr) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}
