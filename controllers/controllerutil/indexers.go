package controllerutil

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// Names of the indexes Indexers builds.
const (
	// IndexNamespace maps a namespace to the objects in it.
	IndexNamespace = "namespace"
	// IndexControllerUID maps an owner's uid to the objects it controls
	// (the owner reference with controller=true).
	IndexControllerUID = "controllerUID"
	// IndexOrphans maps a namespace to the objects in it that have no
	// controlling owner: the candidates for adoption.
	IndexOrphans = "orphans"
)

// Indexers returns the indexes every shared informer of a controller
// manager carries: IndexNamespace, IndexControllerUID and IndexOrphans.
// Append other indexes (such as pods by node) as needed.
func Indexers[T api.Object]() []informer.Indexer[T] {
	return []informer.Indexer[T]{
		{Name: IndexNamespace, Func: func(obj T) []string {
			return []string{obj.GetObjectMeta().Namespace}
		}},
		{Name: IndexControllerUID, Func: func(obj T) []string {
			if r := api.GetControllerOf(obj.GetObjectMeta()); r != nil {
				return []string{r.UID}
			}
			return nil
		}},
		{Name: IndexOrphans, Func: func(obj T) []string {
			m := obj.GetObjectMeta()
			if api.GetControllerOf(m) == nil {
				return []string{m.Namespace}
			}
			return nil
		}},
	}
}
