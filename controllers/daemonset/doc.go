// Package daemonset is the DaemonSet controller: one pod of each DaemonSet
// on every node that should run it, as Kubernetes' daemon controller.
//
// A node should run a DaemonSet's pod when the template's nodeName (if
// any) names it, its labels match the template's nodeSelector and
// required node affinity, and the template, with the tolerations every
// daemon pod gets (not-ready and unreachable NoExecute; disk-, memory-,
// pid-pressure and unschedulable NoSchedule; network-unavailable with
// hostNetwork), tolerates its NoSchedule and NoExecute taints. A pod on a
// node that no longer qualifies keeps running unless a NoExecute taint it
// does not tolerate is the reason. Daemon pods are placed by the
// scheduler: each gets a required node affinity to its node's name.
//
// Each sync, level-triggered from the informers' caches:
//
//  1. claims the pods and ControllerRevisions the selector matches
//     (controllerutil.Claim);
//  2. makes the revision of the current template the newest
//     (controllerutil.History), whose hash labels new pods
//     (controller-revision-hash);
//  3. unless creates or deletes it issued are still unobserved
//     (controllerutil.Expectations), creates the missing pods, deletes
//     failed and succeeded pods, extra pods and pods on nodes that no
//     longer qualify or no longer exist, then, for RollingUpdate, replaces
//     old pods within maxUnavailable (deleting first) or maxSurge
//     (creating first, deleting the old pod once the new one is
//     available); OnDelete replaces a pod only once someone deleted it;
//  4. deletes the oldest revisions beyond revisionHistoryLimit that no
//     pod uses;
//  5. writes the status kubectl rollout status reads.
//
// Node adds, deletions and changes of labels, taints, readiness or
// schedulability enqueue every DaemonSet.
package daemonset
