// Package defaults fills in the fields that the Kubernetes API server
// defaults, on an object held as the map decoded from its JSON, so that
// fields minik8s does not model survive untouched.
//
// Each function (Pod, Deployment, ReplicaSet, Namespace, Node) changes obj
// in place and sets a field only when it is absent or, for fields that are
// not pointers in Kubernetes' Go types, zero ("" or 0), exactly when
// Kubernetes would. Numbers in obj may be json.Number (a decoder with
// UseNumber) or float64; numbers added are json.Number. A field of an
// unexpected JSON type is left alone, for validation to report. Defaulting
// is idempotent. The functions are safe for concurrent use on distinct
// objects.
package defaults
