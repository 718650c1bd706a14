// Package structural is a CustomResourceDefinition's openAPIV3Schema as
// kube-apiserver uses it: parsed and checked to be structural (New), and
// then applied to custom resources.
//
// The contract, each part as Kubernetes' apiextensions-apiserver does it,
// with its paths and wording:
//
//   - New checks a schema as CRD validation does: every field typed (or
//     x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields),
//     allOf/anyOf/oneOf/not that only validate, metadata at the root
//     restricting name and generateName only, additionalProperties not
//     beside properties, list and map types, defaults pruned and valid.
//     A keyword of the wrong JSON type is a *DecodeError (400), everything
//     else a field.ErrorList (422).
//   - Decode is what decoding a custom resource does, on every request body
//     and every read from storage: root metadata read as ObjectMeta,
//     pruning of unknown fields (reported, for warnings or Strict field
//     validation), nulls dropped where not allowed, embedded resources'
//     metadata coerced, then defaults applied. Prune and ApplyDefaults are
//     its steps.
//   - Validate is the custom resource strategy's validation (OpenAPI value
//     validation with kube-openapi's messages, embedded resources,
//     x-kubernetes-list-type set/map uniqueness); ValidateUpdate adds
//     Kubernetes' validation ratcheting (errors in unchanged parts are not
//     reported); ValidateStatus and ValidateStatusUpdate are those of a
//     /status write. x-kubernetes-validations (CEL) rules are compiled by
//     New and evaluated by Validate and ValidateUpdate (transition rules
//     on updates), with cel-go: the standard library with strings, sets
//     and optionals, dynamically typed; Kubernetes' own CEL libraries are
//     not there.
//   - OpenAPIV2Definitions and OpenAPIV3Definitions are the definitions
//     kube-apiserver publishes for a version of the CRD, and FieldView the
//     schema as apiserver's unknown-field walk sees it.
//
// A Schema is immutable once New returns it and safe for concurrent use.
// Objects are JSON values as decoded into map[string]any (numbers as
// json.Number, float64 or integers); Decode and the pruning and defaulting
// steps change the object in place.
//
// The package uses no Kubernetes module: the rules are written from
// Kubernetes' behaviour, Go's regexp is the regular expression engine
// Kubernetes itself uses for patterns, and cel-go the CEL implementation
// it uses for rules.
package structural
