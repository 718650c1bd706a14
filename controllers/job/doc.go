// Package job is the Job controller, in the shape of the ReplicaSet
// controller: shared informers of Jobs and pods, a workqueue of Job keys,
// expectations of creates and deletes, level-triggered syncs.
//
// A sync of one Job, from the caches:
//
//   - Pod accounting is finalizer-tracked, as Kubernetes': every pod the
//     controller creates carries the batch.kubernetes.io/job-tracking
//     finalizer. A pod that finished (or is being deleted without having
//     succeeded, which counts as a failure) while still carrying it is
//     first written into status.uncountedTerminatedPods, then its
//     finalizer is removed, then one status write moves it from the
//     uncounted lists into status.succeeded / status.failed. A controller
//     manager that dies between any two steps resumes from the status and
//     the pods, and never counts a pod twice: a pod without the finalizer
//     is counted only if its uid is still in the uncounted lists.
//     Pods whose finalizer removal was issued are skipped until the
//     informer shows them deleted. A sync whose cached Job is older than
//     the controller's last status write of it is deferred (that write
//     is where those pods are counted), as Kubernetes does.
//
//   - Pods the controller deletes for a reason that is not the pod's
//     failure (suspend, parallelism lowered) lose their finalizer first
//     and are not counted; pods deleted because the Job failed are counted
//     as failed.
//
//   - Failure: more failures than spec.backoffLimit (default 6) adds the
//     FailureTarget condition, reason BackoffLimitExceeded; running longer
//     than spec.activeDeadlineSeconds since status.startTime adds it with
//     reason DeadlineExceeded. Success: spec.completions pods (NonIndexed)
//     or every index 0..completions-1 (Indexed) succeeded, or, without
//     completions, one pod succeeded and none is active, adds
//     SuccessCriteriaMet, reason CompletionsReached. Either way the active
//     pods are then deleted, and once no pod is left running, terminating
//     or uncounted the terminal condition Failed or Complete (same reason)
//     is added, with status.completionTime for Complete: what Kubernetes
//     1.32 writes, so `kubectl wait --for=condition=complete` works.
//
//   - Otherwise the controller keeps min(parallelism, completions left)
//     pods active. Indexed Jobs give each pod an index (label and
//     annotation batch.kubernetes.io/job-completion-index, env
//     JOB_COMPLETION_INDEX, hostname <job>-<index>), creating the lowest
//     indexes that neither succeeded nor run. After a failure new pods wait
//     a back-off of 10s doubling per failure since the last success,
//     capped at 6 minutes (Kubernetes' DefaultJobPodFailureBackOff and
//     MaxJobPodFailureBackOff), kept in memory: a new leader starts without
//     it.
//
//   - spec.suspend deletes the active pods and sets the Suspended
//     condition (JobSuspended); resuming sets it False (JobResumed) and
//     restarts status.startTime, so the deadline counts from the resume.
//
//   - spec.ttlSecondsAfterFinished: that long after the Complete or Failed
//     condition's transition the Job is deleted with foreground
//     propagation, as the TTL-after-finished controller does; the garbage
//     collector deletes its pods (their owner reference names the Job).
//
//   - spec.podFailurePolicy: the first rule a failed pod (phase Failed)
//     matches, by a non-zero container exit code (In / NotIn, optionally
//     of one container) or a pod condition, decides: FailJob fails the Job
//     at once (FailureTarget, then Failed, reason PodFailurePolicy, with
//     Kubernetes' message), Ignore releases the pod without counting it
//     against backoffLimit, Count (and no match) counts it. FailIndex
//     counts too: backoffLimitPerIndex is not implemented.
//
// successPolicy, backoffLimitPerIndex, maxFailedIndexes and
// podReplacementPolicy are served but not acted on.
package job
