package admission

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
)

// limitRangerAnnotation names what LimitRanger set on a pod.
const limitRangerAnnotation = "kubernetes.io/limit-ranger"

// LimitRanger is Kubernetes' LimitRanger for new pods, from the
// namespace's LimitRanges: Admit fills in the requests and limits a
// container leaves out (Container items' defaultRequest and default; a
// default limit is the item's max, and a default request its default
// limit, else its min, when not given) and says so in the
// kubernetes.io/limit-ranger annotation; Validate enforces min, max and
// maxLimitRequestRatio per Container and per Pod (the sum of its
// containers), refusing with Kubernetes' messages (403 `pods "p" is
// forbidden: maximum cpu usage per Container is 1, but limit is 2`).
// PersistentVolumeClaim items are not enforced.
type LimitRanger struct {
	LimitRanges *Cache
}

// Name implements Plugin.
func (LimitRanger) Name() string { return "LimitRanger" }

// items returns the namespace's limit range items, defaulted.
func (p LimitRanger) items(ctx context.Context, ns string) ([]api.LimitRangeItem, error) {
	recs, err := p.LimitRanges.List(ctx, ns)
	if err != nil {
		return nil, err
	}
	var items []api.LimitRangeItem
	for _, rec := range recs {
		var lr api.LimitRange
		if err := api.UnmarshalTrusted(rec.Value, &lr); err != nil {
			return nil, err
		}
		for _, it := range lr.Spec.Limits {
			items = append(items, defaultItem(it))
		}
	}
	return items, nil
}

// defaultItem applies Kubernetes' defaulting of a Container item.
func defaultItem(it api.LimitRangeItem) api.LimitRangeItem {
	if it.Type != "Container" {
		return it
	}
	def, req := api.ResourceList{}, api.ResourceList{}
	for k, v := range it.Default {
		def[k] = v
	}
	for k, v := range it.DefaultRequest {
		req[k] = v
	}
	for k, v := range it.Max {
		if _, ok := def[k]; !ok {
			def[k] = v
		}
	}
	for k, v := range def {
		if _, ok := req[k]; !ok {
			req[k] = v
		}
	}
	for k, v := range it.Min {
		if _, ok := req[k]; !ok {
			req[k] = v
		}
	}
	it.Default, it.DefaultRequest = def, req
	return it
}

// Admit implements Mutator.
func (p LimitRanger) Admit(ctx context.Context, a *Attributes) error {
	if a.Operation != Create || !isPod(a) {
		return nil
	}
	items, err := p.items(ctx, a.Namespace)
	if err != nil || len(items) == 0 {
		return err
	}
	defLimits, defRequests := api.ResourceList{}, api.ResourceList{}
	for _, it := range items {
		if it.Type == "Container" {
			for k, v := range it.DefaultRequest {
				defRequests[k] = v
			}
			for k, v := range it.Default {
				defLimits[k] = v
			}
		}
	}
	if len(defLimits) == 0 && len(defRequests) == 0 {
		return nil
	}
	spec := child(a.Object, "spec")
	var notes []string
	for _, kind := range []struct{ key, prefix string }{{"initContainers", "init container"}, {"containers", "container"}} {
		for _, c := range objects(spec, kind.key) {
			res := ensure(c, "resources")
			if res == nil {
				continue
			}
			setReq := fill(res, "requests", defRequests)
			setLim := fill(res, "limits", defLimits)
			if len(setReq) > 0 {
				notes = append(notes, strings.Join(setReq, ", ")+" request for "+kind.prefix+" "+str(c, "name"))
			}
			if len(setLim) > 0 {
				notes = append(notes, strings.Join(setLim, ", ")+" limit for "+kind.prefix+" "+str(c, "name"))
			}
		}
	}
	if len(notes) > 0 {
		if ann := ensure(ensure(a.Object, "metadata"), "annotations"); ann != nil {
			ann[limitRangerAnnotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
		}
	}
	return nil
}

// fill sets res[key][k] = v for each default the container lacks, and
// returns the names it set, sorted.
func fill(res map[string]any, key string, defaults api.ResourceList) []string {
	if len(defaults) == 0 {
		return nil
	}
	list := ensure(res, key)
	if list == nil {
		return nil
	}
	var set []string
	for k, v := range defaults {
		if _, ok := list[string(k)]; !ok {
			list[string(k)] = v.String()
			set = append(set, string(k))
		}
	}
	sort.Strings(set)
	return set
}

// Validate implements Validator.
func (p LimitRanger) Validate(ctx context.Context, a *Attributes) error {
	if a.Operation != Create || !isPod(a) {
		return nil
	}
	items, err := p.items(ctx, a.Namespace)
	if err != nil || len(items) == 0 {
		return err
	}
	spec, err := registry.As[api.PodSpec](a.Object["spec"])
	if err != nil {
		return nil // validation refuses it
	}
	var errs []string
	for _, it := range items {
		switch it.Type {
		case "Container":
			for _, cs := range [][]api.Container{spec.InitContainers, spec.Containers} {
				for _, c := range cs {
					errs = append(errs, constraints("Container", it, c.Resources.Requests, c.Resources.Limits)...)
				}
			}
		case "Pod":
			req, lim := api.PodTotals(spec)
			errs = append(errs, constraints("Pod", it, req, lim)...)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return Forbidden(a, fmt.Errorf("%s", errs[0]))
	default:
		return Forbidden(a, fmt.Errorf("[%s]", strings.Join(errs, ", ")))
	}
}

// constraints checks requests and limits against an item's min, max and
// maxLimitRequestRatio, in Kubernetes' words.
func constraints(limitType string, it api.LimitRangeItem, req, lim api.ResourceList) []string {
	var errs []string
	for _, k := range sortedNames(it.Min) {
		min := it.Min[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasReq:
			errs = append(errs, fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", k, limitType, min.String()))
		case r.Cmp(min) < 0:
			errs = append(errs, fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", k, limitType, min.String(), r.String()))
		case hasLim && l.Cmp(min) < 0:
			errs = append(errs, fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", k, limitType, min.String(), l.String()))
		}
	}
	for _, k := range sortedNames(it.Max) {
		max := it.Max[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasLim:
			errs = append(errs, fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", k, limitType, max.String()))
		case l.Cmp(max) > 0:
			errs = append(errs, fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", k, limitType, max.String(), l.String()))
		case hasReq && r.Cmp(max) > 0:
			errs = append(errs, fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", k, limitType, max.String(), r.String()))
		}
	}
	for _, k := range sortedNames(it.MaxLimitRequestRatio) {
		ratio := it.MaxLimitRequestRatio[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasReq || r.IsZero():
			errs = append(errs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", k, limitType, ratio.String()))
		case !hasLim || l.IsZero():
			errs = append(errs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", k, limitType, ratio.String()))
		default:
			observed := float64(l.MilliValue()) / float64(r.MilliValue())
			if observed*1000 > float64(ratio.MilliValue()) {
				errs = append(errs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but provided ratio is %f", k, limitType, ratio.String(), observed))
			}
		}
	}
	return errs
}

func sortedNames(l api.ResourceList) []api.ResourceName {
	names := make([]api.ResourceName, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}
