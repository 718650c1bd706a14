// Package informer keeps a local, indexed cache of one resource in step with
// the API server and tells handlers about every change, as client-go's
// shared informer does, in about 400 lines.
//
// Guarantees:
//
//   - Run lists, replaces the cache with the list, then watches from the
//     list's resourceVersion. HasSynced turns true once the first list is in
//     the cache, and stays true.
//   - A watch stream that ends (server timeout, restart, network) is resumed
//     from the last resourceVersion seen, bookmarks included: no relist and
//     no missed or repeated event.
//   - A 410 Gone (the resourceVersion was compacted away), whether it
//     refuses the watch or ends the stream, makes Run relist. After a relist
//     the cache equals the list exactly: handlers get OnAdd for new objects,
//     OnUpdate for the others and OnDelete for objects that vanished while
//     the informer was not watching.
//   - Errors are logged and retried with exponential backoff (200 ms to
//     30 s, jittered) until ctx ends; Run never gives up on its own.
//   - Every resync period each cached object is delivered again as
//     OnUpdate(obj, obj), so a level-triggered controller heals from a
//     missed or mishandled event. Handlers must be idempotent.
//   - Handlers of one informer are called from one goroutine, one at a
//     time, in the order the changes were applied to the cache. A handler
//     added while running first gets OnAdd for every object cached at that
//     moment, then every later change. Handlers must not block for long:
//     they enqueue keys. AddHandler returns a function that turns true once
//     the handler has had every object of the first list, whether it was
//     added before Run or after (client-go's registration HasSynced).
//   - The cache drops each object's metadata.managedFields, as
//     kube-controller-manager's informers do (their "trim" transform): no
//     controller reads them, and they are about a third of a pod. It keeps
//     objects compacted (api.Compact): their strings, and their equal
//     parts (a Deployment's pods' tolerations, labels, owner), are shared
//     with the other objects of the process. Informers of an API server's
//     objects (client.ListWatch) share whole objects too: all of them in
//     the process keep one copy of each version of an object (shared.go,
//     api.Share), which their client hands back without decoding it
//     again (client.ListOptions.Shared).
//   - Get, List and ByIndex may be called from any goroutine. The objects
//     they and the handlers receive are shared with the cache, and their
//     parts with other cached objects: treat them as read-only and copy
//     (api.DeepCopy) before changing one. With MINIK8S_CACHE_MUTATION_DETECTOR=true
//     (as `make test` runs) an informer panics when it finds one of its
//     objects changed in place.
package informer
