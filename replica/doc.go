// Package replica runs the replicas of a leader-elected role (the
// scheduler, the controller manager), and the role's own HTTP port, with
// what HA experiments need: stop or freeze one replica without stopping
// the process.
//
//   - A Replica runs its always-on functions (a scheduler's informers, an
//     event recorder) for its whole life, and its lead function only while
//     its elector holds the lease (or always, without an elector).
//   - Freeze makes a replica behave as if its process were SIGSTOPped:
//     calls to its lock wait (so it neither renews nor campaigns), as do
//     its gate and every request sent through its Transport, so it acts
//     on nothing. Unfreeze resumes it. A resumed leader whose lease ran out
//     meanwhile acts on nothing: the gate (and Transport, for writes)
//     refuses once the lease's expiry, as last renewed, has passed on the
//     replica's clock, and the elector, finding its renewal too late,
//     stops leading and campaigns again. The same gate protects a process
//     that was really stopped and continued.
//   - Stop ends a replica for good; its lease is released, so a standby
//     takes over within one retry period. The release waits for the
//     writes the replica had sent through its Transport to be answered
//     (up to a grace period), so none lands after a standby has taken
//     over.
//   - Server serves /healthz, /metrics, GET /replicas (JSON status of
//     each replica) and POST /replicas/{i}/freeze, /unfreeze and /stop.
//
// Replica, Hold and Server methods are safe for concurrent use.
package replica
