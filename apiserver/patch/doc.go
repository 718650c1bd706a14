// Package patch applies the PATCH bodies Kubernetes clients send to an
// object's JSON. Apply selects the algorithm by the request's Content-Type:
//
//   - application/json-patch+json: RFC 6902 operations (at most 10000,
//     whose "copy" operations add at most 3 MiB all together, no negative
//     array indices, as the Kubernetes API server).
//   - application/merge-patch+json: RFC 7386 JSON merge patch.
//   - application/strategic-merge-patch+json: Kubernetes' strategic merge
//     patch, what kubectl apply, edit, set, label and rollout send. Its
//     list semantics come from the patchStrategy and patchMergeKey struct
//     tags of the object's Go type (see StrategicMerge).
//
// Server-side apply (application/apply-patch+yaml) and any other type fail
// with ErrUnsupported (415). A JSON patch of more than 10000 operations
// fails with ErrTooLarge (413). A patch that cannot be read fails with
// ErrMalformed (400); one that is well formed but cannot be applied to this
// object (a failing "test" operation, a path that does not exist, copies
// adding more than MaxCopyBytes, content
// contradicting its own $retainKeys) fails with ErrInvalid (422). The
// result is always a JSON object; checking it against the type is the
// caller's job.
//
// MergeInto applies a merge patch to an already decoded object, with the
// same result, for callers that hold the object decoded anyway; it
// modifies its arguments. Everything else here is pure, and all of it is
// safe for concurrent use on distinct arguments.
package patch
