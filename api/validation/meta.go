package validation

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// standardFinalizers may be used without a domain prefix.
var standardFinalizers = []string{api.FinalizerKubernetes, api.FinalizerOrphan, api.FinalizerForeground, api.CRDCleanupFinalizer}

// ValidateObjectMeta checks the metadata of an object: name (with nameFn)
// or generateName, namespace (required iff namespaced), labels,
// annotations, owner references and finalizers.
func ValidateObjectMeta(m *api.ObjectMeta, namespaced bool, nameFn NameFunc, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.GenerateName != "" {
		for _, msg := range nameFn(m.GenerateName, true) {
			errs = append(errs, field.Invalid(p.Child("generateName"), m.GenerateName, msg))
		}
	}
	if m.Name == "" {
		if m.GenerateName == "" {
			errs = append(errs, field.Required(p.Child("name"), "name or generateName is required"))
		}
	} else {
		for _, msg := range nameFn(m.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), m.Name, msg))
		}
	}
	if namespaced {
		if m.Namespace == "" {
			errs = append(errs, field.Required(p.Child("namespace"), ""))
		} else {
			for _, msg := range IsDNS1123Label(m.Namespace) {
				errs = append(errs, field.Invalid(p.Child("namespace"), m.Namespace, msg))
			}
		}
	} else if m.Namespace != "" {
		errs = append(errs, field.Forbidden(p.Child("namespace"), "not allowed on this type"))
	}
	if m.Generation < 0 {
		errs = append(errs, field.Invalid(p.Child("generation"), m.Generation, isNegativeErrorMsg))
	}
	errs = append(errs, ValidateLabels(m.Labels, p.Child("labels"))...)
	errs = append(errs, ValidateAnnotations(m.Annotations, p.Child("annotations"))...)
	errs = append(errs, validateOwnerReferences(m.OwnerReferences, p.Child("ownerReferences"))...)
	for i, f := range m.Finalizers {
		errs = append(errs, validateFinalizerName(f, p.Child("finalizers").Index(i))...)
	}
	return errs
}

// ValidateLabels checks label keys (qualified names) and values. Both kinds
// of problem are reported at p itself, as Kubernetes does.
func ValidateLabels(labels map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p, k, msg))
		}
		for _, msg := range IsValidLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(p, labels[k], msg))
		}
	}
	return errs
}

// ValidateAnnotations checks annotation keys (qualified names, compared in
// lower case) and their total size.
func ValidateAnnotations(annotations map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for _, k := range sortedKeys(annotations) {
		for _, msg := range IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(p, k, msg))
		}
		size += len(k) + len(annotations[k])
	}
	if size > TotalAnnotationSizeLimitB {
		errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(),
			Detail: fmt.Sprintf("must have at most %d bytes", TotalAnnotationSizeLimitB)})
	}
	return errs
}

func validateOwnerReferences(refs []api.OwnerReference, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var controllers []string
	for i, r := range refs {
		ip := p.Index(i)
		if r.APIVersion == "" {
			errs = append(errs, field.Invalid(ip.Child("apiVersion"), r.APIVersion, "version must not be empty"))
		}
		if r.Kind == "" {
			errs = append(errs, field.Invalid(ip.Child("kind"), r.Kind, "kind must not be empty"))
		}
		if r.Name == "" {
			errs = append(errs, field.Invalid(ip.Child("name"), r.Name, "name must not be empty"))
		}
		if r.UID == "" {
			errs = append(errs, field.Invalid(ip.Child("uid"), r.UID, "uid must not be empty"))
		}
		if r.Controller != nil && *r.Controller {
			controllers = append(controllers, r.Kind+"/"+r.Name)
		}
	}
	if len(controllers) > 1 {
		errs = append(errs, field.Invalid(p, refs, fmt.Sprintf(
			"Only one reference can have Controller set to true. Found \"true\" in references for %s", strings.Join(controllers, " and "))))
	}
	return errs
}

func validateFinalizerName(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range IsQualifiedName(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(errs) == 0 && !strings.Contains(name, "/") && !slices.Contains(standardFinalizers, name) {
		errs = append(errs, field.Invalid(p, name, "name is neither a standard finalizer name nor is it fully qualified"))
	}
	return errs
}

// ValidateLabelSelector checks a label selector's keys, values and
// operators.
func ValidateLabelSelector(s *api.LabelSelector, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	for i, r := range s.MatchExpressions {
		ip := p.Child("matchExpressions").Index(i)
		switch r.Operator {
		case api.LabelSelectorOpIn, api.LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				errs = append(errs, field.Required(ip.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case api.LabelSelectorOpExists, api.LabelSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		default:
			errs = append(errs, field.Invalid(ip.Child("operator"), string(r.Operator), "not a valid selector operator"))
		}
		for _, msg := range IsQualifiedName(r.Key) {
			errs = append(errs, field.Invalid(ip.Child("key"), r.Key, msg))
		}
		for j, v := range r.Values {
			for _, msg := range IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(ip.Child("values").Index(j), v, msg))
			}
		}
	}
	errs = append(errs, ValidateLabels(s.MatchLabels, p.Child("matchLabels"))...)
	return errs
}

// ValidateImmutableField reports newVal at p as immutable unless it equals
// oldVal.
func ValidateImmutableField(newVal, oldVal any, p *field.Path) field.ErrorList {
	if reflect.DeepEqual(newVal, oldVal) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, newVal, fieldImmutableErrMsg)}
}

// ValidateNonnegativeField reports v at p if it is negative.
func ValidateNonnegativeField(v int64, p *field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, v, isNegativeErrorMsg)}
	}
	return nil
}

func notFound(p *field.Path, v any) *field.Error {
	return &field.Error{Type: field.ErrorTypeNotFound, Field: p.String(), BadValue: v}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
