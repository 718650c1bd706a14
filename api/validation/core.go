package validation

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

var namespacePhases = []string{api.NamespaceActive, api.NamespaceTerminating}

// ValidateNamespace checks a namespace: its name is a DNS-1123 label and it
// has no namespace itself. oldObj is nil on create; namespaces have no
// update rules of their own.
func ValidateNamespace(newObj, oldObj *api.Namespace) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, false, NameIsDNSLabel, field.NewPath("metadata"))
	for i, f := range newObj.Spec.Finalizers {
		errs = append(errs, validateFinalizerName(f, field.NewPath("spec", "finalizers").Index(i))...)
	}
	if ph := newObj.Status.Phase; ph != "" && !slices.Contains(namespacePhases, ph) {
		errs = append(errs, field.NotSupported(field.NewPath("status", "phase"), ph, namespacePhases))
	}
	return errs
}

// ValidateNode checks a node. On update, spec.podCIDR(s) and
// spec.providerID may only go from unset to set.
func ValidateNode(newObj, oldObj *api.Node) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	errs = append(errs, validateTaints(newObj.Spec.Taints, spec.Child("taints"))...)
	if c := newObj.Spec.PodCIDR; c != "" {
		errs = append(errs, validateCIDR(c, spec.Child("podCIDR"))...)
	}
	cidrs := newObj.Spec.PodCIDRs
	for i, c := range cidrs {
		errs = append(errs, validateCIDR(c, spec.Child("podCIDRs").Index(i))...)
	}
	switch {
	case len(cidrs) > 2:
		errs = append(errs, field.Invalid(spec.Child("podCIDRs"), cidrs, "may specify no more than one CIDR for each IP family"))
	case len(cidrs) == 2 && sameFamily(cidrs[0], cidrs[1]):
		errs = append(errs, field.Invalid(spec.Child("podCIDRs"), cidrs, "may specify no more than one CIDR for each IP family"))
	}
	if newObj.Spec.PodCIDR != "" && len(cidrs) > 0 && cidrs[0] != newObj.Spec.PodCIDR {
		errs = append(errs, field.Invalid(spec.Child("podCIDRs").Index(0), cidrs[0], "must match `podCIDR`"))
	}
	st := field.NewPath("status")
	errs = append(errs, ValidateResourceList(newObj.Status.Capacity, st.Child("capacity"))...)
	errs = append(errs, ValidateResourceList(newObj.Status.Allocatable, st.Child("allocatable"))...)
	if oldObj == nil {
		return errs
	}
	const cidrMsg = "node updates may not change podCIDR except from \"\" to valid"
	if oldObj.Spec.PodCIDR != "" && newObj.Spec.PodCIDR != oldObj.Spec.PodCIDR {
		errs = append(errs, field.Forbidden(spec.Child("podCIDR"), cidrMsg))
	}
	if len(oldObj.Spec.PodCIDRs) > 0 && !slices.Equal(oldObj.Spec.PodCIDRs, cidrs) {
		errs = append(errs, field.Forbidden(spec.Child("podCIDRs"), cidrMsg))
	}
	if oldObj.Spec.ProviderID != "" && newObj.Spec.ProviderID != oldObj.Spec.ProviderID {
		errs = append(errs, field.Forbidden(spec.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return errs
}

func validateCIDR(c string, p *field.Path) field.ErrorList {
	if _, err := netip.ParsePrefix(c); err != nil {
		return field.ErrorList{field.Invalid(p, c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")}
	}
	return nil
}

func sameFamily(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	return errA == nil && errB == nil && pa.Addr().Is4() == pb.Addr().Is4()
}

func validateTaints(taints []api.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, t := range taints {
		ip := p.Index(i)
		for _, msg := range IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(ip.Child("key"), t.Key, msg))
		}
		for _, msg := range IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(ip.Child("value"), t.Value, msg))
		}
		errs = append(errs, validateEnum(string(t.Effect), taintEffects, ip.Child("effect"))...)
		k := t.Key + "\x00" + string(t.Effect)
		if seen[k] {
			d := field.Duplicate(ip, fmt.Sprintf("%s:%s", t.Key, t.Effect))
			d.Detail = "taints must be unique by key and effect pair"
			errs = append(errs, d)
		}
		seen[k] = true
	}
	return errs
}

