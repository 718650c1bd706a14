// Package hpa is the HorizontalPodAutoscaler controller, in the shape of
// the other controllers (informers, a workqueue, level-triggered syncs,
// run by the leader of the controller manager) and with the algorithm of
// Kubernetes' podautoscaler:
//
//   - Every Config.SyncPeriod (15s, kube-controller-manager's
//     --horizontal-pod-autoscaler-sync-period) each HPA is synced: its
//     target's /scale is read (Deployments, ReplicaSets, StatefulSets and
//     any custom resource with a scale subresource: the kind is mapped to
//     its resource through discovery), the pods its selector picks are
//     read from the shared pod informer, and their usage from
//     metrics.k8s.io (PodMetrics, listed by the selector).
//   - Resource metrics (cpu, memory) with a target averageUtilization
//     (percent of the pods' requests) or averageValue are supported, each
//     giving a proposal as Kubernetes' replica calculator does: ratio of
//     usage to target, no change within Config.Tolerance (0.1), unready
//     pods and pods without metrics counted conservatively (missing ones
//     as 100% of the target when scaling down and 0% when scaling up;
//     not-yet-ready pods as 0% when scaling up for cpu). The largest
//     proposal wins. Other metric types make ScalingActive False.
//   - The proposal is then stabilised and rate limited by spec.behavior,
//     with Kubernetes' defaults for what it leaves out: scale-up window 0
//     and at most +4 pods or +100% per 15s; scale-down window
//     Config.DownscaleStabilization (300s) and at most -100% per 15s;
//     selectPolicy Max. The stabilisation keeps the recommendations of the
//     window in memory (lost on leader change, as in Kubernetes).
//   - A change is written through /scale, with a SuccessfulRescale event
//     ("New size: N; reason: ..."); status gets currentReplicas,
//     desiredReplicas, currentMetrics, lastScaleTime and the conditions
//     AbleToScale, ScalingActive and ScalingLimited with Kubernetes'
//     reasons. Failures are Warning events (FailedGetScale,
//     FailedGetResourceMetric, FailedComputeMetricsReplicas, FailedRescale)
//     and conditions, retried at the next sync.
package hpa
