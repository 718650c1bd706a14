package registry

import (
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// persistentVolumes: core/v1 PersistentVolume, stored and validated;
// nothing binds or recycles volumes yet.
var persistentVolumes = &Resource{
	Version: "v1", Kind: "PersistentVolume", Name: "persistentvolumes", Singular: "persistentvolume",
	ShortNames: []string{"pv"}, Subresources: []string{"status"},
	Schema: GoType[api.PersistentVolume](),
	Strategy: Strategy{
		Default: func(o Object) {
			spec, ok := o["spec"].(map[string]any)
			if !ok {
				return
			}
			if spec["persistentVolumeReclaimPolicy"] == nil {
				spec["persistentVolumeReclaimPolicy"] = "Retain"
			}
			if spec["volumeMode"] == nil {
				spec["volumeMode"] = "Filesystem"
			}
		},
		PrepareForCreate: func(o Object) { o["status"] = map[string]any{"phase": "Pending"} },
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validatePV),
	},
	Columns: []Column{
		{Name: "Capacity", Type: "string", Description: "The size of the volume.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "capacity", "storage") }},
		{Name: "Access Modes", Type: "string", Description: "The access modes of the volume.",
			Cell: func(o map[string]any, _ time.Time) any { return accessModes(list(o, "spec", "accessModes")) }},
		{Name: "Reclaim Policy", Type: "string", Description: "What happens to the volume when its claim goes.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "persistentVolumeReclaimPolicy") }},
		{Name: "Status", Type: "string", Description: "The phase of the volume.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "phase") }},
		{Name: "Claim", Type: "string", Description: "The claim bound to the volume.",
			Cell: func(o map[string]any, _ time.Time) any {
				if n := str(o, "spec", "claimRef", "name"); n != "" {
					return str(o, "spec", "claimRef", "namespace") + "/" + n
				}
				return ""
			}},
		{Name: "StorageClass", Type: "string", Description: "The storage class of the volume.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "storageClassName") }},
		{Name: "VolumeAttributesClass", Type: "string", Description: "The volume attributes class of the volume.",
			Cell: func(o map[string]any, _ time.Time) any { return "<unset>" }},
		{Name: "Reason", Type: "string", Description: "Why the volume is in its phase.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "status", "reason") }},
		ageColumn,
		{Name: "VolumeMode", Type: "string", Priority: 1, Description: "Filesystem or Block.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "volumeMode") }},
	},
	Docs: map[string]string{
		"PersistentVolume": "PersistentVolume is a storage resource provisioned by an administrator (stored by minik8s; nothing binds or recycles volumes yet).",
	},
}

func init() { register(persistentVolumes) }

var reclaimPolicies = []string{"Delete", "Recycle", "Retain"}

// validatePV checks a volume as Kubernetes' ValidatePersistentVolume does,
// for the fields minik8s models.
func validatePV(pv, _ *api.PersistentVolume) field.ErrorList {
	errs := validation.ValidateObjectMeta(&pv.ObjectMeta, false, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	errs = append(errs, validateAccessModes(pv.Spec.AccessModes, spec.Child("accessModes"))...)
	if len(pv.Spec.Capacity) == 0 {
		errs = append(errs, field.Required(spec.Child("capacity"), ""))
	} else if _, ok := pv.Spec.Capacity[api.ResourceName("storage")]; !ok || len(pv.Spec.Capacity) > 1 {
		errs = append(errs, field.NotSupported(spec.Child("capacity"), pv.Spec.Capacity, []string{"storage"}))
	}
	errs = append(errs, validation.ValidateResourceList(pv.Spec.Capacity, spec.Child("capacity"))...)
	if p := pv.Spec.PersistentVolumeReclaimPolicy; p != "" && !slices.Contains(reclaimPolicies, p) {
		errs = append(errs, field.NotSupported(spec.Child("persistentVolumeReclaimPolicy"), p, reclaimPolicies))
	}
	sources := 0
	if src := pv.Spec.HostPath; src != nil {
		sources++
		if src.Path == "" {
			errs = append(errs, field.Required(spec.Child("hostPath", "path"), ""))
		}
	}
	if src := pv.Spec.Local; src != nil {
		sources++
		if src.Path == "" {
			errs = append(errs, field.Required(spec.Child("local", "path"), ""))
		}
	}
	switch {
	case sources == 0:
		errs = append(errs, field.Required(spec, "must specify a volume type"))
	case sources > 1:
		errs = append(errs, field.Forbidden(spec, "may not specify more than 1 volume type"))
	}
	return errs
}
