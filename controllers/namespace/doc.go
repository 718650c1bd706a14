// Package namespace is the namespace controller: it empties a namespace
// that is being deleted, then lets the API server remove it.
//
// Contract:
//
//   - The API server marks a deleted namespace whose spec.finalizers holds
//     "kubernetes" (every namespace gets it when created) Terminating, with
//     a deletionTimestamp, and refuses new objects in it.
//   - The controller then deletes every object of every namespaced
//     resource the API server's discovery lists as deletable by collection
//     (pods, replica sets, deployments, events, leases, …), with
//     Background propagation, and looks again every second while any is
//     left (a pod in its grace period, an object with finalizers).
//   - Once the namespace is empty it removes "kubernetes" from
//     spec.finalizers (an update conditional on the resourceVersion read,
//     retried on conflict), and the API server deletes the namespace, which
//     ends `kubectl delete namespace`'s wait.
//   - Namespaces that are not being deleted, or whose kubernetes finalizer
//     is gone, are left alone.
package namespace
