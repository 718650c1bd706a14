package registry

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// secrets: core/v1 Secret. stringData is folded into data (base64) on
// every write and never stored; type defaults to Opaque, cannot change,
// and some types require keys; data holds at most 1 MiB; once immutable,
// data cannot change. Tables never show the values.
var secrets = &Resource{
	Version: "v1", Kind: "Secret", Name: "secrets", Singular: "secret", Namespaced: true,
	Schema: GoType[api.Secret](),
	Strategy: Strategy{
		Default:  defaultSecret,
		Validate: Typed(validateSecret),
	},
	Fields: map[string][]string{"type": {"type"}},
	Columns: []Column{
		{Name: "Type", Type: "string", Description: "The type of the secret.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "type") }},
		{Name: "Data", Type: "integer", Description: "The number of keys in the secret's data.",
			Cell: func(o map[string]any, _ time.Time) any { return len(mapAt(o, "data")) }},
	},
	Docs: map[string]string{
		"Secret":            "Secret holds a small amount of sensitive data, such as a password, a token or a key. The values in data must total less than 1 MiB.",
		"Secret.data":       "Data contains the secret data, base64-encoded. Each key must consist of alphanumeric characters, '-', '_' or '.'.",
		"Secret.stringData": "StringData allows specifying secret data in string form. It is write-only: its keys and values are merged into data on write, overwriting existing values, and it is never output when reading from the API.",
		"Secret.type":       "Type is used to facilitate programmatic handling of secret data: Opaque (the default), kubernetes.io/tls, kubernetes.io/basic-auth, kubernetes.io/dockerconfigjson, ... It cannot be changed.",
		"Secret.immutable":  "Immutable, if set to true, ensures that data cannot be updated (only object metadata can be modified). It cannot be set back to false.",
	},
}

func init() { register(secrets) }

// defaultSecret folds stringData into data, as Kubernetes' conversion does
// on every decode, and defaults type to Opaque. A stringData that is not
// a map of strings is left for decoding to refuse.
func defaultSecret(o Object) {
	if sd, ok := o["stringData"].(map[string]any); ok {
		data, isMap := o["data"].(map[string]any)
		if o["data"] == nil {
			data, isMap = map[string]any{}, true
		}
		strs := true
		for _, v := range sd {
			_, s := v.(string)
			strs = strs && s
		}
		if isMap && strs {
			for k, v := range sd {
				data[k] = base64.StdEncoding.EncodeToString([]byte(v.(string)))
			}
			o["data"] = data
			delete(o, "stringData")
		}
	}
	if t, isStr := o["type"].(string); o["type"] == nil || (isStr && t == "") {
		o["type"] = string(api.SecretTypeOpaque)
	}
}

// validateSecret checks a Secret as Kubernetes' ValidateSecret and
// ValidateSecretUpdate do.
func validateSecret(s, old *api.Secret) field.ErrorList {
	errs := validation.ValidateObjectMeta(&s.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	data := field.NewPath("data")
	size := 0
	for _, key := range slices.Sorted(maps.Keys(s.Data)) {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(data.Key(key), key, msg))
		}
		size += len(s.Data[key])
	}
	if size > api.MaxSecretSize {
		errs = append(errs, field.TooLong(data, api.MaxSecretSize))
	}
	require := func(keys ...string) {
		for _, k := range keys {
			if _, ok := s.Data[k]; !ok {
				errs = append(errs, field.Required(data.Key(k), ""))
			}
		}
	}
	requireJSON := func(key string) {
		if v, ok := s.Data[key]; ok && !json.Valid(v) {
			errs = append(errs, field.Invalid(data.Key(key), "<secret contents redacted>", "invalid JSON"))
		}
	}
	switch s.Type {
	case api.SecretTypeServiceAccountToken:
		if s.Annotations[api.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(api.ServiceAccountNameKey), ""))
		}
	case api.SecretTypeDockercfg:
		require(api.DockerConfigKey)
		requireJSON(api.DockerConfigKey)
	case api.SecretTypeDockerConfigJSON:
		require(api.DockerConfigJSONKey)
		requireJSON(api.DockerConfigJSONKey)
	case api.SecretTypeBasicAuth:
		_, user := s.Data[api.BasicAuthUsernameKey]
		_, pass := s.Data[api.BasicAuthPasswordKey]
		if !user && !pass {
			require(api.BasicAuthUsernameKey, api.BasicAuthPasswordKey)
		}
	case api.SecretTypeSSHAuth:
		require(api.SSHAuthPrivateKey)
	case api.SecretTypeTLS:
		require(api.TLSPrivateKeyKey, api.TLSCertKey)
	}
	if old == nil {
		return errs
	}
	errs = append(errs, validation.ValidateImmutableField(string(s.Type), string(old.Type), field.NewPath("type"))...)
	if isTrue(old.Immutable) {
		errs = append(errs, immutableErrors(s.Immutable)...)
		if !reflect.DeepEqual(s.Data, old.Data) {
			errs = append(errs, field.Forbidden(data, immutableMsg))
		}
	}
	return errs
}
