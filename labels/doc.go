// Package labels parses and evaluates Kubernetes label selectors.
//
// A Selector is a conjunction of Requirements. Parse accepts the string form
// of the labelSelector query parameter and of kubectl's -l flag:
//
//	a=b  a==b  a!=b  a in (x,y)  a notin (x)  a  !a  a>1  a<1
//
// joined by commas, with whitespace allowed around every token. Keys must be
// qualified names (an optional DNS subdomain prefix and "/", then a name of
// at most 63 characters) and values valid label values; Parse reports
// anything else as an error starting with "unable to parse requirement:".
//
// Semantics follow Kubernetes: "!=" and "notin" also match objects that lack
// the key; "in" and "=" require it. The zero Selector (Everything) matches
// every set of labels; Nothing matches none. FromLabelSelector converts the
// structured api.LabelSelector of workload specs with metav1's rules: a nil
// selector matches nothing and an empty one everything.
//
// Selectors are immutable values and safe for concurrent use.
package labels
