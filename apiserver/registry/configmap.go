package registry

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// configMaps: core/v1 ConfigMap, configuration for pods. Keys are file
// names ([-._a-zA-Z0-9]+); data and binaryData together hold at most
// 1 MiB; once immutable, data and binaryData cannot change.
var configMaps = &Resource{
	Version: "v1", Kind: "ConfigMap", Name: "configmaps", Singular: "configmap", Namespaced: true,
	ShortNames: []string{"cm"},
	Schema:     GoType[api.ConfigMap](),
	Strategy:   Strategy{Validate: Typed(validateConfigMap)},
	Columns: []Column{
		{Name: "Data", Type: "integer", Description: "The number of keys in data and binaryData.",
			Cell: func(o map[string]any, _ time.Time) any {
				return len(mapAt(o, "data")) + len(mapAt(o, "binaryData"))
			}},
	},
	Docs: map[string]string{
		"ConfigMap":            "ConfigMap holds configuration data for pods to consume, as environment variables, command-line arguments or files in a volume.",
		"ConfigMap.data":       "Data contains the configuration data as UTF-8 strings. Each key must consist of alphanumeric characters, '-', '_' or '.'. Keys in data and binaryData must not overlap.",
		"ConfigMap.binaryData": "BinaryData contains binary data, base64-encoded in JSON. Each key must consist of alphanumeric characters, '-', '_' or '.'.",
		"ConfigMap.immutable":  "Immutable, if set to true, ensures that data and binaryData cannot be updated (only object metadata can be modified). It cannot be set back to false.",
	},
}

func init() { register(configMaps) }

// validateConfigMap checks a ConfigMap as Kubernetes' ValidateConfigMap
// and ValidateConfigMapUpdate do.
func validateConfigMap(cm, old *api.ConfigMap) field.ErrorList {
	errs := validation.ValidateObjectMeta(&cm.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	size := 0
	for _, key := range slices.Sorted(maps.Keys(cm.Data)) {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, msg))
		}
		if _, dup := cm.BinaryData[key]; dup {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, "duplicate of key present in binaryData"))
		}
		size += len(cm.Data[key])
	}
	for _, key := range slices.Sorted(maps.Keys(cm.BinaryData)) {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(key), key, msg))
		}
		size += len(cm.BinaryData[key])
	}
	if size > api.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath(""), api.MaxSecretSize))
	}
	if old != nil && isTrue(old.Immutable) {
		errs = append(errs, immutableErrors(cm.Immutable)...)
		if !reflect.DeepEqual(cm.Data, old.Data) {
			errs = append(errs, field.Forbidden(field.NewPath("data"), immutableMsg))
		}
		if !reflect.DeepEqual(cm.BinaryData, old.BinaryData) {
			errs = append(errs, field.Forbidden(field.NewPath("binaryData"), immutableMsg))
		}
	}
	return errs
}

// immutableMsg is Kubernetes' wording for a change to an immutable
// ConfigMap's or Secret's data.
const immutableMsg = "field is immutable when `immutable` is set"

// immutableErrors forbids setting immutable back to false.
func immutableErrors(immutable *bool) field.ErrorList {
	if isTrue(immutable) {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath("immutable"), immutableMsg)}
}

func isTrue(b *bool) bool { return b != nil && *b }
