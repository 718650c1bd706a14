package structural

import (
	"sort"
	"strconv"

	"github.com/minik8s/minik8s/api/field"
)

// DecodeOptions say how Decode treats an object.
type DecodeOptions struct {
	// PreserveUnknownFields is the CRD's spec.preserveUnknownFields
	// (always false in apiextensions.k8s.io/v1): nothing is pruned.
	PreserveUnknownFields bool
	// DropInvalidMetadata drops metadata fields that do not decode instead
	// of failing, as Kubernetes does when it reads objects from storage.
	DropInvalidMetadata bool
}

// Decode does to a decoded custom resource what kube-apiserver's decoding
// does, in its order: it reads the root's metadata as ObjectMeta (unknown
// fields dropped), prunes unknown fields by the schema (the root's
// apiVersion, kind and metadata are kept), drops nulls where the schema
// allows none and has no default, coerces the metadata of embedded
// resources to ObjectMeta, and then applies defaults. Call it on the body
// of every create and update, and on every object read from storage (with
// DropInvalidMetadata), as defaults apply on read too.
//
// It returns the paths of the fields it dropped, sorted ("spec.foo",
// "spec.list[0].bar", "metadata.foo"): the request pipeline turns them into
// "unknown field" warnings, or errors under fieldValidation=Strict. A
// metadata value that does not decode (without DropInvalidMetadata) is an
// error: the object is then left as it was.
func (s *Schema) Decode(obj map[string]any, opts DecodeOptions) ([]string, *field.Error) {
	var unknown []string
	meta, hasMeta := obj["metadata"]
	var rootMeta map[string]any
	if hasMeta {
		m, paths, err := coerceObjectMeta(nil, meta, opts.DropInvalidMetadata)
		if err != nil {
			return nil, err
		}
		rootMeta = m
		unknown = append(unknown, paths...)
	}
	if !opts.PreserveUnknownFields {
		unknown = append(unknown, s.Prune(obj)...)
		pruneNulls(obj, s)
	}
	paths, err := coerceEmbedded(nil, obj, s, false, opts.DropInvalidMetadata)
	if err != nil {
		return nil, err
	}
	unknown = append(unknown, paths...)
	if hasMeta {
		if rootMeta == nil {
			delete(obj, "metadata")
		} else {
			obj["metadata"] = rootMeta
		}
	}
	s.ApplyDefaults(obj)
	sort.Strings(unknown)
	return unknown, nil
}

// Prune deletes the fields of obj that the schema does not declare, as
// Kubernetes' structural pruning does, and returns their paths, sorted.
// The root is treated as a resource: its apiVersion, kind and metadata are
// kept (metadata is ObjectMeta's business). x-kubernetes-preserve-unknown-fields
// keeps unknown fields from there down, except inside declared properties;
// the apiVersion, kind and metadata of embedded resources are kept too.
func (s *Schema) Prune(obj map[string]any) []string {
	return pruneValue(obj, s, true)
}

// pruneValue prunes x by s; with isResourceRoot, x's apiVersion, kind and
// metadata are kept.
func pruneValue(x any, s *Schema, isResourceRoot bool) []string {
	if isResourceRoot {
		if s == nil {
			s = &Schema{}
		}
		if !s.EmbeddedResource {
			c := *s
			c.EmbeddedResource = true
			s = &c
		}
	}
	p := &pruner{}
	p.prune(x, s, "")
	sort.Strings(p.unknown)
	return p.unknown
}

