package registry

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/theory/jsonpath"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// CompileSchema checks that a CRD version's openAPIV3Schema (decoded
// JSON) is structural and parses it (package structural); p names the
// schema in the CRD, for the errors, and status says whether the version
// serves /status (which restricts the schema's root).
func CompileSchema(m map[string]any, p *field.Path, status bool) (*structural.Schema, field.ErrorList) {
	s, errs, err := structural.New(m, p, structural.Options{StatusSubresource: status})
	if err != nil {
		// A keyword of the wrong JSON type.
		return nil, field.ErrorList{field.Invalid(p, "", err.Error())}
	}
	return s, errs
}

// hasDefaults reports whether s declares a default anywhere.
func hasDefaults(s *structural.Schema) bool {
	if s == nil {
		return false
	}
	if s.HasDefault {
		return true
	}
	for _, p := range s.Properties {
		if hasDefaults(p) {
			return true
		}
	}
	if s.AdditionalProperties != nil && hasDefaults(s.AdditionalProperties.Schema) {
		return true
	}
	return hasDefaults(s.Items)
}

// CustomResources builds the declarations a CRD makes: one per served
// version, all sharing the store's resource name and stored at the
// storage version (with conversion None). terminating reports whether the
// CRD is being deleted. It fails when a version's schema does not compile
// (validation rejects such a CRD, so a stored one only fails if the rules
// changed).
func CustomResources(crd *api.CustomResourceDefinition, terminating func() bool) ([]*Resource, error) {
	var storage *Resource
	var served []*Resource
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if !v.Served && !v.Storage {
			continue
		}
		r, err := customResource(crd, v, terminating)
		if err != nil {
			return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err)
		}
		if v.Storage {
			storage = r
		}
		if v.Served {
			served = append(served, r)
		}
	}
	if storage == nil {
		return nil, fmt.Errorf("CRD %s has no storage version", crd.Name)
	}
	for _, r := range served {
		r.Storage = storage
	}
	return served, nil
}

// customResource is the declaration of one version of a custom kind.
func customResource(crd *api.CustomResourceDefinition, v *api.CustomResourceDefinitionVersion, terminating func() bool) (*Resource, error) {
	names := crd.Spec.Names
	r := &Resource{
		Group: crd.Spec.Group, Version: v.Name, Kind: names.Kind, Name: names.Plural,
		Singular: names.Singular, Namespaced: crd.Spec.Scope == "Namespaced",
		ShortNames: names.ShortNames, Categories: names.Categories,
		Terminating: terminating,
	}
	if r.Singular == "" {
		r.Singular = strings.ToLower(names.Kind)
	}
	if v.Deprecated {
		r.Deprecation = crd.Spec.Group + "/" + v.Name + " " + names.Kind + " is deprecated"
		if v.DeprecationWarning != nil {
			r.Deprecation = *v.DeprecationWarning
		}
	}
	status := v.Subresources != nil && v.Subresources.Status != nil
	if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no schema")
	}
	m, err := schemaMap(v.Schema.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	schema, errs := CompileSchema(m, field.NewPath("spec", "versions").Key(v.Name).Child("schema", "openAPIV3Schema"), status)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	listKind := names.ListKind
	if listKind == "" {
		listKind = names.Kind + "List"
	}
	r.Schema = Schema{Structural: &Structural{Schema: schema, Defaults: hasDefaults(schema), ListKind: listKind}}
	if status {
		r.Subresources = append(r.Subresources, "status")
	}
	if v.Subresources != nil && v.Subresources.Scale != nil {
		sc := v.Subresources.Scale
		paths := &ScalePaths{}
		paths.SpecReplicas, _ = simplePath(sc.SpecReplicasPath)
		paths.StatusReplicas, _ = simplePath(sc.StatusReplicasPath)
		if sc.LabelSelectorPath != nil {
			paths.LabelSelector, _ = simplePath(*sc.LabelSelectorPath)
		}
		r.Scale = paths
		r.Subresources = append(r.Subresources, "scale")
	}
	r.Strategy = customStrategy(schema, status, r.Namespaced)
	for _, f := range v.SelectableFields {
		path, err := simplePath(f.JSONPath)
		if err != nil {
			return nil, err
		}
		if r.Fields == nil {
			r.Fields = map[string][]string{}
		}
		r.Fields[strings.TrimPrefix(f.JSONPath, ".")] = path
	}
	cols, err := printerColumns(v.AdditionalPrinterColumns)
	if err != nil {
		return nil, err
	}
	r.Columns = cols
	return r, nil
}

