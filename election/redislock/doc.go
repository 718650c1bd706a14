// Package redislock implements election.Lock with one Redis key.
//
// The key holds "<fence>:<holder>" and a TTL of the lease duration. Every
// operation is one Lua script, so it is atomic on the Redis server:
//
//   - TryAcquire sets the key if it is absent or already holds the caller's
//     identity (SET ... PX), taking the next fence from INCR on "<key>:fence".
//     Otherwise it reports the holder and remaining TTL as a
//     *election.LeaseExistsError.
//   - Renew re-arms the TTL (PEXPIRE) only if the key still holds the
//     caller's exact value, else it returns election.ErrLeaseLost.
//   - Release deletes the key only if it still holds the caller's value.
//
// The fence key never expires, so fences keep growing across holders for as
// long as Redis keeps its data. The lease is exclusive only as far as Redis
// is a single, durable source of truth: a failover to a replica that missed
// the last write can hand the lock out twice (see the election package doc
// on fencing). Lease.Expires is computed on the local clock from a time taken
// before the request.
package redislock
