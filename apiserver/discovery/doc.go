// Package discovery serves what kubectl and client-go read besides objects:
// the discovery documents (/api, /api/v1, /apis, /apis/{group},
// /apis/{group}/{version}), /version, and the OpenAPI documents
// (/openapi/v2 and /openapi/v3/...) generated from the registry's Go types.
//
// Contract:
//   - Every document is built once, in New, from the registry; requests
//     only write cached bytes, so handlers are safe for concurrent use and
//     allocate little.
//   - /api and /apis answer an Accept header asking for
//     apidiscovery.k8s.io/v2 APIGroupDiscoveryList with the aggregated
//     document (one request instead of one per group version), and
//     anything else with the plain APIVersions/APIGroupList as
//     application/json.
//   - /openapi/v2 is Swagger 2.0, as JSON or, to a client that names it
//     first in Accept (kubectl, to validate a kind: List), as gnostic's
//     protobuf openapi_v2.Document; anything else is 406 Not Acceptable.
//   - /openapi/v3 lists one OpenAPI 3.0 document per group version, each
//     at a URL carrying the hash of its content; a document requested with
//     the current hash may be cached forever, an old hash is redirected.
//   - Every PATCH operation declares the fieldValidation query parameter
//     and the strategic-merge-patch content type, which is how kubectl
//     decides that the server validates fields itself and that it may send
//     strategic merge patches.
//   - Field descriptions come from a hand-written table for the fields
//     kubectl explain is usually asked about; every other field gets a
//     generic one. Unknown fields are allowed (no additionalProperties:
//     false): the server drops them, with a warning unless
//     fieldValidation=Ignore, or rejects them with fieldValidation=Strict.
package discovery