// customStrategy is what the pipeline does with custom resources, as
// Kubernetes' customResourceStrategy: with the status subresource, create
// drops the status sent and writes of the object keep it; generation
// counts every change but of metadata (and of status, with /status).
func customStrategy(schema *structural.Schema, status, namespaced bool) Strategy {
	s := Strategy{
		Validate: func(obj, old any) field.ErrorList {
			o := obj.(Object)
			var errs field.ErrorList
			meta, err := As[api.ObjectMeta](o["metadata"])
			if err != nil {
				return field.ErrorList{field.Invalid(field.NewPath("metadata"), "", err.Error())}
			}
			errs = append(errs, validation.ValidateObjectMeta(meta, namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
			// On update, with Kubernetes' ratcheting: what the write
			// leaves as it was is not held against it.
			if prev, ok := old.(Object); ok {
				errs = append(errs, schema.ValidateUpdate(o, prev)...)
			} else {
				errs = append(errs, schema.Validate(o)...)
			}
			return errs
		},
		// A /status write is held to the status schema alone (metadata
		// and spec are the current object's), as in Kubernetes.
		ValidateStatus: func(obj, old any) field.ErrorList {
			o := obj.(Object)
			if prev, ok := old.(Object); ok {
				return schema.ValidateStatusUpdate(o, prev)
			}
			return schema.ValidateStatus(o)
		},
		GenerationChanged: func(next, cur Object) bool {
			for k, v := range next {
				if k == "metadata" || status && k == "status" {
					continue
				}
				if !JSONEqual(v, cur[k]) {
					return true
				}
			}
			for k := range cur {
				if _, ok := next[k]; !ok && k != "metadata" && !(status && k == "status") {
					return true
				}
			}
			return false
		},
	}
	// What decoding a body does beyond the pruning the pipeline did
	// already: nulls, embedded resources' metadata, defaults. Metadata
	// that does not decode is left for validation to report.
	s.Default = func(o Object) { _, _ = schema.Decode(o, structural.DecodeOptions{}) }
	if status {
		s.PrepareForCreate = ResetStatus
		s.PrepareForUpdate = KeepStatus
	}
	return s
}

// JSONEqual compares two decoded JSON values by their encoding, so that a
// default written as an int equals the json.Number read back from the
// store.
func JSONEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// parseColumnPath parses a printer column's JSON path (".spec.replicas",
// ".status.conditions[?(@.type==\"Ready\")].status") as an RFC 9535
// query rooted at the object.
func parseColumnPath(p string) (*jsonpath.Path, error) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
		p = p[1 : len(p)-1]
	}
	if !strings.HasPrefix(p, ".") && !strings.HasPrefix(p, "[") {
		return nil, fmt.Errorf("%q does not start with . or [", p)
	}
	return jsonpath.Parse("$" + p)
}

// printerColumns turns a CRD version's additionalPrinterColumns into
// table columns: NAME, then the declared ones, or NAME and AGE when none
// is declared, as Kubernetes does.
func printerColumns(defs []api.CustomResourceColumnDefinition) ([]Column, error) {
	cols := []Column{nameColumn}
	if len(defs) == 0 {
		return append(cols, ageColumn), nil
	}
	for _, d := range defs {
		path, err := parseColumnPath(d.JSONPath)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.Name, err)
		}
		typ := d.Type
		cols = append(cols, Column{
			Name: d.Name, Type: typ, Format: d.Format, Description: d.Description, Priority: d.Priority,
			Cell: func(o map[string]any, now time.Time) any {
				return columnCell(typ, path.Select(o), now)
			},
		})
	}
	return cols, nil
}

// columnCell renders the values a column's path selected as Kubernetes'
// table convertor does: nothing is nil, a date is an age, several values
// are joined with commas, and a value of the wrong type is left out.
func columnCell(typ string, values []any, now time.Time) any {
	if len(values) == 0 {
		return nil
	}
	if len(values) == 1 {
		return cellValue(typ, values[0], now)
	}
	parts := make([]string, 0, len(values))
	for _, v := range values {
		if c := cellValue(typ, v, now); c != nil {
			parts = append(parts, fmt.Sprint(c))
		}
	}
	return strings.Join(parts, ",")
}

func cellValue(typ string, v any, now time.Time) any {
	switch typ {
	case "integer":
		if n, ok := toInt(v); ok {
			return n
		}
		return nil
	case "number":
		switch t := v.(type) {
		case json.Number:
			f, err := t.Float64()
			if err != nil {
				return nil
			}
			return f
		case float64:
			return t
		case int64:
			return float64(t)
		}
		return nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil
		}
		return b
	case "date":
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return since(s, now)
	}
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(b)
}
