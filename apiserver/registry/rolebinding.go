package registry

import (
	"slices"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// roleBindings: rbac.authorization.k8s.io/v1 RoleBinding, enforced by
// apiserver/authz. Its roleRef cannot change.
var roleBindings = &Resource{
	Group: api.RBACGroup, Version: "v1", Kind: "RoleBinding", Name: "rolebindings", Singular: "rolebinding", Namespaced: true,
	Schema: GoType[api.RoleBinding](),
	Strategy: Strategy{Validate: Typed(func(b, old *api.RoleBinding) field.ErrorList {
		errs := validation.ValidateObjectMeta(&b.ObjectMeta, true, rbacName, field.NewPath("metadata"))
		errs = append(errs, validateRoleRef(b.RoleRef, []string{"Role", "ClusterRole"})...)
		errs = append(errs, validateSubjects(b.Subjects, true)...)
		if old != nil && b.RoleRef != old.RoleRef {
			errs = append(errs, field.Invalid(field.NewPath("roleRef"), b.RoleRef, "cannot change roleRef"))
		}
		return errs
	})},
	Columns: bindingColumns,
	Docs: map[string]string{
		"RoleBinding": "RoleBinding references a role, but does not contain it. It adds who information via Subjects and namespace information by which namespace it exists in.",
		"RoleRef":     "RoleRef contains information that points to the role being used.",
		"Subject":     "Subject contains a reference to the object or user identities a role binding applies to: a User, a Group or a ServiceAccount.",
	},
}

func init() { register(roleBindings) }

// bindingColumns are a binding's ROLE, then USERS, GROUPS and
// SERVICEACCOUNTS with -o wide, as kubectl prints them.
var bindingColumns = []Column{
	{Name: "Role", Type: "string", Description: "The role granted.",
		Cell: func(o map[string]any, _ time.Time) any {
			return str(o, "roleRef", "kind") + "/" + str(o, "roleRef", "name")
		}},
	ageColumn,
	{Name: "Users", Type: "string", Priority: 1, Description: "Users in the binding.",
		Cell: func(o map[string]any, _ time.Time) any { return subjectNames(o, "User") }},
	{Name: "Groups", Type: "string", Priority: 1, Description: "Groups in the binding.",
		Cell: func(o map[string]any, _ time.Time) any { return subjectNames(o, "Group") }},
	{Name: "ServiceAccounts", Type: "string", Priority: 1, Description: "Service accounts in the binding.",
		Cell: func(o map[string]any, _ time.Time) any { return subjectNames(o, "ServiceAccount") }},
}

// subjectNames joins the names of a binding's subjects of kind; service
// accounts as namespace/name.
func subjectNames(o map[string]any, kind string) string {
	var out []string
	for _, s := range list(o, "subjects") {
		s, _ := s.(map[string]any)
		if str(s, "kind") != kind {
			continue
		}
		if kind == "ServiceAccount" {
			out = append(out, str(s, "namespace")+"/"+str(s, "name"))
		} else {
			out = append(out, str(s, "name"))
		}
	}
	return strings.Join(out, ", ")
}

// validateRoleRef checks a binding's roleRef as Kubernetes does.
func validateRoleRef(ref api.RoleRef, kinds []string) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != api.RBACGroup {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{api.RBACGroup}))
	}
	if !slices.Contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range rbacName(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return errs
}

// validateSubjects checks a binding's subjects as Kubernetes'
// ValidateRoleBindingSubject does.
func validateSubjects(subjects []api.Subject, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subjects {
		p := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		switch s.Kind {
		case "ServiceAccount":
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if !namespaced && s.Namespace == "" {
				errs = append(errs, field.Required(p.Child("namespace"), ""))
			}
		case "User", "Group":
			if s.APIGroup != api.RBACGroup {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{api.RBACGroup}))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{"ServiceAccount", "User", "Group"}))
		}
	}
	return errs
}
