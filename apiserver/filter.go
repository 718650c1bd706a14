package apiserver

import (
	"fmt"
	"reflect"
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
	// zero holds, for each selected field, the value it has when an object
	// lacks it.
	zero map[string]string
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
		f.zero = map[string]string{}
		t := r.res.Schema.Go
		for _, req := range sel.Requirements() {
			if path, ok := r.res.Fields[req.Field]; ok && t != nil {
				f.zero[req.Field] = zeroValue(t, path)
			}
		}
	}
	return f, nil
}

// zeroValue is what a selectable field at path in the Go type t reads as
// when an object lacks it: the zero value of its type ("false", "0", ""),
// as Kubernetes builds selectable fields from the typed object, so that
// spec.unschedulable=false selects the nodes that do not say.
func zeroValue(t reflect.Type, path []string) string {
	for _, name := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
		ft, ok := jsonFields(t)[name]
		if !ok {
			return ""
		}
		t = ft
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "0"
	}
	return ""
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
	return f.matchesWith(stringMap(nested(o, "metadata", "labels")), func(name string) (string, bool) {
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
		if v := nested(o, path...); v != nil {
			return fieldString(v), true
		}
		return "", false
	})
}

// matchesAttrs reports whether the object whose attributes are a passes
// the selectors, as matches does for the whole object.
func (f *filter) matchesAttrs(a *selectAttrs) bool {
	return f.matchesWith(a.labels, func(name string) (string, bool) {
		v, ok := a.fields[name]
		return v, ok
	})
}

// matchesWith applies the selectors to an object's labels and its
// fields, read by field (false for a field the object lacks, which then
// reads as its type's zero value).
func (f *filter) matchesWith(labels map[string]string, field func(string) (string, bool)) bool {
	if !f.label.Empty() && !f.label.Matches(labels) {
		return false
	}
	if !f.field.Empty() {
		return f.field.Matches(func(name string) (string, bool) {
			if v, ok := field(name); ok {
				return v, true
			}
			if _, known := f.res.Fields[name]; !known && name != "metadata.name" && name != "metadata.namespace" {
				return "", false
			}
			return f.zero[name], true
		})
	}
	return true
}

func (f *filter) String() string { return fmt.Sprintf("%s/%s", f.res.Name, f.namespace) }
