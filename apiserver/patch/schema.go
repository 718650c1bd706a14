package patch

import (
	"reflect"
	"strings"
	"sync"
)

// fieldMeta is what a strategic merge needs to know about one field.
type fieldMeta struct {
	typ      reflect.Type // nil when unknown: the field is merged as by a JSON merge patch
	merge    bool         // patchStrategy includes "merge": the list merges
	replace  bool         // patchStrategy includes "replace": the value is replaced whole
	mergeKey string       // patchMergeKey: identifies the elements of a merging list of objects
}

// structFields caches, per struct type, its fields by JSON name.
var structFields sync.Map // reflect.Type -> map[string]fieldMeta

// deref strips pointers.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// lookup returns the metadata of the field called name (its JSON name) of
// the object type t. Map types give their element type for every key;
// anything else, and a name the struct does not have, gives fieldMeta{}.
func lookup(t reflect.Type, name string) fieldMeta {
	t = deref(t)
	if t == nil {
		return fieldMeta{}
	}
	switch t.Kind() {
	case reflect.Map:
		return fieldMeta{typ: deref(t.Elem())}
	case reflect.Struct:
		if m, ok := structFields.Load(t); ok {
			return m.(map[string]fieldMeta)[name]
		}
		m := map[string]fieldMeta{}
		collectFields(t, m)
		structFields.Store(t, m)
		return m[name]
	}
	return fieldMeta{}
}

// collectFields adds t's fields to m by JSON name. As in encoding/json,
// the fields of embedded structs are promoted, and a shallower field hides
// a deeper one of the same name.
func collectFields(t reflect.Type, m map[string]fieldMeta) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && (name == "" || strings.Contains(","+opts+",", ",inline,")) {
			if et := deref(f.Type); et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !f.IsExported() && !(f.Anonymous && deref(f.Type).Kind() == reflect.Struct) {
			continue // encoding/json ignores it too
		}
		if name == "" {
			name = f.Name
		}
		if _, seen := m[name]; seen {
			continue
		}
		fm := fieldMeta{typ: deref(f.Type), mergeKey: f.Tag.Get("patchMergeKey")}
		for _, s := range strings.Split(f.Tag.Get("patchStrategy"), ",") {
			switch s {
			case "merge":
				fm.merge = true
			case "replace":
				fm.replace = true
			}
		}
		m[name] = fm
	}
	for _, et := range embedded {
		collectFields(et, m)
	}
}

// elem returns the element type of a list type, or nil.
func elem(t reflect.Type) reflect.Type {
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return deref(t.Elem())
	}
	return nil
}
