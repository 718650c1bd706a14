package informer

import (
	"reflect"

	"github.com/minik8s/minik8s/api"
)

// keep readies obj for the cache and returns what the cache is to hold:
// obj without its managedFields (which the informer asks a minik8s server
// to leave out; another sends them) and compacted (api.Compact: no spare
// slice capacity, strings and equal parts shared with the other objects of
// the process) — or, when share, the equal object another informer of the
// process keeps already (api.Share), found by type, apiVersion, UID and
// resourceVersion. The client may hand back that object itself instead of
// decoding it again (client.ListOptions.Shared): it is found as its own.
// Only an API server guarantees that one version of an object is one
// content; a test's fake may serve two objects as one. An object that
// names no version (api.VersionOf) is trimmed and compacted, not shared.
func keep[T api.Object](obj T, share bool) T {
	v, ok := api.VersionOf(obj)
	if !share || !ok || reflect.TypeFor[T]().Kind() != reflect.Pointer {
		trim(obj)
		return obj
	}
	if kept, ok := api.Shared[T](v); ok {
		return kept
	}
	trim(obj)
	return api.Share(v, obj)
}

func trim[T api.Object](obj T) {
	obj.GetObjectMeta().ManagedFields = nil
	api.Compact(obj)
}
