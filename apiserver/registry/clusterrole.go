package registry

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// clusterRoles: rbac.authorization.k8s.io/v1 ClusterRole, enforced by
// apiserver/authz, which also fills in the rules of aggregated ones.
var clusterRoles = &Resource{
	Group: api.RBACGroup, Version: "v1", Kind: "ClusterRole", Name: "clusterroles", Singular: "clusterrole",
	Schema: GoType[api.ClusterRole](),
	Strategy: Strategy{Validate: Typed(func(r, _ *api.ClusterRole) field.ErrorList {
		errs := validation.ValidateObjectMeta(&r.ObjectMeta, false, rbacName, field.NewPath("metadata"))
		errs = append(errs, validatePolicyRules(r.Rules, false)...)
		if a := r.AggregationRule; a != nil {
			p := field.NewPath("aggregationRule", "clusterRoleSelectors")
			if len(a.ClusterRoleSelectors) == 0 {
				errs = append(errs, field.Required(p, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
			}
			for i := range a.ClusterRoleSelectors {
				errs = append(errs, validation.ValidateLabelSelector(&a.ClusterRoleSelectors[i], p.Index(i))...)
			}
		}
		return errs
	})},
	Columns: createdAtColumns,
	Docs: map[string]string{
		"ClusterRole": "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.",
	},
}

func init() { register(clusterRoles) }
