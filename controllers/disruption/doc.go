// Package disruption is the disruption controller: it computes the status
// of each PodDisruptionBudget, as Kubernetes' DisruptionController does,
// so that the API server's eviction subresource (kubectl drain) can tell
// whether a pod may go.
//
// Contract:
//
//   - A budget selects the pods of its namespace that its selector matches
//     (a missing selector none, an empty one all).
//   - expectedPods and desiredHealthy: with minAvailable as a number, the
//     number of selected pods and minAvailable; with minAvailable as a
//     percentage or with maxUnavailable, the sum of the scales of the
//     pods' controllers (a ReplicaSet's, or its Deployment's when it has
//     one, a StatefulSet's; each controller once), and that scale times
//     the percentage (rounded up), or minus maxUnavailable (rounded up),
//     never below zero. A selected pod without such a controller makes
//     the budget fail safe: disruptionsAllowed 0 and a SyncFailed
//     condition, with a CalculateExpectedPodCountFailed event.
//   - currentHealthy counts the selected pods that are ready, not being
//     deleted and not in status.disruptedPods (pods the API server has
//     just evicted). An entry of disruptedPods is dropped once its pod is
//     gone or being deleted, or two minutes after the eviction (the pod
//     was not deleted after all), at which time the budget is synced
//     again.
//   - disruptionsAllowed = max(currentHealthy − desiredHealthy, 0), with
//     the DisruptionAllowed condition (SufficientPods or InsufficientPods)
//     and observedGeneration, written through /status only when something
//     changed. A 409 retries against a fresher cache.
//   - Level-triggered: a budget is synced when it changes, when a pod it
//     selects (before or after the change) is added, changed or deleted,
//     and on every resync.
package disruption
