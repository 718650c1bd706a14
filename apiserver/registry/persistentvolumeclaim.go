package registry

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// persistentVolumeClaims: core/v1 PersistentVolumeClaim, stored and
// validated; nothing binds claims yet, so they stay Pending. After
// create only the storage requested may change (and an empty volumeName
// may be set).
var persistentVolumeClaims = &Resource{
	Version: "v1", Kind: "PersistentVolumeClaim", Name: "persistentvolumeclaims", Singular: "persistentvolumeclaim",
	Namespaced: true, ShortNames: []string{"pvc"}, Subresources: []string{"status"},
	Schema: GoType[api.PersistentVolumeClaim](),
	Strategy: Strategy{
		Default: func(o Object) {
			if spec, ok := o["spec"].(map[string]any); ok && spec["volumeMode"] == nil {
				spec["volumeMode"] = "Filesystem"
			}
		},
		PrepareForCreate: func(o Object) { o["status"] = map[string]any{"phase": "Pending"} },
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validatePVC),
	},
	Columns: []Column{
		{Name: "Status", Type: "string", Description: "The phase of the claim.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "phase") }},
		{Name: "Volume", Type: "string", Description: "The volume bound to the claim.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "volumeName") }},
		{Name: "Capacity", Type: "string", Description: "The capacity of the bound volume.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "capacity", "storage") }},
		{Name: "Access Modes", Type: "string", Description: "The access modes of the bound volume.",
			Cell: func(o map[string]any, _ time.Time) any { return accessModes(list(o, "status", "accessModes")) }},
		{Name: "StorageClass", Type: "string", Description: "The storage class of the claim.",
			Cell: func(o map[string]any, _ time.Time) any { return orUnset(value(o, "spec", "storageClassName")) }},
		{Name: "VolumeAttributesClass", Type: "string", Description: "The volume attributes class of the claim.",
			Cell: func(o map[string]any, _ time.Time) any { return "<unset>" }},
		ageColumn,
		{Name: "VolumeMode", Type: "string", Priority: 1, Description: "Filesystem or Block.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "volumeMode") }},
	},
	Docs: map[string]string{
		"PersistentVolumeClaim":                 "PersistentVolumeClaim is a user's request for and claim to a persistent volume (stored by minik8s; nothing provisions or binds volumes yet).",
		"PersistentVolumeClaimSpec.accessModes": "AccessModes are the desired access modes: ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.",
		"PersistentVolumeClaimSpec.resources":   "Resources holds requests.storage, the minimum size the volume must have.",
	},
}

func init() { register(persistentVolumeClaims) }

var volumeAccessModes = []string{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"}

// validatePVC checks a claim as Kubernetes' ValidatePersistentVolumeClaim
// and its update do, for the fields minik8s models.
func validatePVC(pvc, old *api.PersistentVolumeClaim) field.ErrorList {
	errs := validation.ValidateObjectMeta(&pvc.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	errs = append(errs, validateAccessModes(pvc.Spec.AccessModes, spec.Child("accessModes"))...)
	if pvc.Spec.Selector != nil {
		errs = append(errs, validation.ValidateLabelSelector(pvc.Spec.Selector, spec.Child("selector"))...)
	}
	storage, ok := pvc.Spec.Resources.Requests[api.ResourceName("storage")]
	if !ok {
		errs = append(errs, field.Required(spec.Child("resources").Key("storage"), ""))
	} else if storage.Sign() <= 0 {
		errs = append(errs, field.Invalid(spec.Child("resources", "requests").Key("storage"), storage.String(), "must be greater than zero"))
	}
	if m := pvc.Spec.VolumeMode; m != nil && *m != "Filesystem" && *m != "Block" {
		errs = append(errs, field.NotSupported(spec.Child("volumeMode"), *m, []string{"Block", "Filesystem"}))
	}
	if old == nil {
		return errs
	}
	next, prev := pvc.Spec, old.Spec
	next.Resources.Requests, prev.Resources.Requests = nil, nil
	if prev.VolumeName == "" {
		next.VolumeName = ""
	}
	if !reflect.DeepEqual(next, prev) {
		errs = append(errs, field.Forbidden(spec, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	return errs
}

func validateAccessModes(modes []string, p *field.Path) field.ErrorList {
	if len(modes) == 0 {
		return field.ErrorList{field.Required(p, "at least 1 access mode is required")}
	}
	var errs field.ErrorList
	for _, m := range modes {
		if !slices.Contains(volumeAccessModes, m) {
			errs = append(errs, field.NotSupported(p, m, volumeAccessModes))
		}
	}
	return errs
}

// accessModes abbreviates access modes as kubectl prints them: RWO,ROX.
func accessModes(modes []any) string {
	short := map[string]string{"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
	var out []string
	for _, m := range modes {
		if s, ok := short[m.(string)]; ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// orUnset is a string value, or "<unset>" when it is absent.
func orUnset(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "<unset>"
}
