package registry

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// resourceQuotas: core/v1 ResourceQuota, stored and validated (not
// enforced). Its status is a controller's: create drops what a client
// sends and spec writes keep it.
var resourceQuotas = &Resource{
	Version: "v1", Kind: "ResourceQuota", Name: "resourcequotas", Singular: "resourcequota", Namespaced: true,
	ShortNames: []string{"quota"}, Subresources: []string{"status"},
	Schema: GoType[api.ResourceQuota](),
	Strategy: Strategy{
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validateResourceQuota),
	},
	Columns: []Column{
		ageColumn,
		{Name: "Request", Type: "string", Description: "Used and hard quota of each resource other than limits.",
			Cell: func(o map[string]any, _ time.Time) any { return quotaUsage(o, false) }},
		{Name: "Limit", Type: "string", Description: "Used and hard quota of each limits.* resource.",
			Cell: func(o map[string]any, _ time.Time) any { return quotaUsage(o, true) }},
	},
	Docs: map[string]string{
		"ResourceQuota":            "ResourceQuota sets aggregate quota restrictions enforced per namespace (stored by minik8s, not enforced).",
		"ResourceQuota.spec":       "Spec defines the desired quota.",
		"ResourceQuotaSpec.hard":   "Hard is the set of desired hard limits for each named resource, such as pods, requests.cpu or limits.memory.",
		"ResourceQuotaStatus.used": "Used is the current observed total usage of the resource in the namespace.",
	},
}

func init() { register(resourceQuotas) }

// quotaUsage renders "name: used/hard, ..." for the limits.* resources or
// for the others, sorted by name, as kubectl's quota printer does.
func quotaUsage(o map[string]any, limits bool) string {
	hard, used := mapAt(o, "spec", "hard"), mapAt(o, "status", "used")
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(hard)) {
		if strings.HasPrefix(name, "limits.") != limits {
			continue
		}
		u := "0"
		if v, ok := used[name]; ok {
			u = fmt.Sprint(v)
		}
		parts = append(parts, fmt.Sprintf("%s: %s/%v", name, u, hard[name]))
	}
	return strings.Join(parts, ", ")
}

var quotaScopes = []string{"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"}

// validateResourceQuota checks resource names, quantities and scopes.
func validateResourceQuota(q, _ *api.ResourceQuota) field.ErrorList {
	errs := validation.ValidateObjectMeta(&q.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	errs = append(errs, validateResourceNames(q.Spec.Hard, field.NewPath("spec", "hard"))...)
	errs = append(errs, validation.ValidateResourceList(q.Spec.Hard, field.NewPath("spec", "hard"))...)
	errs = append(errs, validation.ValidateResourceList(q.Status.Hard, field.NewPath("status", "hard"))...)
	errs = append(errs, validation.ValidateResourceList(q.Status.Used, field.NewPath("status", "used"))...)
	for i, s := range q.Spec.Scopes {
		if !slices.Contains(quotaScopes, s) {
			errs = append(errs, field.NotSupported(field.NewPath("spec", "scopes").Index(i), s, quotaScopes))
		}
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for i, e := range sel.MatchExpressions {
			p := field.NewPath("spec", "scopeSelector", "matchExpressions").Index(i)
			if !slices.Contains(quotaScopes, e.ScopeName) {
				errs = append(errs, field.NotSupported(p.Child("scopeName"), e.ScopeName, quotaScopes))
			}
			ops := []string{"In", "NotIn", "Exists", "DoesNotExist"}
			if !slices.Contains(ops, e.Operator) {
				errs = append(errs, field.NotSupported(p.Child("operator"), e.Operator, ops))
			}
		}
	}
	return errs
}

// validateResourceNames requires each resource name to be a qualified
// name (cpu, requests.memory, example.com/gpu).
func validateResourceNames(rl api.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range slices.Sorted(maps.Keys(rl)) {
		for _, msg := range validation.IsQualifiedName(string(name)) {
			errs = append(errs, field.Invalid(p.Key(string(name)), string(name), msg))
		}
	}
	return errs
}
