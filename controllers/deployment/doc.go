// Package deployment is the Deployment controller: it rolls a
// Deployment's pod template out through ReplicaSets, as Kubernetes'
// DeploymentController.
//
// Contract:
//
//   - One ReplicaSet per pod template, named "<deployment>-<hash>" where
//     the hash (ComputeHash) is also the pod-template-hash label of the
//     ReplicaSet, its selector and its template. A Deployment controls
//     its ReplicaSets by owner reference, adopts matching orphans and
//     releases ReplicaSets that no longer match.
//   - RollingUpdate never runs more than replicas+maxSurge pods (surge
//     rounds up) nor fewer than replicas−maxUnavailable available ones
//     (unavailable rounds down; both zero means maxUnavailable 1). To hold
//     the surge bound while a scaled-down ReplicaSet still has its pods,
//     each ReplicaSet counts as the larger of its spec and status
//     replicas, and its available pods as at most its spec. Recreate
//     scales every old ReplicaSet to zero, waits until none of their pods
//     is left, then scales the new one up.
//   - Scaling a Deployment mid-rollout scales its active ReplicaSets in
//     proportion (the desired-replicas and max-replicas annotations), as
//     Kubernetes does. A paused Deployment still scales, but does not roll
//     out.
//   - Revisions: the new ReplicaSet gets the highest revision plus one
//     (also when an old template becomes current again, which is how
//     kubectl rollout undo works), the Deployment carries its current
//     revision, and the Deployment's other annotations (change-cause) are
//     copied to the new ReplicaSet. Old ReplicaSets at zero replicas
//     beyond revisionHistoryLimit are deleted, oldest revision first.
//   - Status: replicas, updatedReplicas, readyReplicas, availableReplicas,
//     unavailableReplicas, observedGeneration, collisionCount, and the
//     Available, Progressing and ReplicaFailure conditions with
//     Kubernetes' reasons and messages, so that kubectl rollout status
//     works; progressDeadlineSeconds without progress gives
//     ProgressDeadlineExceeded.
//   - Events: ScalingReplicaSet, FailedCreate, SelectingAll.
//
// The controller shares its informers: Deps.Pods, Deps.ReplicaSets and
// Deps.Deployments must carry controllerutil.Indexers. Handlers only
// enqueue keys; workers reconcile from the caches and write with the
// resourceVersion they read, so a stale cache costs a 409 and a retry,
// never a wrong scale.
package deployment
