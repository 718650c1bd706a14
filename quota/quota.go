// Package quota says what objects use of a ResourceQuota, as Kubernetes'
// quota evaluators do: the API server's ResourceQuota admission charges a
// new object against its namespace's quotas with it, and the quota
// controller totals a namespace's objects with it, so both count the same
// way.
//
// What is counted:
//   - every object: count/<resource>[.<group>] (count/pods,
//     count/deployments.apps), and for the core kinds Kubernetes counts by
//     their plain name (pods, configmaps, secrets, services,
//     persistentvolumeclaims, replicationcontrollers, resourcequotas) that
//     name too;
//   - a pod that has not finished (phase neither Succeeded nor Failed):
//     requests.<r> and limits.<r> for each resource its containers request
//     or limit (totalled by api.PodTotals), and cpu, memory and
//     ephemeral-storage as their requests.
//
// Scopes (spec.scopes and scopeSelector on Terminating, NotTerminating,
// BestEffort, NotBestEffort and PriorityClass) select pods only; a quota
// with scopes counts no other kind.
//
// Everything here is pure and safe for concurrent use.
package quota

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/api"
)

// plainCounted are the core resources Kubernetes also counts by plain name.
var plainCounted = []string{"pods", "services", "secrets", "configmaps", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"}

// legacyCompute are counted both as requests.<r> and as <r>.
var legacyCompute = []api.ResourceName{"cpu", "memory", "ephemeral-storage"}

// CountNames are the quota names that count objects of resource (plural)
// in group.
func CountNames(resource, group string) []api.ResourceName {
	name := "count/" + resource
	if group != "" {
		name += "." + group
	}
	names := []api.ResourceName{api.ResourceName(name)}
	if group == "" && slices.Contains(plainCounted, resource) {
		names = append(names, api.ResourceName(resource))
	}
	return names
}

// ObjectUsage is what one object of resource in group uses: one of each
// of its CountNames.
func ObjectUsage(resource, group string) api.ResourceList {
	u := api.ResourceList{}
	for _, n := range CountNames(resource, group) {
		u[n] = api.NewQuantity(1, api.DecimalSI)
	}
	return u
}

// Terminal reports whether a pod has finished, and so uses nothing.
func Terminal(pod *api.Pod) bool {
	return pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed
}

// PodUsage is what a pod uses: nothing once it has finished; else its
// counts and its compute requests and limits.
func PodUsage(pod *api.Pod) api.ResourceList {
	if Terminal(pod) {
		return api.ResourceList{}
	}
	u := ObjectUsage("pods", "")
	req, lim := api.PodTotals(&pod.Spec)
	for k, v := range req {
		u["requests."+k] = v
		if slices.Contains(legacyCompute, k) {
			u[k] = v
		}
	}
	for k, v := range lim {
		u["limits."+k] = v
	}
	return u
}

// Add adds b to a.
func Add(a, b api.ResourceList) {
	for k, v := range b {
		q := a[k]
		q.Add(v)
		a[k] = q
	}
}

// Exceeded returns, sorted, the resources of requested that hard limits
// and that used plus requested would exceed.
func Exceeded(hard, used, requested api.ResourceList) []api.ResourceName {
	var out []api.ResourceName
	for k, r := range requested {
		h, limited := hard[k]
		if !limited {
			continue
		}
		total := used[k]
		total.Add(r)
		if total.Cmp(h) > 0 {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Format prints l restricted to names as Kubernetes does in quota
// messages: name=value, comma-separated, sorted.
func Format(l api.ResourceList, names []api.ResourceName) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		q := l[n]
		parts = append(parts, fmt.Sprintf("%s=%s", n, q.String()))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// computeNames are the quota resources that oblige every container of a
// pod to state the matching request or limit.
var computeNames = map[api.ResourceName]struct {
	limit bool
	name  api.ResourceName
}{
	"cpu": {false, "cpu"}, "memory": {false, "memory"},
	"requests.cpu": {false, "cpu"}, "requests.memory": {false, "memory"},
	"limits.cpu": {true, "cpu"}, "limits.memory": {true, "memory"},
}

// Constraints checks that each container of pod states what a quota on
// hard needs it to (a quota on limits.cpu needs every container to have a
// cpu limit), as Kubernetes still requires: "must specify limits.cpu for:
// a,b".
func Constraints(hard api.ResourceList, pod *api.Pod) error {
	missing := map[api.ResourceName][]string{}
	for k := range hard {
		need, ok := computeNames[k]
		if !ok {
			continue
		}
		for _, cs := range [][]api.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
			for _, c := range cs {
				list := c.Resources.Requests
				if need.limit {
					list = c.Resources.Limits
				}
				if _, ok := list[need.name]; !ok && !slices.Contains(missing[k], c.Name) {
					missing[k] = append(missing[k], c.Name)
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var msgs []string
	for k, names := range missing {
		sort.Strings(names)
		msgs = append(msgs, fmt.Sprintf("%s for: %s", k, strings.Join(names, ",")))
	}
	sort.Strings(msgs)
	return fmt.Errorf("must specify %s", strings.Join(msgs, "; "))
}

// Matches reports whether quota q counts pod (nil: an object of another
// kind, which only quotas without scopes count).
func Matches(q *api.ResourceQuota, pod *api.Pod) bool {
	scoped := len(q.Spec.Scopes) > 0 || (q.Spec.ScopeSelector != nil && len(q.Spec.ScopeSelector.MatchExpressions) > 0)
	if !scoped {
		return true
	}
	if pod == nil {
		return false
	}
	for _, s := range q.Spec.Scopes {
		if !inScope(s, pod) {
			return false
		}
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for _, e := range sel.MatchExpressions {
			if !matchExpression(e, pod) {
				return false
			}
		}
	}
	return true
}

func inScope(scope string, pod *api.Pod) bool {
	switch scope {
	case "Terminating":
		return pod.Spec.ActiveDeadlineSeconds != nil
	case "NotTerminating":
		return pod.Spec.ActiveDeadlineSeconds == nil
	case "BestEffort":
		return api.ComputeQOSClass(&pod.Spec) == api.PodQOSBestEffort
	case "NotBestEffort":
		return api.ComputeQOSClass(&pod.Spec) != api.PodQOSBestEffort
	case "PriorityClass":
		return pod.Spec.PriorityClassName != ""
	}
	return false
}

func matchExpression(e api.ScopedResourceSelectorRequirement, pod *api.Pod) bool {
	switch e.Operator {
	case "Exists":
		return inScope(e.ScopeName, pod)
	case "DoesNotExist":
		return !inScope(e.ScopeName, pod)
	case "In":
		return e.ScopeName == "PriorityClass" && slices.Contains(e.Values, pod.Spec.PriorityClassName)
	case "NotIn":
		return e.ScopeName == "PriorityClass" && !slices.Contains(e.Values, pod.Spec.PriorityClassName)
	}
	return false
}
