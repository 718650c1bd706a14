// Package scheduler places pending pods on nodes, as kube-scheduler does,
// in the shape of nomad's scheduler: a read-only view of the cluster (the
// scheduler's cache, fed by pod and node informers), single-method filters
// and scorers, and a one-method Binder for the only write that matters.
//
// Contract:
//
//   - It serves pods whose spec.schedulerName is Config.SchedulerName
//     ("default-scheduler" by default, also when the pod names none), that
//     have no spec.nodeName, are not being deleted and have not finished.
//   - A scheduling attempt first computes what inter-pod affinity and
//     topology spreading need from the whole cluster (kube-scheduler's
//     PreFilter), then runs the filters (DefaultFilters) on the nodes,
//     starting where the previous attempt stopped and stopping once it has
//     found Config.numFeasibleNodesToFind feasible ones, scores those
//     (Config.Scoring: kube-scheduler's plugins and default weights,
//     summed) and picks the best, breaking ties at random. Pods are
//     counted in groups of equal namespace and labels (a ReplicaSet's
//     replicas are one), so the cost of an attempt is O(nodes + groups),
//     not O(pods); it reads only the cache.
//   - A pod with spec.schedulingGates is not tried; it gets PodScheduled=
//     False, reason SchedulingGated, until an update removes its gates.
//   - With Config.Decisions, each attempt's Decision (every node's filter
//     verdict, every plugin's weighted score, the node picked) is written
//     on the pod as the annotation scheduler.minik8s.io/decision.
//   - Assume, then bind: the pod is counted on its node in the cache at
//     once, so the next attempt sees the resources taken, and the Binding is
//     POSTed in the background, up to Config.ParallelBinds at a time. If the
//     binding fails the assumption is forgotten and the pod retried after
//     its backoff; if another scheduler bound it first (409), the informer's
//     update removes it from the queue. The assumption is replaced by the
//     real pod when the informer shows it bound.
//   - A pod that fits nowhere gets a FailedScheduling Warning event with
//     kube-scheduler's message ("0/3 nodes are available: 3 Insufficient
//     cpu.") and the condition PodScheduled=False, reason Unschedulable,
//     with that message (written only when it changes, with the pod's
//     resourceVersion as a precondition). It is parked as unschedulable
//     until a node is added or changes in a way the filters see, a bound pod
//     is deleted or finishes, its own spec or labels change, or
//     Config.UnschedulableTimeout passes. A bound pod gets a Scheduled event
//     ("Successfully assigned default/web-1 to node-2").
//   - Retries back off per pod, exponentially from Config.InitialBackoff to
//     Config.MaxBackoff, so a pod is tried, and reported, at most once per
//     backoff round.
//   - Run (informers, queue timers) runs on every replica; Lead schedules
//     and is what leader election wraps. Two leaders at once cannot bind a
//     pod twice: the API server binds only unbound pods.
//
// Scheduler methods are safe for concurrent use; Lead must not run twice
// at once.
package scheduler
