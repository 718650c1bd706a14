package api

import (
	"reflect"
	"runtime"
	"sync"
	"unsafe"
	"weak"
)

// Version names one version of an object as an API server serves it: what
// it serves under one apiVersion, UID and resourceVersion is the same for
// every client. The Go type it is decoded into is part of the key too.
type Version struct {
	APIVersion, UID, ResourceVersion string
}

// VersionOf returns the version of a decoded object; ok is false for one
// without a UID or resourceVersion, which names no version.
func VersionOf(obj Object) (v Version, ok bool) {
	m := obj.GetObjectMeta()
	v = Version{UID: m.UID, ResourceVersion: m.ResourceVersion}
	if tm, isTyped := obj.(interface{ GetTypeMeta() *TypeMeta }); isTyped {
		v.APIVersion = tm.GetTypeMeta().APIVersion
	}
	return v, v.UID != "" && v.ResourceVersion != ""
}

// Shared returns the object kept under v by Share, if something still
// holds it. PT is the object's pointer type (*Pod).
func Shared[PT any](v Version) (PT, bool) {
	var zero PT
	p, ok := sharedObjects.Load(sharedKey{reflect.TypeFor[PT](), v})
	if !ok {
		return zero, false
	}
	obj := p.(weak.Pointer[byte]).Value()
	if obj == nil {
		return zero, false
	}
	return *(*PT)(unsafe.Pointer(&obj)), true
}

// Share offers obj, compacted and never to be changed again, as the
// object of version v, and returns what is kept under v: obj, or the
// equal object offered first. The process's informers each decode what
// they receive and keep the first copy: in `minik8s all` the scheduler,
// the controller manager and the node agents each watch every pod, over
// their own connections, and kept three equal copies. The object is held
// weakly, for as long as something else holds it. PT is a pointer type.
func Share[PT any](v Version, obj PT) PT {
	k := sharedKey{reflect.TypeFor[PT](), v}
	p := *(**byte)(unsafe.Pointer(&obj))
	w := weak.Make(p)
	for {
		old, loaded := sharedObjects.LoadOrStore(k, w)
		if !loaded {
			runtime.AddCleanup(p, dropShared, sharedEntry{k, w})
			return obj
		}
		if kept := old.(weak.Pointer[byte]).Value(); kept != nil {
			return *(*PT)(unsafe.Pointer(&kept))
		}
		// Its object is gone, the entry not yet dropped: replace it.
		sharedObjects.CompareAndDelete(k, old)
	}
}

type sharedKey struct {
	typ reflect.Type
	v   Version
}

// sharedObjects maps a version of an object to the copy kept of it, held
// weakly (weak.Pointer[byte] to the object, whatever its type); a cleanup
// drops the entry once the collector has found the object unreachable.
var sharedObjects sync.Map

type sharedEntry struct {
	k sharedKey
	w weak.Pointer[byte]
}

// dropShared forgets an object nothing holds any more, unless a newer
// copy took its key meanwhile.
func dropShared(e sharedEntry) { sharedObjects.CompareAndDelete(e.k, e.w) }
