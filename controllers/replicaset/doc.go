// Package replicaset is the ReplicaSet controller: it keeps spec.replicas
// pods running for every ReplicaSet, as Kubernetes' ReplicaSetController.
//
// Contract:
//
//   - A ReplicaSet controls the pods whose controller owner reference names
//     it (controller=true, blockOwnerDeletion=true). It adopts active
//     orphan pods of its namespace that match its selector and releases
//     owned pods whose labels no longer match (strategic-merge patches of
//     ownerReferences). Pods that finished or are being deleted do not
//     count.
//   - Missing pods are created from the template with generateName
//     "<name>-", in slow-start batches (1, 2, 4, …) that stop at the first
//     failure; surplus pods are deleted in Kubernetes' order (unscheduled,
//     pending, not ready, most recently ready, most restarts, newest
//     first). At most Config.BurstReplicas pods are created or deleted per
//     sync.
//   - Expectations: after creating or deleting, a ReplicaSet is not acted
//     on again until the pod informer has observed every one of those
//     creates and deletes, or Config.ExpectationsTimeout has passed, so a
//     burst of events never creates or deletes more than needed.
//   - Status (replicas, fullyLabeledReplicas, readyReplicas,
//     availableReplicas with minReadySeconds, observedGeneration, and the
//     ReplicaFailure condition) is written through /status when it
//     changes. A ReplicaSet with pods ready but not yet available is looked
//     at again when the first of them becomes available.
//   - Events: SuccessfulCreate, SuccessfulDelete, FailedCreate,
//     FailedDelete.
//
// The controller shares its informers: Deps.Pods and Deps.ReplicaSets
// must carry controllerutil.Indexers. Handlers only enqueue keys; workers
// reconcile from the caches, so a 409 is retried against a fresh cache and
// a 429 after the server's Retry-After.
//
// A sync does not walk a ReplicaSet's pods when it needs only their
// counts: a tally, kept by a pod handler, counts each ReplicaSet's
// replicas, fully labelled, ready and available pods as their events
// arrive. A sync uses it once it has had the informer's first list, when
// there is nothing to delete, adopt or release and no minReadySeconds;
// otherwise it claims the pods from the cache and counts them, as
// Kubernetes does at every sync.
package replicaset
