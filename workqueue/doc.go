// Package workqueue is the work queue every controller and the scheduler
// drain with a pool of workers, with the semantics of client-go's
// util/workqueue:
//
//   - Fair: keys are handed out in the order they were added.
//   - Stingy: a key added many times before a worker takes it is handed
//     out once (the dirty set deduplicates).
//   - Exclusive: a key is never handed to two workers at once. A key added
//     while a worker holds it (between Get and Done) is queued again when
//     Done is called, so the change that caused the add is not lost.
//   - Delayed: AddAfter makes a key eligible only after a delay; of two
//     pending delays for the same key the earlier one wins.
//   - Rate limited: AddRateLimited delays a key by its RateLimiter, by
//     default the larger of a per-key exponential backoff (5 ms doubling to
//     1000 s) and an overall token bucket (10 qps, burst 100). Forget resets
//     a key's backoff once it has been processed successfully.
//   - Shutdown: after ShutDown, Add is ignored and Get keeps handing out the
//     keys still queued, then reports shutdown. ShutDownWithDrain also waits
//     for the keys being processed to be Done.
//
// All methods are safe for concurrent use. Keys must be comparable; the
// controllers use informer.Key{Namespace, Name}.
package workqueue