type pruner struct{ unknown []string }

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func (p *pruner) prune(x any, s *Schema, path string) {
	if s != nil && s.PreserveUnknownFields {
		p.skip(x, s, path)
		return
	}
	switch x := x.(type) {
	case map[string]any:
		if s == nil {
			for k := range x {
				p.unknown = append(p.unknown, joinKey(path, k))
				delete(x, k)
			}
			return
		}
		for k, v := range x {
			if s.EmbeddedResource && metaFields[k] {
				continue
			}
			if ps, ok := s.Properties[k]; ok {
				p.prune(v, ps, joinKey(path, k))
			} else if s.AdditionalProperties != nil {
				p.prune(v, s.AdditionalProperties.Schema, joinKey(path, k))
			} else {
				if !metaFields[k] || path != "" {
					p.unknown = append(p.unknown, joinKey(path, k))
				}
				delete(x, k)
			}
		}
	case []any:
		var items *Schema
		if s != nil {
			items = s.Items
		}
		for i, v := range x {
			p.prune(v, items, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// skip walks a preserve-unknown-fields value: unknown fields stay, but
// declared properties are pruned by their own schemas.
func (p *pruner) skip(x any, s *Schema, path string) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if s.EmbeddedResource && metaFields[k] {
				continue
			}
			if ps, ok := s.Properties[k]; ok {
				p.prune(v, ps, joinKey(path, k))
			} else if s.AdditionalProperties != nil {
				p.prune(v, s.AdditionalProperties.Schema, joinKey(path, k))
			}
		}
	case []any:
		for i, v := range x {
			p.skip(v, s.Items, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// fieldSchema is the schema of an object's field k: its property, or
// additionalProperties.
func (s *Schema) fieldSchema(k string) *Schema {
	if s == nil {
		return nil
	}
	if ps, ok := s.Properties[k]; ok {
		return ps
	}
	if s.AdditionalProperties != nil {
		return s.AdditionalProperties.Schema
	}
	return nil
}

// pruneNulls deletes null fields whose schema is neither nullable nor
// defaulted, as Kubernetes does after pruning (a null there would fail
// validation for no fault of a client that sends explicit nulls).
func pruneNulls(x any, s *Schema) {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			fs := s.fieldSchema(k)
			if v == nil && fs != nil && !fs.Nullable && !fs.HasDefault {
				delete(x, k)
			} else {
				pruneNulls(v, fs)
			}
		}
	case []any:
		var items *Schema
		if s != nil {
			items = s.Items
		}
		for _, v := range x {
			pruneNulls(v, items)
		}
	}
}

// ApplyDefaults fills in defaults, as Kubernetes' structural defaulting does: a
// missing field, or a null where the schema allows none, gets its
// property's default; null list items and map values get the items' or
// additionalProperties' default. Defaults are copied, never shared.
func (s *Schema) ApplyDefaults(x any) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for _, k := range sortedKeys(s.Properties) {
			ps := s.Properties[k]
			if !ps.HasDefault {
				continue
			}
			if v, ok := x[k]; !ok || v == nil && !ps.Nullable {
				x[k] = deepCopyJSON(ps.Default)
			}
		}
		for k, v := range x {
			if ps, ok := s.Properties[k]; ok {
				ps.ApplyDefaults(v)
			} else if s.AdditionalProperties != nil {
				as := s.AdditionalProperties.Schema
				if v == nil && as != nil && !as.Nullable && as.HasDefault {
					x[k] = deepCopyJSON(as.Default)
				}
				as.ApplyDefaults(x[k])
			}
		}
	case []any:
		for i := range x {
			if x[i] == nil && s.Items != nil && !s.Items.Nullable && s.Items.HasDefault {
				x[i] = deepCopyJSON(s.Items.Default)
			}
			s.Items.ApplyDefaults(x[i])
		}
	}
}

// deepCopyJSON copies a JSON value (maps, lists and scalars).
func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyJSON(e)
		}
		return out
	}
	return v
}

// coerceEmbedded reads the metadata of every embedded resource under x as
// ObjectMeta, dropping unknown (and, with drop, malformed) fields;
// apiVersion and kind must be strings. isRoot includes x's own metadata.
func coerceEmbedded(p *field.Path, x any, s *Schema, isRoot, drop bool) ([]string, *field.Error) {
	if s == nil {
		return nil, nil
	}
	var unknown []string
	switch x := x.(type) {
	case map[string]any:
		embedded := s.EmbeddedResource && p != nil || isRoot
		for _, k := range sortedKeys(x) {
			v := x[k]
			if embedded {
				switch k {
				case "apiVersion", "kind":
					if _, ok := v.(string); !ok {
						if drop {
							delete(x, k)
						} else {
							return nil, field.Invalid(childPath(p, k), canonical(v), "must be a string")
						}
					}
				case "metadata":
					m, paths, err := coerceObjectMeta(p, v, drop)
					if err != nil {
						if !drop {
							return nil, err
						}
					} else if m != nil {
						x["metadata"] = m
					}
					unknown = append(unknown, paths...)
				}
			}
			var sub *Schema
			var sp *field.Path
			if ps, ok := s.Properties[k]; ok {
				sub, sp = ps, childPath(p, k)
			} else if s.AdditionalProperties != nil {
				sub, sp = s.AdditionalProperties.Schema, p.Key(k)
			} else {
				continue
			}
			paths, err := coerceEmbedded(sp, x[k], sub, false, drop)
			if err != nil {
				return nil, err
			}
			unknown = append(unknown, paths...)
		}
	case []any:
		for i, v := range x {
			paths, err := coerceEmbedded(p.Index(i), v, s.Items, false, drop)
			if err != nil {
				return nil, err
			}
			unknown = append(unknown, paths...)
		}
	}
	return unknown, nil
}
