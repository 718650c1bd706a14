package validation

import (
	"fmt"
	"slices"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

var (
	metricSourceTypes = []string{api.ContainerResourceMetricSourceType, api.ExternalMetricSourceType,
		api.ObjectMetricSourceType, api.PodsMetricSourceType, api.ResourceMetricSourceType}
	metricTargetTypes = []string{api.AverageValueMetricType, api.UtilizationMetricType, api.ValueMetricType}
	selectPolicies    = []string{"Disabled", "Max", "Min"}
	scalingPolicies   = []string{"Percent", "Pods"}
)

// The bounds of an autoscaler's behavior, as Kubernetes has them.
const (
	maxPeriodSeconds              = 1800
	maxStabilizationWindowSeconds = 3600
)

// ValidateHorizontalPodAutoscaler checks an autoscaling/v2 autoscaler as
// Kubernetes' ValidateHorizontalPodAutoscaler does: a scale target with a
// kind and a name, 1 <= minReplicas <= maxReplicas, metrics whose type
// names the one source set, with a target of a known type, and behavior
// rules within Kubernetes' bounds.
func ValidateHorizontalPodAutoscaler(newObj, _ *api.HorizontalPodAutoscaler) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	errs = append(errs, validateScaleTargetRef(s.ScaleTargetRef, spec.Child("scaleTargetRef"))...)
	if s.MinReplicas != nil && *s.MinReplicas < 1 {
		errs = append(errs, field.Invalid(spec.Child("minReplicas"), *s.MinReplicas, "must be greater than or equal to 1"))
	}
	if s.MaxReplicas < 1 {
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), s.MaxReplicas, "must be greater than 0"))
	}
	if s.MinReplicas != nil && s.MaxReplicas < *s.MinReplicas {
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), s.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i := range s.Metrics {
		errs = append(errs, validateMetricSpec(&s.Metrics[i], spec.Child("metrics").Index(i))...)
	}
	if b := s.Behavior; b != nil {
		bp := spec.Child("behavior")
		errs = append(errs, validateScalingRules(b.ScaleUp, bp.Child("scaleUp"))...)
		errs = append(errs, validateScalingRules(b.ScaleDown, bp.Child("scaleDown"))...)
	}
	return errs
}

func validateScaleTargetRef(ref api.CrossVersionObjectReference, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ref.Kind == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range IsDNS1123Subdomain(ref.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return errs
}

func validateMetricSpec(m *api.MetricSpec, p *field.Path) field.ErrorList {
	if m.Type == "" {
		return field.ErrorList{field.Required(p.Child("type"), "must specify a metric source type")}
	}
	set := map[string]bool{
		api.ObjectMetricSourceType: m.Object != nil, api.PodsMetricSourceType: m.Pods != nil,
		api.ResourceMetricSourceType: m.Resource != nil, api.ContainerResourceMetricSourceType: m.ContainerResource != nil,
		api.ExternalMetricSourceType: m.External != nil,
	}
	known, ok := set[m.Type]
	if !ok {
		return field.ErrorList{field.NotSupported(p.Child("type"), m.Type, metricSourceTypes)}
	}
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n != 1 {
		return field.ErrorList{field.Forbidden(p, "must populate information for the given metric source")}
	}
	if !known {
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("must populate the given metric source only (%s)", m.Type))}
	}
	switch {
	case m.Object != nil:
		op := p.Child("object")
		errs := validateScaleTargetRef(m.Object.DescribedObject, op.Child("describedObject"))
		errs = append(errs, validateMetricIdentifier(m.Object.Metric, op.Child("metric"))...)
		return append(errs, validateMetricTarget(m.Object.Target, op.Child("target"))...)
	case m.Pods != nil:
		pp := p.Child("pods")
		errs := validateMetricIdentifier(m.Pods.Metric, pp.Child("metric"))
		return append(errs, validateMetricTarget(m.Pods.Target, pp.Child("target"))...)
	case m.Resource != nil:
		rp := p.Child("resource")
		var errs field.ErrorList
		if m.Resource.Name == "" {
			errs = append(errs, field.Required(rp.Child("name"), "must specify a resource name"))
		}
		return append(errs, validateMetricTarget(m.Resource.Target, rp.Child("target"))...)
	case m.ContainerResource != nil:
		cp := p.Child("containerResource")
		var errs field.ErrorList
		if m.ContainerResource.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), "must specify a resource name"))
		}
		if m.ContainerResource.Container == "" {
			errs = append(errs, field.Required(cp.Child("container"), "must specify a container"))
		}
		return append(errs, validateMetricTarget(m.ContainerResource.Target, cp.Child("target"))...)
	default:
		ep := p.Child("external")
		errs := validateMetricIdentifier(m.External.Metric, ep.Child("metric"))
		return append(errs, validateMetricTarget(m.External.Target, ep.Child("target"))...)
	}
}

func validateMetricIdentifier(id api.MetricIdentifier, p *field.Path) field.ErrorList {
	if id.Name == "" {
		return field.ErrorList{field.Required(p.Child("name"), "must specify a metric name")}
	}
	return nil
}

func validateMetricTarget(t api.MetricTarget, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if t.Type == "" {
		errs = append(errs, field.Required(p.Child("type"), "must specify a metric target type"))
	} else if !slices.Contains(metricTargetTypes, t.Type) {
		errs = append(errs, field.NotSupported(p.Child("type"), t.Type, metricTargetTypes))
	}
	if t.Value == nil && t.AverageValue == nil && t.AverageUtilization == nil {
		errs = append(errs, field.Required(p, "must set either a target raw value, a target average value, or a target utilization"))
	}
	if u := t.AverageUtilization; u != nil && *u < 1 {
		errs = append(errs, field.Invalid(p.Child("averageUtilization"), *u, "must be greater than 0"))
	}
	if v := t.Value; v != nil && v.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("value"), v.String(), "must be positive"))
	}
	if v := t.AverageValue; v != nil && v.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("averageValue"), v.String(), "must be positive"))
	}
	return errs
}

func validateScalingRules(r *api.HPAScalingRules, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > maxStabilizationWindowSeconds) {
		msg := fmt.Sprintf("must be less than or equal to %d", maxStabilizationWindowSeconds)
		if *w < 0 {
			msg = "must be greater than or equal to zero"
		}
		errs = append(errs, field.Invalid(p.Child("stabilizationWindowSeconds"), *w, msg))
	}
	if sp := r.SelectPolicy; sp != nil {
		errs = append(errs, validateEnum(*sp, selectPolicies, p.Child("selectPolicy"))...)
	}
	if len(r.Policies) == 0 && (r.SelectPolicy == nil || *r.SelectPolicy != "Disabled") {
		errs = append(errs, field.Required(p.Child("policies"), "must specify at least one Policy"))
	}
	for i, pol := range r.Policies {
		pp := p.Child("policies").Index(i)
		errs = append(errs, validateEnum(pol.Type, scalingPolicies, pp.Child("type"))...)
		if pol.Value <= 0 {
			errs = append(errs, field.Invalid(pp.Child("value"), pol.Value, "must be greater than zero"))
		}
		if pol.PeriodSeconds <= 0 {
			errs = append(errs, field.Invalid(pp.Child("periodSeconds"), pol.PeriodSeconds, "must be greater than zero"))
		} else if pol.PeriodSeconds > maxPeriodSeconds {
			errs = append(errs, field.Invalid(pp.Child("periodSeconds"), pol.PeriodSeconds, fmt.Sprintf("must be less than or equal to %d", maxPeriodSeconds)))
		}
	}
	return errs
}
