package validation

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

var unhealthyPodEvictionPolicies = []string{"AlwaysAllow", "IfHealthyBudget"}

// ValidatePodDisruptionBudget checks a PodDisruptionBudget as Kubernetes'
// ValidatePodDisruptionBudget does: at most one of minAvailable and
// maxUnavailable, each a count or a percentage of at most 100%, a valid
// selector, a known unhealthy pod eviction policy, and status counts not
// negative. Its spec may change.
func ValidatePodDisruptionBudget(newObj, _ *api.PodDisruptionBudget) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		errs = append(errs, field.Invalid(spec, s, "minAvailable and maxUnavailable cannot be both set"))
	}
	errs = append(errs, validateIntOrPercent(s.MinAvailable, spec.Child("minAvailable"))...)
	errs = append(errs, validateIntOrPercent(s.MaxUnavailable, spec.Child("maxUnavailable"))...)
	if s.Selector != nil {
		errs = append(errs, ValidateLabelSelector(s.Selector, spec.Child("selector"))...)
	}
	if p := s.UnhealthyPodEvictionPolicy; p != nil {
		errs = append(errs, validateEnum(*p, unhealthyPodEvictionPolicies, spec.Child("unhealthyPodEvictionPolicy"))...)
	}
	st, sp := &newObj.Status, field.NewPath("status")
	errs = append(errs, ValidateNonnegativeField(int64(st.DisruptionsAllowed), sp.Child("disruptionsAllowed"))...)
	errs = append(errs, ValidateNonnegativeField(int64(st.CurrentHealthy), sp.Child("currentHealthy"))...)
	errs = append(errs, ValidateNonnegativeField(int64(st.DesiredHealthy), sp.Child("desiredHealthy"))...)
	errs = append(errs, ValidateNonnegativeField(int64(st.ExpectedPods), sp.Child("expectedPods"))...)
	return errs
}
