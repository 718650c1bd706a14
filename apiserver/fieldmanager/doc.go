// Package fieldmanager tracks field ownership (metadata.managedFields) and
// performs server-side apply, as Kubernetes' field manager does, on
// sigs.k8s.io/structured-merge-diff (v6).
//
// A Manager serves one kind at one version. Its schema comes from the
// kind's declaration: ForGo reads a Go type of package api (lists are
// atomic unless a field is tagged listType:"map" with listMapKeys,
// listType:"set", or patchStrategy:"merge" with patchMergeKey, which is how
// Kubernetes reads the OpenAPI its types generate; a default:"…" tag is
// the value of a missing list-map key), ForStructural a custom resource
// version's structural schema (x-kubernetes-list-type, -list-map-keys,
// -map-type). Objects are the API server's decoded JSON (numbers as
// json.Number).
//
// Contract:
//   - Update records in the next object's managedFields the fields its
//     manager changed, as an Update entry (with the subresource, and the
//     time when it changed something). managedFields the client sent are
//     kept when they can be read ([] or [{}] resets them), else the current
//     object's; a subresource write always keeps the current ones. It never
//     fails a write: its error is for the log.
//   - Apply merges an applied configuration into the current object,
//     removes what the manager applied last time and no longer does (unless
//     another manager owns it), and returns *Conflicts for changes to fields
//     others own unless forced. The manager "kubectl" may take the fields of
//     the object's kubectl.kubernetes.io/last-applied-configuration without
//     conflicts, and keeps that annotation in step, as Kubernetes does for
//     the migration from client-side apply. A configuration that changes
//     nothing returns an object equal to the current one.
//   - Nobody owns apiVersion, kind or the server-set metadata; on a kind
//     with a status subresource, writes of the object do not own status,
//     and status writes do not own spec or metadata.
//   - Validate checks client-sent managedFields as Kubernetes does.
package fieldmanager
