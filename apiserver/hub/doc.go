// Package hub delivers the store's committed changes to watchers, in
// revision order, with no gap and no duplicate.
//
// A Bus carries every commit of every API server to every API server: Local
// within one process, redisbus across processes. Buses are best-effort: a
// bus may drop, duplicate or reorder messages across reconnects, and a bus
// subscription may end at any time. The Hub turns that into exact delivery:
//
//   - It keeps the last revision it delivered. A change at or below it is a
//     duplicate and is dropped; a change further ahead than the next revision
//     reveals a gap, which is filled from the store's change log before
//     anything later is delivered. The change log is authoritative.
//   - It polls the change log's revision (every second by default), so a lost
//     message, a dead bus or a broken subscription heals within a poll
//     interval. A broken subscription is renewed with backoff.
//   - It keeps the most recent changes in a ring buffer, bounded by count
//     and by bytes (of the changes compressed with S2, each resource's
//     against a dictionary of one of its own values: a pod to a tenth of
//     its size), so a new watcher usually replays from memory instead of
//     the database.
//   - With WithIndex, it offers a watcher registered for one value of an
//     indexed field (a node agent's spec.nodeName) only the changes of
//     objects that had or have that value, rather than every change.
//
// Watch registers a watcher at the hub's current revision H under the hub's
// lock, then replays (fromRev, H] from the ring or the change log and
// continues with the live changes after H: every change with a revision
// above fromRev that passes the watcher's filter is delivered exactly once,
// in order. A watcher that falls behind by more than its buffer (a count
// of changes and a number of bytes) is closed
// (Err reports ErrSlowWatcher) instead of slowing the hub or other watchers;
// its client re-watches from the last revision it saw.
//
// A watcher's bookmarks (RequestBookmark) travel the same queue as its
// changes, so a bookmark never promises a revision whose changes are still
// to come.
package hub
