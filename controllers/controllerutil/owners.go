package controllerutil

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// Owner returns the object of kind in cache that ref names in namespace,
// if ref is of that kind and the cached object still has ref's UID (a
// deleted and recreated owner is not the same owner).
func Owner[T api.Object](cache *informer.Informer[T], kind, namespace string, ref *api.OwnerReference) (T, bool) {
	var zero T
	if ref == nil || ref.Kind != kind {
		return zero, false
	}
	o, ok := cache.Get(informer.Key{Namespace: namespace, Name: ref.Name})
	if !ok || o.GetObjectMeta().UID != ref.UID {
		return zero, false
	}
	return o, true
}

// Selecting returns the objects in cache of namespace whose selector (a
// nil or empty one selects nothing) matches lbls: those that may adopt an
// object with these labels. The cache needs the IndexNamespace index.
func Selecting[T api.Object](cache *informer.Informer[T], namespace string, lbls map[string]string, selector func(T) *api.LabelSelector) []T {
	var out []T
	for _, o := range cache.ByIndex(IndexNamespace, namespace) {
		sel, err := labels.FromLabelSelector(selector(o))
		if err == nil && !sel.Empty() && sel.Matches(lbls) {
			out = append(out, o)
		}
	}
	return out
}
