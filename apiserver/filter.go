package apiserver

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/fields"
	"github.com/minik8s/minik8s/labels"
)

// filter decides which objects a list or watch returns: the namespace of
// the request and its label and field selectors.
type filter struct {
	res       *registry.Resource
	namespace string
	label     labels.Selector // the zero value selects everything
	field     fields.Selector
}

// newFilter parses the request's selectors; unknown field names are a 400
// naming the ones that are supported.
func newFilter(r *request) (*filter, error) {
	f := &filter{res: r.res, namespace: r.ri.Namespace}
	if s := r.query("labelSelector"); s != "" {
		sel, err := labels.Parse(s)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		f.label = sel
	}
	if s := r.query("fieldSelector"); s != "" {
		sel, err := fields.Parse(s)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		for _, req := range sel.Requirements() {
			if !f.knownField(req.Field) {
				return nil, badRequest("%q is not a known field selector: only %q", req.Field, f.knownFields())
			}
		}
		f.field = sel
	}
	return f, nil
}

func (f *filter) knownField(name string) bool {
	if name == "metadata.name" || name == "metadata.namespace" {
		return true
	}
	_, ok := f.res.Fields[name]
	return ok
}

func (f *filter) knownFields() string {
	names := []string{"metadata.name", "metadata.namespace"}
	for k := range f.res.Fields {
		names = append(names, k)
	}
	sort.Strings(names[2:])
	return strings.Join(names, ", ")
}

// needsObject reports whether matching needs the decoded object.
func (f *filter) needsObject() bool { return !f.label.Empty() || !f.field.Empty() }

// matches reports whether a decoded object passes the selectors.
func (f *filter) matches(o object) bool {
	if !f.label.Empty() && !f.label.Matches(stringMap(nested(o, "metadata", "labels"))) {
		return false
	}
	if !f.field.Empty() {
		return f.field.Matches(func(name string) (string, bool) {
			switch name {
			case "metadata.name":
				return nestedString(o, "metadata", "name"), true
			case "metadata.namespace":
				return nestedString(o, "metadata", "namespace"), true
			}
			path, ok := f.res.Fields[name]
			if !ok {
				return "", false
			}
			return fieldString(nested(o, path...)), true
		})
	}
	return true
}

func (f *filter) String() string { return fmt.Sprintf("%s/%s", f.res.Name, f.namespace) }
