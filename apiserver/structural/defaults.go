package structural

import (
	"reflect"

	"github.com/minik8s/minik8s/api/field"
)

// validateDefaults checks every default in the structural part of a
// schema, as Kubernetes does when it accepts a CRD: a default must already
// be pruned (no field the schema would drop), must give valid metadata
// where it makes an embedded resource, and must pass the value
// validation of its own schema. Defaults under additionalProperties are
// not followed, as in Kubernetes.
func validateDefaults(p *field.Path, s *Schema) field.ErrorList {
	if s == nil {
		return nil
	}
	root := *s
	root.EmbeddedResource = true // the root is a resource
	return defaultsAt(p, &root, false)
}

func defaultsAt(p *field.Path, s *Schema, insideMeta bool) field.ErrorList {
	if s == nil {
		return nil
	}
	if s.EmbeddedResource {
		insideMeta = false
	}
	var errs field.ErrorList
	if s.HasDefault {
		dp := p.Child("default")
		def := s.Default
		switch {
		case insideMeta:
			// A default inside an embedded resource's metadata or type
			// meta: Kubernetes checks the metadata it makes; here the
			// value's own schema is checked.
			errs = append(errs, s.ValidateValue(dp, def)...)
		default:
			pruned := deepCopyJSON(def)
			pruneValue(pruned, s, s.EmbeddedResource)
			if !reflect.DeepEqual(canonical(pruned), canonical(def)) {
				errs = append(errs, field.Invalid(dp, canonical(def), "must not have unknown fields"))
			}
			if _, err := coerceEmbedded(dp, deepCopyJSON(def), s, s.EmbeddedResource, false); err != nil {
				errs = append(errs, err)
			} else if verrs := validateEmbedded(dp, def, s, !s.EmbeddedResource); len(verrs) > 0 {
				errs = append(errs, verrs...)
			} else {
				errs = append(errs, s.ValidateValue(dp, def)...)
			}
		}
	}
	errs = append(errs, defaultsAt(p.Child("items"), s.Items, insideMeta)...)
	for _, k := range sortedKeys(s.Properties) {
		errs = append(errs, defaultsAt(p.Child("properties").Key(k), s.Properties[k], insideMeta || s.EmbeddedResource && metaFields[k])...)
	}
	return errs
}
