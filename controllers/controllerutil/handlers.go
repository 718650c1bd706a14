package controllerutil

import (
	"maps"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// DependentHandler returns the handler of a dependent kind (pods,
// ControllerRevisions) for the controller of owners of kind, whose loop is
// l: a dependent enqueues its controlling owner, or, as an orphan, every
// owner whose selector matches it (one may adopt it). With exp (may be
// nil) it also records observed creates and deletes: a dependent seen
// terminating or deleted counts as deleted, once.
//
// What can only change the owner's status (a dependent's own status, or
// a create or delete observed while the owner still waits for others)
// queues the owner with Loop.AddBatched; what lets the owner act (its
// expectations met, a dependent to adopt or release) queues it at once.
func DependentHandler[D api.Object, O api.Object](owners *informer.Informer[O], kind string, selector func(O) *api.LabelSelector,
	exp *Expectations, l *Loop) informer.Handler[D] {
	owner := func(m *api.ObjectMeta, ref *api.OwnerReference) (O, bool) {
		return Owner(owners, kind, m.Namespace, ref)
	}
	// observed queues o after one of its expectations was observed.
	observed := func(o O, key string) {
		if exp == nil || exp.Satisfied(key) {
			l.Enqueue(o)
		} else {
			l.EnqueueBatched(o)
		}
	}
	deleted := func(obj D) {
		m := obj.GetObjectMeta()
		if o, ok := owner(m, api.GetControllerOf(m)); ok {
			key := o.GetObjectMeta().Key()
			if exp != nil {
				exp.DeletionObserved(key, m.Key())
			}
			observed(o, key)
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
					key := o.GetObjectMeta().Key()
					if exp != nil {
						exp.CreationObserved(key)
					}
					observed(o, key)
				}
				return
			}
			for _, o := range Selecting(owners, m.Namespace, m.Labels, selector) {
				l.Enqueue(o)
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
					l.Enqueue(o)
				}
			}
			if curRef != nil {
				if o, ok := owner(cm, curRef); ok {
					if labelsChanged || refChanged {
						l.Enqueue(o) // it may have to release or adopt it
					} else {
						l.EnqueueBatched(o)
					}
				}
				return
			}
			if labelsChanged || refChanged {
				for _, o := range Selecting(owners, cm.Namespace, cm.Labels, selector) {
					l.Enqueue(o)
				}
			}
		},
		DeleteFunc: deleted,
	}
}
