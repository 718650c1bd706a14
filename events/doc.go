// Package events reports Kubernetes core/v1 Events for any component
// (scheduler, controllers, kubelet), like client-go's record package, in a
// small way.
//
// Contract:
//
//   - Recorder.Eventf never blocks and never fails: it queues the event and
//     returns. When the queue is full (the API server is slow or down) the
//     event is dropped and counted; events are best-effort, as in
//     Kubernetes.
//   - Repeats aggregate. Events with the same involved object, type,
//     reason, message and source become one Event object whose count and
//     lastTimestamp are bumped (a merge patch) instead of new objects; the
//     recorder remembers the most recent CacheSize distinct events. If the
//     Event was deleted meanwhile, a new one is created.
//   - Similar events combine and spam is dropped, as client-go's
//     EventCorrelator does: once one source has reported 10 different
//     messages with the same object, type and reason within 10 minutes,
//     the next ones bump one Event whose message is "(combined from
//     similar events): " and the latest message; and a source may report
//     25 events about one object, then one every 5 minutes (Spammed
//     counts the others).
//   - Writes are rate limited (QPS, Burst) and made by Workers goroutines;
//     repeats of one event are always written by the same worker, in order.
//   - Run writes until its context ends; events still queued then are
//     dropped.
//
// A Recorder is safe for concurrent use.
package events
