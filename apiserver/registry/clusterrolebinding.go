package registry

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// clusterRoleBindings: rbac.authorization.k8s.io/v1 ClusterRoleBinding,
// enforced by apiserver/authz. It grants a ClusterRole; its roleRef cannot
// change.
var clusterRoleBindings = &Resource{
	Group: api.RBACGroup, Version: "v1", Kind: "ClusterRoleBinding", Name: "clusterrolebindings", Singular: "clusterrolebinding",
	Schema: GoType[api.ClusterRoleBinding](),
	Strategy: Strategy{Validate: Typed(func(b, old *api.ClusterRoleBinding) field.ErrorList {
		errs := validation.ValidateObjectMeta(&b.ObjectMeta, false, rbacName, field.NewPath("metadata"))
		errs = append(errs, validateRoleRef(b.RoleRef, []string{"ClusterRole"})...)
		errs = append(errs, validateSubjects(b.Subjects, false)...)
		if old != nil && b.RoleRef != old.RoleRef {
			errs = append(errs, field.Invalid(field.NewPath("roleRef"), b.RoleRef, "cannot change roleRef"))
		}
		return errs
	})},
	Columns: bindingColumns,
	Docs: map[string]string{
		"ClusterRoleBinding": "ClusterRoleBinding references a ClusterRole, but does not contain it. It adds who information via Subjects.",
	},
}

func init() { register(clusterRoleBindings) }
