package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
)

// Wildcards, as RBAC rules spell them.
const (
	VerbAll     = "*"
	APIGroupAll = "*"
	ResourceAll = "*"
	URLAll      = "*"
)

// RuleAllows reports whether rule grants the request a describes, as
// Kubernetes' rbac.RuleAllows does.
func RuleAllows(a *Attributes, r *api.PolicyRule) bool {
	if a.ResourceRequest {
		combined := a.Resource
		if a.Subresource != "" {
			combined += "/" + a.Subresource
		}
		return verbMatches(r.Verbs, a.Verb) &&
			groupMatches(r.APIGroups, a.APIGroup) &&
			resourceMatches(r.Resources, combined, a.Subresource) &&
			nameMatches(r.ResourceNames, a.Name)
	}
	return verbMatches(r.Verbs, a.Verb) && urlMatches(r.NonResourceURLs, a.Path)
}

func verbMatches(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == VerbAll || v == verb {
			return true
		}
	}
	return false
}

func groupMatches(groups []string, group string) bool {
	for _, g := range groups {
		if g == APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// resourceMatches matches "*", the resource (with "/subresource"), or
// "*/subresource".
func resourceMatches(resources []string, combined, sub string) bool {
	for _, r := range resources {
		switch {
		case r == ResourceAll, r == combined:
			return true
		case sub != "" && len(r) == len(sub)+2 && r[0] == '*' && r[1] == '/' && r[2:] == sub:
			return true
		}
	}
	return false
}

// nameMatches: a rule without resourceNames matches every name; one with
// them matches only a request that names one of them.
func nameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	return name != "" && slices.Contains(names, name)
}

// urlMatches matches "*", the path, or a prefix ending in "*".
func urlMatches(urls []string, path string) bool {
	for _, u := range urls {
		switch {
		case u == URLAll, u == path:
			return true
		case strings.HasSuffix(u, "*") && strings.HasPrefix(path, u[:len(u)-1]):
			return true
		}
	}
	return false
}

// ruleCovers reports whether owner grants everything the single-valued
// rule r (one of Breakdown's) grants, as Kubernetes' validation.ruleCovers.
func ruleCovers(owner, r *api.PolicyRule) bool {
	if !covers(owner.Verbs, r.Verbs, VerbAll) || !covers(owner.APIGroups, r.APIGroups, APIGroupAll) {
		return false
	}
	for _, res := range r.Resources {
		if !resourceCovered(owner.Resources, res) {
			return false
		}
	}
	for _, u := range r.NonResourceURLs {
		if !urlCovered(owner.NonResourceURLs, u) {
			return false
		}
	}
	// An owner rule without names covers every name; with names, only a
	// request for a subset of them.
	if len(owner.ResourceNames) == 0 {
		return true
	}
	return len(r.ResourceNames) > 0 && covers(owner.ResourceNames, r.ResourceNames, "")
}

// covers: every value of want is in have, or have holds the wildcard.
func covers(have, want []string, wildcard string) bool {
	if wildcard != "" && slices.Contains(have, wildcard) {
		return true
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func resourceCovered(have []string, res string) bool {
	_, sub, hasSub := strings.Cut(res, "/")
	for _, h := range have {
		switch {
		case h == ResourceAll, h == res:
			return true
		case hasSub && h == "*/"+sub:
			return true
		}
	}
	return false
}

func urlCovered(have []string, url string) bool {
	for _, h := range have {
		switch {
		case h == URLAll, h == url:
			return true
		case strings.HasSuffix(h, "*") && strings.HasPrefix(url, h[:len(h)-1]):
			return true
		}
	}
	return false
}

// Breakdown splits a rule into rules of one verb, one group, one resource
// and one name (or one URL) each, as Kubernetes' validation.BreakdownRule.
func Breakdown(r api.PolicyRule) []api.PolicyRule {
	var out []api.PolicyRule
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				if len(r.ResourceNames) > 0 {
					for _, n := range r.ResourceNames {
						out = append(out, api.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}, ResourceNames: []string{n}})
					}
				} else {
					out = append(out, api.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}})
				}
			}
		}
	}
	for _, u := range r.NonResourceURLs {
		for _, v := range r.Verbs {
			out = append(out, api.PolicyRule{NonResourceURLs: []string{u}, Verbs: []string{v}})
		}
	}
	return out
}

// Covers reports whether owner grants everything requested does, and which
// single-valued rules (Breakdown) it does not.
func Covers(owner, requested []api.PolicyRule) (bool, []api.PolicyRule) {
	var missing []api.PolicyRule
	for _, req := range requested {
		for _, piece := range Breakdown(req) {
			ok := false
			for i := range owner {
				if ruleCovers(&owner[i], &piece) {
					ok = true
					break
				}
			}
			if !ok {
				missing = append(missing, piece)
			}
		}
	}
	return len(missing) == 0, missing
}

// Compact merges single-valued resource rules that differ only in their
// verb, as Kubernetes' CompactRules does for the escalation message.
func Compact(rules []api.PolicyRule) []api.PolicyRule {
	type key struct{ group, resource, name string }
	var out []api.PolicyRule
	at := map[key]int{}
	for _, r := range rules {
		if len(r.APIGroups) != 1 || len(r.Resources) != 1 || len(r.ResourceNames) > 1 || len(r.NonResourceURLs) > 0 {
			out = append(out, r)
			continue
		}
		k := key{r.APIGroups[0], r.Resources[0], ""}
		if len(r.ResourceNames) == 1 {
			k.name = r.ResourceNames[0]
		}
		if i, ok := at[k]; ok {
			for _, v := range r.Verbs {
				if !slices.Contains(out[i].Verbs, v) {
					out[i].Verbs = append(out[i].Verbs, v)
				}
			}
			continue
		}
		at[k] = len(out)
		r.Verbs = slices.Clone(r.Verbs)
		out = append(out, r)
	}
	return out
}

// CompactString prints a rule as Kubernetes' rbac CompactString does:
// {APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}.
func CompactString(r api.PolicyRule) string {
	var parts []string
	add := func(name string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, v))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("ResourceNames", r.ResourceNames)
	add("NonResourceURLs", r.NonResourceURLs)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
