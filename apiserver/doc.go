// Package apiserver serves the Kubernetes REST API over the store: CRUD,
// patch, watch and the status, binding and scale subresources for every
// resource in package registry, with Kubernetes paths, JSON and Status
// errors, so that kubectl and client-go work unchanged. The pipeline is
// generic: what differs between kinds (defaulting, what create, update and
// /status change, validation, deletion) is each kind's registry.Strategy.
//
// Contract:
//   - Every write is an optimistic-concurrency write to the store; a stale
//     resourceVersion is 409 Conflict, never a lost update.
//   - metadata.uid, resourceVersion, generation (bumped on spec changes
//     only), creationTimestamp and deletionTimestamp are set only here.
//   - for kinds with a status subresource, status is written only through
//     /status, and /status writes change nothing else.
//   - Every create and update passes the admission chain (package
//     admission): mutating plugins after the kind's defaults, validating
//     ones after its validation; dry runs too, without side effects.
//   - serviceaccounts/token issues ServiceAccount tokens (package satoken)
//     and the server authenticates them (AuthenticateToken) only while
//     their service account, and the pod or secret they are bound to,
//     exist with the uids they name.
//   - Watches deliver every change after the requested revision, in order,
//     with no gap and no duplicate, or end with 410 Gone (Expired).
//   - Stored values are canonical JSON produced here with
//     metadata.resourceVersion removed; the revision is spliced in when an
//     object is served, so lists and watches need not decode objects.
package apiserver
