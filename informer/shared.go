package informer

import (
	"reflect"
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/minik8s/minik8s/api"
)

// keep readies obj for the cache and returns what the cache is to hold:
// obj without its managedFields (which the informer asks a minik8s server
// to leave out; another sends them) and compacted (api.Compact: no spare
// slice capacity, strings and equal parts shared with the other objects of
// the process) — or the equal object another informer of the process
// keeps already.
//
// An object is the same for every informer that receives it at one
// resourceVersion: the scheduler, the controller manager and the node
// agents of `minik8s all` each watch the pods over their own connections,
// and kept three equal copies of each. Each still decodes what it
// receives; the copy they keep is the first one, found by type,
// apiVersion, UID and resourceVersion (sharedObjects). An object without
// a UID or resourceVersion is kept as it is, and so is every object
// unless share: a test's fake may serve two different objects under one
// name, UID and resourceVersion, an API server never.
func keep[T api.Object](obj T, share bool) T {
	m := obj.GetObjectMeta()
	if !share || m.UID == "" || m.ResourceVersion == "" || reflect.TypeFor[T]().Kind() != reflect.Pointer {
		trim(obj)
		return obj
	}
	k := sharedKey{typ: reflect.TypeFor[T](), uid: m.UID, rv: m.ResourceVersion}
	if tm, ok := any(obj).(interface{ GetTypeMeta() *api.TypeMeta }); ok {
		k.apiVersion = tm.GetTypeMeta().APIVersion
	}
	if p := shared.get(k); p != nil {
		return fromPointer[T](p)
	}
	trim(obj)
	return fromPointer[T](shared.put(k, toPointer(obj)))
}

func trim[T api.Object](obj T) {
	obj.GetObjectMeta().ManagedFields = nil
	api.Compact(obj)
}

// toPointer and fromPointer convert between a pointer type T and the
// untyped pointer sharedObjects holds.
func toPointer[T any](obj T) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&obj)) }
func fromPointer[T any](p unsafe.Pointer) T { return *(*T)(unsafe.Pointer(&p)) }

// sharedKey names one version of one object. The apiVersion it was served
// at is part of it: a Go type may hold more than one.
type sharedKey struct {
	typ        reflect.Type
	apiVersion string
	uid, rv    string
}

// sharedObjects maps a version of an object to the copy the informers of
// the process keep, for as long as one of them keeps it: the map holds it
// weakly, and a cleanup drops its entry once the garbage collector has
// found it unreachable.
type sharedObjects struct {
	m sync.Map // sharedKey → weak.Pointer[byte] (the object, untyped)
}

var shared sharedObjects

// get returns the object kept under k, or nil.
func (s *sharedObjects) get(k sharedKey) unsafe.Pointer {
	if v, ok := s.m.Load(k); ok {
		return unsafe.Pointer(v.(weak.Pointer[byte]).Value())
	}
	return nil
}

// put offers obj under k and returns what is kept there: obj, or the
// copy another informer put first.
func (s *sharedObjects) put(k sharedKey, obj unsafe.Pointer) unsafe.Pointer {
	w := weak.Make((*byte)(obj))
	for {
		v, loaded := s.m.LoadOrStore(k, w)
		if !loaded {
			runtime.AddCleanup((*byte)(obj), dropShared, sharedEntry{k, w})
			return obj
		}
		if kept := v.(weak.Pointer[byte]).Value(); kept != nil {
			return unsafe.Pointer(kept)
		}
		// Its copy is gone, the entry not yet dropped: replace it.
		s.m.CompareAndDelete(k, v)
	}
}

type sharedEntry struct {
	k sharedKey
	w weak.Pointer[byte]
}

// dropShared forgets an object no cache holds any more (unless a newer
// copy took its key meanwhile).
func dropShared(e sharedEntry) { shared.m.CompareAndDelete(e.k, e.w) }
