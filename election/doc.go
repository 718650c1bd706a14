// Package election runs a replica of a component as leader or standby.
//
// A Lock is a lease with a time to live, kept in some shared service: Redis
// (package redislock) or Lease objects through the API server (package
// leaselock). An Elector campaigns for the lock, and while it holds it runs
// the component's work (the lead function) under a child context, renewing
// the lease every RetryPeriod. Its contract:
//
//   - lead runs only while this elector holds the lease. If no renewal has
//     succeeded within RenewDeadline of the last one (measured from before
//     the request was sent), or a renewal finds the lease taken, the child
//     context is cancelled. Because RenewDeadline < LeaseDuration, the work
//     is told to stop before the lease can expire and another replica can
//     acquire it. The elector waits for lead to return, then campaigns again;
//     it never exits because it lost the lease.
//   - When the parent context is done, the elector cancels lead, waits for it
//     to return, and only then releases the lease, so a standby can take over
//     within one retry period without two leaders running at once.
//   - If lead returns by itself while leading, the lease is released and Run
//     returns lead's result.
//
// Like client-go's leaderelection, this bounds but does not exclude overlap:
// a leader whose process stalls (GC pause, suspended VM) longer than the lease
// may act after another has taken over, and clocks that run at different
// rates shift the bound. Writes that must never be doubled need their own
// guard: a Fence that grows with every change of holder, or a conditional
// write (the scheduler binds a pod only if it is still unbound).
package election
