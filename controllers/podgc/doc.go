// Package podgc is the pod garbage collector (Kubernetes' PodGC
// controller), run by the leader of the controller manager. Every
// Config.Period (20s) it looks at the pods of its shared informer and
// deletes:
//
//   - terminated pods (Succeeded or Failed) beyond
//     Config.TerminatedPodThreshold (kube-controller-manager's
//     --terminated-pod-gc-threshold, 12500; 0 turns this off), the oldest
//     (by creation) first;
//   - orphaned pods: bound to a node that no longer exists. A node missing
//     from the informer is quarantined for Config.Quarantine (40s) and then
//     asked for by name, so a node that is only slow to appear in the
//     cache, or is being re-created, keeps its pods. A pod that is not yet
//     terminal first gets phase Failed and a DisruptionTarget condition
//     (reason DeletionByPodGC), then is deleted with no grace period: there
//     is no kubelet left to finish a graceful deletion, so a pod evicted
//     from a dead node stops hanging in Terminating once its node is gone;
//   - unscheduled terminating pods: being deleted and bound to no node, so
//     no kubelet will ever confirm the deletion; deleted with no grace.
//
// Deletions are conditional on the pod's uid. Node lifecycle (the
// taint-based eviction of pods from unreachable nodes) is
// controllers/nodelifecycle; owner-based deletion is controllers/gc.
package podgc
