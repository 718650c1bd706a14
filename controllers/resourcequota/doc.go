// Package resourcequota is the quota controller: it keeps each
// ResourceQuota's status current, as kube-controller-manager's
// resourcequota controller does. status.hard is spec.hard; status.used is
// what the namespace's objects use of each resource the quota limits,
// counted by package quota (the same rules the API server's admission
// charges new objects by): pods and their compute from the pod informer,
// other objects (count/<resource>[.<group>], configmaps, secrets, ...) by
// listing them through the API.
//
// Contract:
//   - A quota is recomputed when it is created or its spec.hard changes,
//     when a pod of its namespace is deleted or finishes (what admission
//     charged comes back), and every Resync otherwise, so that deletions
//     of other objects and creates that admission charged but the store
//     then refused are given back.
//   - status is written only when it changed, through /status with the
//     resourceVersion read (a 409 retries against a fresh cache).
//   - A resource it cannot count (not served, or not a count/ or compute
//     name) is left out of status.used; admission then refuses what that
//     quota limits, as Kubernetes does for a quota it has no usage of.
//   - Handlers only enqueue keys; sync is level-triggered and idempotent.
package resourcequota
