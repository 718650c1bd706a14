package controllerutil

import (
	"maps"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// DependentHandler returns the handler of a dependent kind (pods,
// ControllerRevisions) for the controller of owners of kind: a dependent
// enqueues its controlling owner, or, as an orphan, every owner whose
// selector matches it (one may adopt it). With exp (may be nil) it also
// records observed creates and deletes: a dependent seen terminating or
// deleted counts as deleted, once.
func DependentHandler[D api.Object, O api.Object](owners *informer.Informer[O], kind string, selector func(O) *api.LabelSelector,
	exp *Expectations, enqueue func(O)) informer.Handler[D] {
	owner := func(m *api.ObjectMeta, ref *api.OwnerReference) (O, bool) {
		return Owner(owners, kind, m.Namespace, ref)
	}
	deleted := func(obj D) {
		m := obj.GetObjectMeta()
		if o, ok := owner(m, api.GetControllerOf(m)); ok {
			if exp != nil {
				exp.DeletionObserved(o.GetObjectMeta().Key(), m.Key())
			}
			enqueue(o)
		}
	}
	return informer.HandlerFuncs[D]{
		AddFunc: func(obj D) {
			m := obj.GetObjectMeta()
			if m.DeletionTimestamp != nil {
				// Seen for the first time while terminating (a relist, a
				// restart): it must not count as a new dependent.
				deleted(obj)
				return
			}
			if ref := api.GetControllerOf(m); ref != nil {
				if o, ok := owner(m, ref); ok {
					if exp != nil {
						exp.CreationObserved(o.GetObjectMeta().Key())
					}
					enqueue(o)
				}
				return
			}
			for _, o := range Selecting(owners, m.Namespace, m.Labels, selector) {
				enqueue(o)
			}
		},
		UpdateFunc: func(old, cur D) {
			om, cm := old.GetObjectMeta(), cur.GetObjectMeta()
			if om.ResourceVersion == cm.ResourceVersion {
				return // a resync; the owners' own resync covers it
			}
			labelsChanged := !maps.Equal(om.Labels, cm.Labels)
			if cm.DeletionTimestamp != nil {
				// Terminating dependents stop counting now.
				deleted(cur)
				if labelsChanged {
					deleted(old)
				}
				return
			}
			oldRef, curRef := api.GetControllerOf(om), api.GetControllerOf(cm)
			refChanged := !api.SameController(oldRef, curRef)
			if refChanged {
				if o, ok := owner(om, oldRef); ok {
					enqueue(o)
				}
			}
			if curRef != nil {
				if o, ok := owner(cm, curRef); ok {
					enqueue(o)
				}
				return
			}
			if labelsChanged || refChanged {
				for _, o := range Selecting(owners, cm.Namespace, cm.Labels, selector) {
					enqueue(o)
				}
			}
		},
		DeleteFunc: deleted,
	}
}
