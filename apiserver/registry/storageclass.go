package registry

import (
	"reflect"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// storageClasses: storage.k8s.io/v1 StorageClass, stored and validated.
// Its provisioner, parameters, reclaim policy and binding mode cannot
// change. The class annotated storageclass.kubernetes.io/is-default-class
// shows "(default)" after its name.
var storageClasses = &Resource{
	Group: "storage.k8s.io", Version: "v1", Kind: "StorageClass", Name: "storageclasses", Singular: "storageclass",
	ShortNames: []string{"sc"},
	Schema:     GoType[api.StorageClass](),
	Strategy: Strategy{
		Default: func(o Object) {
			if o["reclaimPolicy"] == nil {
				o["reclaimPolicy"] = "Delete"
			}
			if o["volumeBindingMode"] == nil {
				o["volumeBindingMode"] = "Immediate"
			}
		},
		Validate: Typed(validateStorageClass),
	},
	Columns: []Column{
		{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique.",
			Cell: func(o map[string]any, _ time.Time) any {
				name := str(o, "metadata", "name")
				if a := str(o, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class"); a == "true" {
					name += " (default)"
				}
				return name
			}},
		{Name: "Provisioner", Type: "string", Description: "The volume plugin that provisions volumes of the class.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "provisioner") }},
		{Name: "ReclaimPolicy", Type: "string", Description: "What happens to a provisioned volume when its claim goes.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "reclaimPolicy") }},
		{Name: "VolumeBindingMode", Type: "string", Description: "When volumes are bound: Immediate or WaitForFirstConsumer.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "volumeBindingMode") }},
		{Name: "AllowVolumeExpansion", Type: "string", Description: "Whether claims of the class may grow.",
			Cell: func(o map[string]any, _ time.Time) any { b, _ := value(o, "allowVolumeExpansion").(bool); return b }},
		ageColumn,
	},
	Docs: map[string]string{
		"StorageClass":             "StorageClass describes the parameters for a class of storage for which PersistentVolumes can be dynamically provisioned (stored by minik8s; nothing provisions volumes yet).",
		"StorageClass.provisioner": "Provisioner indicates the type of the provisioner.",
	},
}

func init() { register(storageClasses) }

// validateStorageClass checks a class as Kubernetes'
// ValidateStorageClass and ValidateStorageClassUpdate do.
func validateStorageClass(sc, old *api.StorageClass) field.ErrorList {
	errs := validation.ValidateObjectMeta(&sc.ObjectMeta, false, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if sc.Provisioner == "" {
		errs = append(errs, field.Required(field.NewPath("provisioner"), ""))
	} else {
		for _, msg := range validation.IsQualifiedName(sc.Provisioner) {
			errs = append(errs, field.Invalid(field.NewPath("provisioner"), sc.Provisioner, msg))
		}
	}
	if p := sc.ReclaimPolicy; p != nil && *p != "Delete" && *p != "Retain" {
		errs = append(errs, field.NotSupported(field.NewPath("reclaimPolicy"), *p, []string{"Delete", "Retain"}))
	}
	modes := []string{"Immediate", "WaitForFirstConsumer"}
	if m := sc.VolumeBindingMode; m != nil && !slices.Contains(modes, *m) {
		errs = append(errs, field.NotSupported(field.NewPath("volumeBindingMode"), *m, modes))
	}
	if old == nil {
		return errs
	}
	if !reflect.DeepEqual(sc.Parameters, old.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if sc.Provisioner != old.Provisioner {
		errs = append(errs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !reflect.DeepEqual(sc.ReclaimPolicy, old.ReclaimPolicy) {
		errs = append(errs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	var mode, oldMode string
	if sc.VolumeBindingMode != nil {
		mode = *sc.VolumeBindingMode
	}
	if old.VolumeBindingMode != nil {
		oldMode = *old.VolumeBindingMode
	}
	errs = append(errs, validation.ValidateImmutableField(mode, oldMode, field.NewPath("volumeBindingMode"))...)
	return errs
}
