// Package gc is the garbage collector: it deletes objects whose owners are
// gone and carries out the foreground and orphan deletion of owners, as
// Kubernetes' garbage collector does, for every kind the API server serves
// that can be listed, watched and deleted (custom resources included;
// events excepted).
//
// It keeps a graph of those objects (uid → object, owner uid → dependents)
// from the shared informers it is given and, for every other resource
// discovery lists, from metadata-only informers of its own (asked again
// every 30 seconds, and at once when an owner reference names a kind it
// does not know: a CRD created a moment ago). It reconciles one object (by
// uid) at a time:
//
//   - Background: an object every one of whose owner references names a
//     uid that no longer exists is deleted, with Background propagation so
//     that its own dependents follow. References to some absent owners
//     (while another owner remains) are removed instead. An owner missing
//     from the cache is looked up on the API server before anything is
//     deleted, so an informer that lags never costs a live object; absent
//     uids are remembered, as uids are never reused. References to kinds
//     that are not served (or not yet discovered) are treated as present,
//     and the object is looked at again with backoff.
//   - Foreground: an owner marked for deletion with the foregroundDeletion
//     finalizer has its dependents deleted (those with blockOwnerDeletion in
//     the foreground themselves, the others in the background); once no
//     dependent with blockOwnerDeletion is left, the finalizer is removed and
//     the API server deletes the owner.
//   - Orphan: an owner marked for deletion with the orphan finalizer has its
//     references removed from all its dependents, then the finalizer.
//
// Writes are conditional on the object's uid (deletes) or resourceVersion
// (patches), so a stale cache never deletes or rewrites the wrong object; a
// conflict is retried. The collector is level-triggered: every resync of
// the informers re-checks every object.
package gc
