// Package controllerutil holds what the workload controllers share, in the
// shape of Kubernetes' pkg/controller:
//
//   - Indexers: the informer indexes the controllers look objects up by
//     (by namespace, by controlling owner's uid, orphans by namespace). A
//     controller manager creates each shared informer with Indexers so
//     every controller finds the indexes it needs.
//   - Expectations: per-owner counts of creates and deletes a controller
//     has issued but its informer has not yet observed, so that a burst of
//     events never makes it act twice on the same need. Entries expire
//     after a timeout (5 minutes by default) so a lost event cannot wedge
//     an owner forever.
//   - DeletionOrder and SlowStartBatch: which pods go first on scale-down,
//     and creation in batches of 1, 2, 4, … that stop at the first failure.
//   - Claim: adoption of matching orphans and release of owned objects
//     that no longer match, through strategic-merge patches of
//     metadata.ownerReferences.
//   - Loop: what every controller's constructor and Run share. It owns
//     the work queue the informer handlers fill, waits for the caches,
//     adds every key once (and again every Resync), logs "<name> started"
//     and "<name> stopped", and runs the workers. A controller keeps only
//     its handlers and its sync.
//   - RunWorkers and ProcessNext: sample-controller's worker loop, which
//     Loop runs. A sync error requeues the key with backoff; a 429
//     requeues it after the server's Retry-After; a sync that asks for a
//     later look requeues it after that delay.
//
// Everything here is safe for concurrent use unless its doc says
// otherwise.
package controllerutil