// ValidateResourceList checks that quantities are not negative.
func ValidateResourceList(rl api.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedResourceNames(rl) {
		if q := rl[name]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Key(string(name)), q.String(), isNegativeErrorMsg))
		}
	}
	return errs
}

var eventTypes = []string{api.EventTypeNormal, api.EventTypeWarning}

// ValidateEvent checks a core/v1 event: its namespace matches the involved
// object's (events about cluster-scoped objects live in "default" or
// "kube-system"), its type is Normal or Warning, and an event with an
// eventTime names its reporting controller, action and reason. On update
// the involved object is immutable.
func ValidateEvent(newObj, oldObj *api.Event) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	ns, ins := newObj.Namespace, newObj.InvolvedObject.Namespace
	if (ins == "" && ns != "default" && ns != "kube-system") || (ins != "" && ins != ns) {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ins, "does not match event.namespace"))
	}
	if newObj.Type != "" && !slices.Contains(eventTypes, newObj.Type) {
		errs = append(errs, field.NotSupported(field.NewPath("type"), newObj.Type, eventTypes))
	}
	if len(newObj.Reason) > 128 {
		errs = append(errs, field.Invalid(field.NewPath("reason"), newObj.Reason, "can have at most 128 characters"))
	}
	if !newObj.EventTime.IsZero() {
		for _, f := range []struct{ name, v string }{
			{"reportingController", newObj.ReportingController},
			{"action", newObj.Action},
			{"reason", newObj.Reason},
		} {
			if f.v == "" {
				errs = append(errs, field.Required(field.NewPath(f.name), ""))
			}
		}
	}
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(newObj.InvolvedObject, oldObj.InvolvedObject, field.NewPath("involvedObject"))...)
	}
	return errs
}

// ValidateEventV1 validates an event written through events.k8s.io/v1.
// As in Kubernetes, the event is validated in its stored (core/v1) form,
// so errors name core/v1's fields; a create through this API must also
// say when, who and what (eventTime, reportingController and
// reportingInstance, action, reason, a type) and leave core/v1's own
// fields unset.
func ValidateEventV1(newObj, oldObj *api.EventV1) field.ErrorList {
	n := api.EventFromV1(newObj)
	if oldObj != nil {
		return ValidateEvent(n, api.EventFromV1(oldObj))
	}
	errs := ValidateEvent(n, nil)
	if n.EventTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("eventTime"), ""))
	}
	if n.ReportingInstance == "" {
		errs = append(errs, field.Required(field.NewPath("reportingInstance"), ""))
	} else if len(n.ReportingInstance) > 128 {
		errs = append(errs, field.Invalid(field.NewPath("reportingInstance"), n.ReportingInstance, "can have at most 128 characters"))
	}
	if n.Type == "" {
		errs = append(errs, field.Required(field.NewPath("type"), ""))
	}
	if !n.FirstTimestamp.IsZero() {
		errs = append(errs, field.Invalid(field.NewPath("firstTimestamp"), "", "needs to be unset"))
	}
	if !n.LastTimestamp.IsZero() {
		errs = append(errs, field.Invalid(field.NewPath("lastTimestamp"), "", "needs to be unset"))
	}
	if n.Count != 0 {
		errs = append(errs, field.Invalid(field.NewPath("count"), "", "needs to be unset"))
	}
	if n.Source != (api.EventSource{}) {
		errs = append(errs, field.Invalid(field.NewPath("source"), "", "needs to be unset"))
	}
	return errs
}
