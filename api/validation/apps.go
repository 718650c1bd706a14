package validation

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

var strategyTypes = []string{string(api.RecreateDeploymentStrategyType), string(api.RollingUpdateDeploymentStrategyType)}

// ValidateReplicaSet checks a ReplicaSet: replicas and minReadySeconds are
// not negative, the selector is set, non-empty and matches the template's
// labels, and the template is a valid pod that restarts Always. On update
// the selector is immutable.
func ValidateReplicaSet(newObj, oldObj *api.ReplicaSet) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	if s.Replicas != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.Replicas), spec.Child("replicas"))...)
	}
	errs = append(errs, ValidateNonnegativeField(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, validateSelectorAndTemplate(s.Selector, &s.Template, spec, "deployment")...)
	errs = append(errs, validateReplicaSetStatus(&newObj.Status, field.NewPath("status"))...)
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(s.Selector, oldObj.Spec.Selector, spec.Child("selector"))...)
	}
	return errs
}

// ValidateDeployment checks a Deployment: as ValidateReplicaSet, plus its
// strategy and history settings. On update the selector is immutable.
func ValidateDeployment(newObj, oldObj *api.Deployment) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	if s.Replicas != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.Replicas), spec.Child("replicas"))...)
	}
	errs = append(errs, validateSelectorAndTemplate(s.Selector, &s.Template, spec, "deployment")...)
	errs = append(errs, validateStrategy(&s.Strategy, spec.Child("strategy"))...)
	errs = append(errs, ValidateNonnegativeField(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.RevisionHistoryLimit), spec.Child("revisionHistoryLimit"))...)
	}
	if d := s.ProgressDeadlineSeconds; d != nil {
		pp := spec.Child("progressDeadlineSeconds")
		errs = append(errs, ValidateNonnegativeField(int64(*d), pp)...)
		if *d <= s.MinReadySeconds {
			errs = append(errs, field.Invalid(pp, *d, "must be greater than minReadySeconds"))
		}
	}
	errs = append(errs, validateDeploymentStatus(&newObj.Status, field.NewPath("status"))...)
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(s.Selector, oldObj.Spec.Selector, spec.Child("selector"))...)
	}
	return errs
}

// ValidateScale checks the body of a scale subresource request.
func ValidateScale(newObj, oldObj *api.Scale) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(errs, ValidateNonnegativeField(int64(newObj.Spec.Replicas), field.NewPath("spec", "replicas"))...)
}

// validateSelectorAndTemplate checks a workload's selector (set, not
// empty, matching the template's labels) and its template (a pod that
// restarts Always); kind names the workload in the message about an empty
// selector, as Kubernetes words it.
func validateSelectorAndTemplate(sel *api.LabelSelector, t *api.PodTemplateSpec, spec *field.Path, kind string) field.ErrorList {
	var errs field.ErrorList
	if sel == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, ValidateLabelSelector(sel, spec.Child("selector"))...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(spec.Child("selector"), sel, "empty selector is invalid for "+kind))
		}
	}
	tp := spec.Child("template")
	if sel != nil && len(sel.MatchLabels)+len(sel.MatchExpressions) > 0 {
		if ok, err := sel.Matches(t.Labels); err == nil && !ok {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, ValidatePodTemplateSpec(t, tp)...)
	if rp := t.Spec.RestartPolicy; rp != "" && rp != api.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), string(rp), []string{string(api.RestartPolicyAlways)}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(tp.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"))
	}
	return errs
}

func validateStrategy(s *api.DeploymentStrategy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case api.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(p.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case api.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			errs = append(errs, field.Required(p.Child("rollingUpdate"), "this should be defaulted and never be nil"))
		} else {
			errs = append(errs, validateRollingUpdate(s.RollingUpdate, p.Child("rollingUpdate"))...)
		}
	default:
		errs = append(errs, validateEnum(string(s.Type), strategyTypes, p.Child("type"))...)
	}
	return errs
}

func validateRollingUpdate(r *api.RollingUpdateDeployment, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateIntOrPercent(r.MaxUnavailable, p.Child("maxUnavailable"))...)
	errs = append(errs, validateIntOrPercent(r.MaxSurge, p.Child("maxSurge"))...)
	if isZero(r.MaxUnavailable) && isZero(r.MaxSurge) {
		errs = append(errs, field.Invalid(p.Child("maxUnavailable"), r.MaxUnavailable.String(), "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

// validateIntOrPercent checks a non-negative count or a percentage of at
// most 100%.
func validateIntOrPercent(v *api.IntOrString, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == api.IntOrStringInt {
		return ValidateNonnegativeField(int64(v.IntVal), p)
	}
	pct, err := v.ScaledValue(100, false)
	if err != nil || v.StrVal[0] == '-' || v.StrVal[0] == '+' {
		return field.ErrorList{field.Invalid(p, v.StrVal,
			"a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	}
	if pct > 100 {
		return field.ErrorList{field.Invalid(p, v.StrVal, "must not be greater than 100%")}
	}
	return nil
}

// isZero reports a nil value or one that is 0 or 0%.
func isZero(v *api.IntOrString) bool {
	if v == nil {
		return true
	}
	n, err := v.ScaledValue(100, false)
	return err == nil && n == 0
}

func validateReplicaSetStatus(s *api.ReplicaSetStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"replicas", int64(s.Replicas)},
		{"fullyLabeledReplicas", int64(s.FullyLabeledReplicas)},
		{"readyReplicas", int64(s.ReadyReplicas)},
		{"availableReplicas", int64(s.AvailableReplicas)},
		{"observedGeneration", s.ObservedGeneration},
	} {
		errs = append(errs, ValidateNonnegativeField(f.v, p.Child(f.name))...)
	}
	if s.FullyLabeledReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("fullyLabeledReplicas"), s.FullyLabeledReplicas, "cannot be greater than status.replicas"))
	}
	if s.ReadyReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), s.ReadyReplicas, "cannot be greater than status.replicas"))
	}
	if s.AvailableReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than status.replicas"))
	}
	if s.AvailableReplicas > s.ReadyReplicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than readyReplicas"))
	}
	return errs
}

func validateDeploymentStatus(s *api.DeploymentStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"observedGeneration", s.ObservedGeneration},
		{"replicas", int64(s.Replicas)},
		{"updatedReplicas", int64(s.UpdatedReplicas)},
		{"readyReplicas", int64(s.ReadyReplicas)},
		{"availableReplicas", int64(s.AvailableReplicas)},
		{"unavailableReplicas", int64(s.UnavailableReplicas)},
	} {
		errs = append(errs, ValidateNonnegativeField(f.v, p.Child(f.name))...)
	}
	if s.CollisionCount != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.CollisionCount), p.Child("collisionCount"))...)
	}
	if s.AvailableReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than status.replicas"))
	}
	if s.ReadyReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), s.ReadyReplicas, "cannot be greater than status.replicas"))
	}
	if s.AvailableReplicas > s.ReadyReplicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than readyReplicas"))
	}
	return errs
}
