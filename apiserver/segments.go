package apiserver

import (
	"strings"
	"unicode/utf8"

	"github.com/minik8s/minik8s/apiserver/registry"
)

// validSegment reports whether a name or namespace from the path can name
// a stored object at all: Postgres cannot hold a NUL or invalid UTF-8 in a
// text column (it fails the query), and no valid name has either.
func validSegment(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkPathSegments answers, before anything reaches the store, a request
// whose name or namespace no stored object can have, as Kubernetes answers
// for an object or namespace that does not exist: 404 for an object, 404
// for the namespace of a create, and for a list, watch or deletecollection
// what a namespace without objects gives (the namespace is replaced by one
// no object has).
func checkPathSegments(r *request) error {
	if !validSegment(r.ri.Namespace) {
		switch {
		case r.ri.Name != "":
			return notFound(r.res, r.ri.Name)
		case r.ri.Verb == "create":
			namespaces, _ := registry.Lookup("", "v1", "namespaces")
			return notFound(namespaces, r.ri.Namespace)
		}
		r.ri.Namespace = strings.ToValidUTF8(strings.ReplaceAll(r.ri.Namespace, "\x00", "\uFFFD"), "\uFFFD")
	}
	if !validSegment(r.ri.Name) {
		return notFound(r.res, r.ri.Name)
	}
	return nil
}
