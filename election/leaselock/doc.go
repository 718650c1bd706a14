// Package leaselock implements election.Lock with a coordination.k8s.io/v1
// Lease object read and written through the API server, as client-go's
// LeaseLock does. It needs only a LeaseClient (Get, Create, Update) and two
// functions that recognise NotFound and Conflict errors; it does not depend
// on a particular client.
//
// The Lease spec carries the lock's state: holderIdentity,
// leaseDurationSeconds, acquireTime, renewTime and leaseTransitions, which is
// the Fence. Every write is optimistic: Update sends the resourceVersion it
// read, so of two candidates racing for a free or expired lease one gets
// 409 Conflict (or AlreadyExists on create) and reports a
// *election.LeaseExistsError.
//
//   - TryAcquire takes the lease if it does not exist (Create), has no
//     holder, is held by the caller, or has expired (renewTime +
//     leaseDurationSeconds is before now). A change of holder sets
//     acquireTime and increments leaseTransitions.
//   - Renew sets renewTime if the lease still names the caller as holder with
//     the same leaseTransitions, else it returns election.ErrLeaseLost. A
//     conflict on renewal is returned as an ordinary error: the elector
//     retries and the next read shows who holds the lease.
//   - Release, like client-go's, clears holderIdentity and sets
//     leaseDurationSeconds to 1, so another candidate may acquire at once.
//
// Expiry is judged against renewTime written by the holder's clock, so the
// candidates' clocks must agree to well within the lease duration.
// Lease.Expires is renewTime plus the lease duration.
package leaselock
