// Package validation checks API objects the way the Kubernetes API server
// does before it stores them, and words its findings the same way: each
// problem is a field.Error whose path ("spec.containers[0].image") and
// message match Kubernetes', so that kubectl shows familiar errors.
//
// Every Validate<Kind>(newObj, oldObj) validates newObj as a whole and, when
// oldObj is non-nil (an update), also the kind's update rules (immutable
// fields). Objects are expected to be defaulted first (package defaults):
// fields that defaulting always sets, such as a pod's restartPolicy, are
// reported as required when empty. The immutability of metadata.name,
// namespace, uid and creationTimestamp is the API server's concern, not
// this package's. The functions are pure and safe for concurrent use.
package validation
