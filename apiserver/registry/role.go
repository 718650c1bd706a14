package registry

import (
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// roles: rbac.authorization.k8s.io/v1 Role, enforced by apiserver/authz.
var roles = &Resource{
	Group: api.RBACGroup, Version: "v1", Kind: "Role", Name: "roles", Singular: "role", Namespaced: true,
	Schema:     GoType[api.Role](),
	GroupTypes: []string{"PolicyRule", "Subject", "AggregationRule"},
	Strategy: Strategy{Validate: Typed(func(r, _ *api.Role) field.ErrorList {
		errs := validation.ValidateObjectMeta(&r.ObjectMeta, true, rbacName, field.NewPath("metadata"))
		return append(errs, validatePolicyRules(r.Rules, true)...)
	})},
	Columns: createdAtColumns,
	Docs: map[string]string{
		"Role":       "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.",
		"Role.rules": "Rules holds all the PolicyRules for this Role.",
		"PolicyRule": "PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which namespace the rule applies to.",
	},
}

func init() { register(roles) }

// createdAtColumns are NAME and CREATED AT, as kubectl prints roles.
var createdAtColumns = []Column{
	nameColumn,
	{Name: "Created At", Type: "date", Description: "When the object was created.",
		Cell: func(o map[string]any, _ time.Time) any { return str(o, "metadata", "creationTimestamp") }},
}

// rbacName is the name rule of the RBAC kinds: a valid path segment.
func rbacName(name string, prefix bool) []string {
	var errs []string
	switch {
	case name == "." || name == "..":
		errs = append(errs, "may not be '"+name+"'")
	case strings.ContainsAny(name, "/%"):
		errs = append(errs, "may not contain '/' or '%'")
	}
	return errs
}

// validatePolicyRules checks rules as Kubernetes' ValidatePolicyRule does.
func validatePolicyRules(rules []api.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		p := field.NewPath("rules").Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), strings.Join(r.NonResourceURLs, ","), "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), strings.Join(r.NonResourceURLs, ","), "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}
