package validation

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// ValidateLease checks a Lease: leaseDurationSeconds, when set, is positive
// and leaseTransitions is not negative. Leases have no update rules.
func ValidateLease(newObj, oldObj *api.Lease) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if d := newObj.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseDurationSeconds"), *d, isNotPositiveMsg))
	}
	if t := newObj.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseTransitions"), *t, isNegativeErrorMsg))
	}
	return errs
}
