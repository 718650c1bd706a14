package registry

import (
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// limitRanges: core/v1 LimitRange, stored and validated (not enforced).
var limitRanges = &Resource{
	Version: "v1", Kind: "LimitRange", Name: "limitranges", Singular: "limitrange", Namespaced: true,
	ShortNames: []string{"limits"},
	Schema:     GoType[api.LimitRange](),
	Strategy:   Strategy{Validate: Typed(validateLimitRange)},
	// NAME and CREATED AT only, as kubectl prints limit ranges.
	Columns: []Column{
		nameColumn,
		{Name: "Created At", Type: "date", Description: "When the limit range was created.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "metadata", "creationTimestamp") }},
	},
	Docs: map[string]string{
		"LimitRange":      "LimitRange sets resource usage limits for each kind of resource in a namespace (stored by minik8s, not enforced).",
		"LimitRange.spec": "Spec defines the limits enforced.",
	},
}

func init() { register(limitRanges) }

var limitTypes = []string{"Pod", "Container", "PersistentVolumeClaim"}

// validateLimitRange checks each item's type, resource names and
// quantities, and that min <= default request <= default <= max.
func validateLimitRange(lr, _ *api.LimitRange) field.ErrorList {
	errs := validation.ValidateObjectMeta(&lr.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	for i, item := range lr.Spec.Limits {
		p := field.NewPath("spec", "limits").Index(i)
		if !slices.Contains(limitTypes, item.Type) {
			errs = append(errs, field.NotSupported(p.Child("type"), item.Type, limitTypes))
		}
		lists := []struct {
			name string
			rl   api.ResourceList
		}{{"max", item.Max}, {"min", item.Min}, {"default", item.Default}, {"defaultRequest", item.DefaultRequest}, {"maxLimitRequestRatio", item.MaxLimitRequestRatio}}
		for _, l := range lists {
			errs = append(errs, validateResourceNames(l.rl, p.Child(l.name))...)
			errs = append(errs, validation.ValidateResourceList(l.rl, p.Child(l.name))...)
		}
		for name, min := range item.Min {
			if max, ok := item.Max[name]; ok && min.Cmp(max) > 0 {
				errs = append(errs, field.Invalid(p.Child("min").Key(string(name)), min.String(),
					"min value "+min.String()+" is greater than max value "+max.String()))
			}
		}
		for name, def := range item.Default {
			if max, ok := item.Max[name]; ok && def.Cmp(max) > 0 {
				errs = append(errs, field.Invalid(p.Child("default").Key(string(name)), def.String(),
					"default value "+def.String()+" is greater than max value "+max.String()))
			}
		}
		for name, req := range item.DefaultRequest {
			if def, ok := item.Default[name]; ok && req.Cmp(def) > 0 {
				errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(string(name)), req.String(),
					"default request value "+req.String()+" is greater than default limit value "+def.String()))
			}
		}
	}
	return errs
}
