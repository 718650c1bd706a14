// Package fields parses and evaluates Kubernetes field selectors, the
// fieldSelector query parameter of list and watch requests (kubectl's
// --field-selector).
//
// A selector is a comma-separated conjunction of terms "field=value",
// "field==value" or "field!=value". In a value, a literal backslash, comma
// or equals sign is escaped with a backslash (`\\`, `\,`, `\=`); EscapeValue
// does that. The empty string selects everything.
//
// Which fields a resource supports is the caller's business: the API server
// passes its allowed set to CheckFields and answers 400 with the error, as
// Kubernetes does ("field label not supported: spec.foo"). Matching is given
// a getter for the object's field values; a field the object lacks reads as
// the empty string, as in Kubernetes' fields.Set.
//
// Equal finds the value a selector requires a field to equal (kubelets
// watch pods with spec.nodeName=NODE), so that the server's watch fan-out
// can offer such a watch only the changes of that node's pods.
//
// Selectors are immutable values and safe for concurrent use.
package fields
