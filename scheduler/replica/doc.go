// Package replica runs scheduler replicas, each leader-elected, and the
// scheduler's own HTTP port, with what HA experiments need: stop or freeze
// one replica without stopping the process.
//
//   - A Replica runs its scheduler's informers and event recorder for its
//     whole life, and the scheduling loop (Scheduler.Lead) only while its
//     elector holds the lease (or always, without an elector).
//   - Freeze makes a replica behave as if its process were SIGSTOPped:
//     calls to its lock wait (so it neither renews nor campaigns), and it
//     schedules and binds nothing. Unfreeze resumes it. A resumed leader
//     whose lease ran out meanwhile acts on nothing: the scheduler's gate
//     refuses once the lease's expiry, as last renewed, has passed on the
//     replica's clock, and the elector, finding its renewal too late,
//     stops leading and campaigns again. The same gate protects a process
//     that was really stopped and continued.
//   - Stop ends a replica for good; its lease is released, so a standby
//     takes over within one retry period.
//   - Server serves /healthz, /metrics, GET /replicas (JSON status of
//     each replica) and POST /replicas/{i}/freeze, /unfreeze and /stop.
//
// Replica and Server methods are safe for concurrent use.
package replica
