package structural

// FieldShape is the JSON a schema node describes, as far as a walk for
// unknown fields goes (apiserver's fieldSchema shapes, in the same order).
type FieldShape int

const (
	// ShapeAny is not looked into: scalars and preserved unknown fields.
	ShapeAny FieldShape = iota
	// ShapeObject has a fixed set of fields (Field).
	ShapeObject
	// ShapeList is a list of elements of one schema (Elem).
	ShapeList
	// ShapeMap has any keys, with values of one schema (Elem).
	ShapeMap
)

// FieldView is a schema as the unknown-field walk sees it; it agrees with
// Prune about what is unknown. The zero FieldView knows no field at all.
type FieldView struct {
	s *Schema
	// resource: an object whose apiVersion, kind and metadata are known
	// (the root, an embedded resource).
	resource bool
	// objectMeta: the metadata of a resource, to be walked as ObjectMeta.
	objectMeta bool
	// any: a value nothing is known of and nothing is unknown in.
	any bool
	// preserve: the element of a list that preserves unknown fields, which
	// pruning walks as preserving too.
	preserve bool
}

// FieldView returns the view of a custom resource's schema from its root.
func (s *Schema) FieldView() FieldView { return FieldView{s: s, resource: true} }

func viewOf(s *Schema) FieldView {
	if s == nil {
		return FieldView{}
	}
	return FieldView{s: s, resource: s.EmbeddedResource}
}

// ObjectMeta reports the metadata of a resource: the walk should go on
// with ObjectMeta's own schema.
func (v FieldView) ObjectMeta() bool { return v.objectMeta }

// Shape says what JSON the node holds.
func (v FieldView) Shape() FieldShape {
	s := v.s
	switch {
	case v.any || v.objectMeta:
		return ShapeAny
	case s == nil:
		return ShapeObject // no schema: every field of an object is unknown
	case v.resource || s.Properties != nil:
		return ShapeObject
	case s.AdditionalProperties != nil:
		return ShapeMap
	case s.Items != nil || s.Type == "array":
		if s.PreserveUnknownFields && s.Items == nil {
			return ShapeAny
		}
		return ShapeList
	case s.PreserveUnknownFields || v.preserve:
		return ShapeAny
	case s.Type == "object":
		return ShapeObject
	}
	return ShapeAny
}

// Field returns the view of an object's field; ok is false for a field
// that pruning would drop.
func (v FieldView) Field(name string) (FieldView, bool) {
	s := v.s
	if v.resource && metaFields[name] {
		if name == "metadata" {
			return FieldView{objectMeta: true}, true
		}
		return FieldView{any: true}, true
	}
	if s == nil {
		return FieldView{}, false
	}
	if ps, ok := s.Properties[name]; ok {
		return viewOf(ps), true
	}
	if s.AdditionalProperties != nil {
		return viewOf(s.AdditionalProperties.Schema), true
	}
	if s.PreserveUnknownFields || v.preserve {
		return FieldView{any: true}, true
	}
	return FieldView{}, false
}

// Elem returns the view of a list's elements or a map's values.
func (v FieldView) Elem() FieldView {
	s := v.s
	if s == nil {
		return FieldView{}
	}
	if s.AdditionalProperties != nil && s.Properties == nil {
		return viewOf(s.AdditionalProperties.Schema)
	}
	preserve := s.PreserveUnknownFields || v.preserve
	if s.Items == nil && preserve {
		return FieldView{any: true}
	}
	e := viewOf(s.Items)
	e.preserve = preserve && s.Items != nil
	return e
}
