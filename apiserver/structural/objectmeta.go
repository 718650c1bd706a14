package structural

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

var (
	objectMetaType     = reflect.TypeOf(api.ObjectMeta{})
	ownerReferenceType = reflect.TypeOf(api.OwnerReference{})
)

// jsonNames lists the JSON field names of a struct type.
func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

var (
	objectMetaFields     = jsonNames(objectMetaType)
	ownerReferenceFields = jsonNames(ownerReferenceType)
)

// unknownMetaFields lists the fields of a metadata value that ObjectMeta
// does not have, as paths under prefix ("spec.template.metadata.foo").
func unknownMetaFields(prefix string, m map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		if !objectMetaFields[k] {
			out = append(out, prefix+"."+k)
			continue
		}
		if k == "ownerReferences" {
			refs, _ := m[k].([]any)
			for i, r := range refs {
				rm, _ := r.(map[string]any)
				for _, rk := range sortedKeys(rm) {
					if !ownerReferenceFields[rk] {
						out = append(out, fmt.Sprintf("%s.ownerReferences[%d].%s", prefix, i, rk))
					}
				}
			}
		}
	}
	return out
}

// decodeObjectMeta decodes a metadata value into ObjectMeta, as
// Kubernetes' JSON decoding does (unknown fields ignored).
func decodeObjectMeta(v any) (*api.ObjectMeta, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m api.ObjectMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// coerceObjectMeta reads the metadata of the resource at p as ObjectMeta
// and returns it as JSON again, without unknown fields and without a zero
// creationTimestamp, with the paths of the unknown fields. With drop, a
// field that does not decode is dropped; without, it is an error.
func coerceObjectMeta(p *field.Path, v any, drop bool) (map[string]any, []string, *field.Error) {
	mp := childPath(p, "metadata")
	m, isMap := v.(map[string]any)
	var unknown []string
	if isMap {
		unknown = unknownMetaFields(mp.String(), m)
	}
	meta, err := decodeObjectMeta(v)
	if err != nil {
		if !drop {
			return nil, nil, field.Invalid(mp, canonical(v), err.Error())
		}
		if !isMap {
			return nil, nil, field.Invalid(mp, canonical(v), fmt.Sprintf("invalid metadata: expected object, got %T", v))
		}
		// Keep each field that decodes on its own.
		good := map[string]any{}
		for k, e := range m {
			if _, err := decodeObjectMeta(map[string]any{k: e}); err == nil {
				good[k] = e
			}
		}
		if meta, err = decodeObjectMeta(good); err != nil {
			return nil, nil, field.Invalid(mp, canonical(v), err.Error())
		}
	}
	out, err := objectMetaJSON(meta)
	if err != nil {
		return nil, nil, field.Invalid(mp, canonical(v), err.Error())
	}
	return out, unknown, nil
}

// objectMetaJSON is ObjectMeta as a JSON map, numbers as json.Number.
func objectMetaJSON(m *api.ObjectMeta) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	if out["creationTimestamp"] == nil {
		delete(out, "creationTimestamp")
	}
	return out, nil
}

// validateEmbedded checks the apiVersion, kind and metadata of every
// embedded resource under x (with isRoot, not x's own: the root's metadata
// is the pipeline's).
func validateEmbedded(p *field.Path, x any, s *Schema, isRoot bool) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	switch x := x.(type) {
	case map[string]any:
		if s.EmbeddedResource && !isRoot {
			errs = append(errs, validateEmbeddedResource(p, x)...)
		}
		for _, k := range sortedKeys(x) {
			if ps, ok := s.Properties[k]; ok {
				errs = append(errs, validateEmbedded(childPath(p, k), x[k], ps, false)...)
			} else if s.AdditionalProperties != nil {
				errs = append(errs, validateEmbedded(p.Key(k), x[k], s.AdditionalProperties.Schema, false)...)
			}
		}
	case []any:
		for i, e := range x {
			errs = append(errs, validateEmbedded(p.Index(i), e, s.Items, false)...)
		}
	}
	return errs
}

func validateEmbeddedResource(p *field.Path, x map[string]any) field.ErrorList {
	var errs field.ErrorList
	if _, ok := x["apiVersion"]; !ok {
		errs = append(errs, field.Required(childPath(p, "apiVersion"), ""))
	}
	if _, ok := x["kind"]; !ok {
		errs = append(errs, field.Required(childPath(p, "kind"), ""))
	}
	for _, k := range sortedKeys(x) {
		v := x[k]
		switch k {
		case "apiVersion":
			av, ok := v.(string)
			switch {
			case !ok:
				errs = append(errs, field.Invalid(childPath(p, k), canonical(v), "must be a string"))
			case av == "":
				errs = append(errs, field.Invalid(childPath(p, k), av, "must not be empty"))
			case strings.Count(av, "/") > 1:
				errs = append(errs, field.Invalid(childPath(p, k), av, fmt.Sprintf("unexpected GroupVersion string: %v", av)))
			}
		case "kind":
			kind, ok := v.(string)
			switch {
			case !ok:
				errs = append(errs, field.Invalid(childPath(p, k), canonical(v), "must be a string"))
			case kind == "":
				errs = append(errs, field.Invalid(childPath(p, k), kind, "must not be empty"))
			default:
				if msgs := isDNS1035Label(strings.ToLower(kind)); len(msgs) > 0 {
					errs = append(errs, field.Invalid(childPath(p, k), kind, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
				}
			}
		case "metadata":
			meta, err := decodeObjectMeta(v)
			if err != nil {
				errs = append(errs, field.Invalid(childPath(p, k), canonical(v), err.Error()))
				continue
			}
			if meta.Name == "" {
				meta.Name = "fakename" // as Kubernetes: an embedded object may be nameless
			}
			errs = append(errs, validation.ValidateObjectMeta(meta, meta.Namespace != "", pathSegmentName, childPath(p, k))...)
		}
	}
	return errs
}

var dns1035LabelRe = regexp.MustCompile("^[a-z]([-a-z0-9]*[a-z0-9])?$")

// isDNS1035Label returns what is wrong with value as a DNS-1035 label,
// in Kubernetes' words.
func isDNS1035Label(value string) []string {
	var errs []string
	if len(value) > 63 {
		errs = append(errs, "must be no more than 63 characters")
	}
	if !dns1035LabelRe.MatchString(value) {
		errs = append(errs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
	}
	return errs
}

// pathSegmentName is Kubernetes' name rule for embedded objects: any name
// usable as a path segment.
func pathSegmentName(name string, prefix bool) []string {
	var errs []string
	if !prefix {
		switch name {
		case ".", "..":
			return []string{fmt.Sprintf("may not be '%s'", name)}
		}
	}
	for _, c := range []string{"/", "%"} {
		if strings.Contains(name, c) {
			errs = append(errs, fmt.Sprintf("may not contain '%s'", c))
		}
	}
	return errs
}
