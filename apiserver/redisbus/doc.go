// Package redisbus is the hub.Bus of several API servers sharing one
// database: each server publishes its commits to a Redis pub/sub channel and
// receives every server's commits from it.
//
// Contract:
//   - Publish never waits for Redis: it queues the batch and returns. One
//     goroutine sends the queue, in order, coalescing queued batches into
//     one message, so one publisher's changes reach subscribers in revision
//     order.
//   - Delivery is best-effort, as Redis pub/sub is. While Redis is
//     unreachable, or when the queue is full, batches are dropped with a
//     rate-limited warning; the client reconnects by itself. The hub heals
//     every loss from the store's change log.
//   - A subscription ends (its channel closes) when its connection fails or
//     stops answering health-check pings, or when Redis disconnects a slow
//     subscriber; the hub then subscribes again and catches up.
//
// Messages are protocol buffers of changes (encode); values travel as
// they are.
package redisbus
