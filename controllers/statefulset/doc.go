// Package statefulset is the StatefulSet controller: pods with stable
// names and storage, as Kubernetes' statefulset controller.
//
// A StatefulSet of n replicas runs pods <name>-<ordinal> for the ordinals
// start..start+n-1 (spec.ordinals.start, default 0). Each pod gets the
// labels statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index
// and controller-revision-hash (the name of its ControllerRevision), the
// hostname of its name and the subdomain of spec.serviceName, and a claim
// <template>-<name>-<ordinal> for each volumeClaimTemplate, made before
// the pod and left in place when the pod goes: the claims belong to the
// StatefulSet only with persistentVolumeClaimRetentionPolicy whenDeleted
// Delete, and to a pod removed by a scale-down only with whenScaled
// Delete (the garbage collector then deletes them).
//
// Each sync, level-triggered from the informers' caches, claims the pods
// and ControllerRevisions the selector matches, makes the revision of the
// current template the newest (controllerutil.History: the update
// revision; status.currentRevision stays until a rolling update is
// complete) and then, unless creates or deletes it issued are still
// unobserved (controllerutil.Expectations):
//
//  1. for each ordinal in range, lowest first, deletes a failed or
//     succeeded pod and creates a missing one (from the current revision
//     below the partition, else the update revision). With
//     podManagementPolicy OrderedReady (the default) it stops at the first
//     action, at a terminating pod, and at a pod that is not Running and
//     Ready (available, with minReadySeconds), recording an event naming
//     the pod it waits for; Parallel does all at once;
//  2. deletes the pods of ordinals out of range, highest first (one at a
//     time, and only when all the others are healthy, with OrderedReady);
//  3. with updateStrategy RollingUpdate, deletes the highest pod at or
//     above the partition that is not of the update revision, once every
//     pod above it is healthy; step 1 recreates it from the update
//     revision. OnDelete leaves old pods until someone deletes them;
//  4. deletes the oldest revisions beyond revisionHistoryLimit no pod
//     uses, and writes the status kubectl rollout status reads.
package statefulset
