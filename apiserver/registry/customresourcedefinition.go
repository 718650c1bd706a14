package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// customResourceDefinitions: apiextensions.k8s.io/v1
// CustomResourceDefinition. A new CRD gets the cleanup finalizer, so that
// deleting it first deletes its objects; its status (conditions, accepted
// names) is the API server's, written through /status. The kinds it
// declares are built by CustomResources.
var customResourceDefinitions = &Resource{
	Group: api.APIExtensionsGroup, Version: "v1", Kind: "CustomResourceDefinition",
	Name: "customresourcedefinitions", Singular: "customresourcedefinition",
	ShortNames: []string{"crd", "crds"}, Categories: []string{"api-extensions"},
	Subresources: []string{"status"},
	Schema:       GoType[api.CustomResourceDefinition](),
	Strategy: Strategy{
		Default: defaultCRD,
		PrepareForCreate: func(o Object) {
			ResetStatus(o)
			addFinalizer(o, api.CRDCleanupFinalizer)
		},
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validateCRD),
	},
	Columns:    createdAtColumns,
	GroupTypes: []string{"JSONSchemaProps", "SelectableField"},
	Docs: map[string]string{
		"CustomResourceDefinition":      "CustomResourceDefinition represents a resource that should be exposed on the API server.  Its name MUST be in the format <.spec.name>.<.spec.group>.",
		"CustomResourceDefinition.spec": "spec describes how the user wants the resources to appear",
		"JSONSchemaProps":               "JSONSchemaProps is a JSON-Schema following Specification Draft 4 (http://json-schema.org/).",
	},
}

func init() { register(customResourceDefinitions) }

// addFinalizer adds f to o's metadata.finalizers unless it is there.
func addFinalizer(o Object, f string) {
	meta, _ := o["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		o["metadata"] = meta
	}
	fs, _ := meta["finalizers"].([]any)
	for _, e := range fs {
		if e == f {
			return
		}
	}
	meta["finalizers"] = append(fs, f)
}

// defaultCRD fills in what Kubernetes defaults: the singular and list
// kind names and conversion None.
func defaultCRD(o Object) {
	spec, _ := o["spec"].(map[string]any)
	if spec == nil {
		return
	}
	if names, ok := spec["names"].(map[string]any); ok {
		kind, _ := names["kind"].(string)
		if s, _ := names["singular"].(string); s == "" && kind != "" {
			names["singular"] = strings.ToLower(kind)
		}
		if s, _ := names["listKind"].(string); s == "" && kind != "" {
			names["listKind"] = kind + "List"
		}
	}
	if _, ok := spec["conversion"]; !ok {
		spec["conversion"] = map[string]any{"strategy": "None"}
	}
}

// validateCRD checks a CRD as Kubernetes' ValidateCustomResourceDefinition
// does, with its messages; each version's schema is compiled (which checks
// that it is structural) by CompileSchema.
func validateCRD(crd, old *api.CustomResourceDefinition) field.ErrorList {
	errs := validation.ValidateObjectMeta(&crd.ObjectMeta, false, func(string, bool) []string { return nil }, field.NewPath("metadata"))
	spec, sp := &crd.Spec, field.NewPath("spec")
	if want := spec.Names.Plural + "." + spec.Group; crd.Name != want {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), crd.Name, "must be spec.names.plural+\".\"+spec.group"))
	}
	switch {
	case spec.Group == "":
		errs = append(errs, field.Required(sp.Child("group"), ""))
	case len(validation.IsDNS1123Subdomain(spec.Group)) > 0:
		for _, msg := range validation.IsDNS1123Subdomain(spec.Group) {
			errs = append(errs, field.Invalid(sp.Child("group"), spec.Group, msg))
		}
	case !strings.Contains(spec.Group, "."):
		errs = append(errs, field.Invalid(sp.Child("group"), spec.Group, "should be a domain with at least one dot"))
	}
	if spec.Scope != "Cluster" && spec.Scope != "Namespaced" {
		if spec.Scope == "" {
			errs = append(errs, field.Required(sp.Child("scope"), ""))
		} else {
			errs = append(errs, field.NotSupported(sp.Child("scope"), spec.Scope, []string{"Cluster", "Namespaced"}))
		}
	}
	errs = append(errs, validateCRDNames(&spec.Names, sp.Child("names"))...)
	if spec.PreserveUnknownFields {
		errs = append(errs, field.Invalid(sp.Child("preserveUnknownFields"), true,
			"cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"))
	}
	if c := spec.Conversion; c != nil && c.Strategy != "None" {
		errs = append(errs, field.NotSupported(sp.Child("conversion", "strategy"), c.Strategy, []string{"None"}))
	}
	errs = append(errs, validateCRDVersions(crd, sp.Child("versions"))...)
	if old != nil {
		if spec.Scope != old.Spec.Scope {
			errs = append(errs, field.Invalid(sp.Child("scope"), spec.Scope, "field is immutable"))
		}
	}
	return errs
}

func validateCRDNames(n *api.CustomResourceDefinitionNames, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	label := func(name, value string, required bool) {
		if value == "" {
			if required {
				errs = append(errs, field.Required(p.Child(name), ""))
			}
			return
		}
		for _, msg := range validation.IsDNS1035Label(value) {
			errs = append(errs, field.Invalid(p.Child(name), value, msg))
		}
	}
	label("plural", n.Plural, true)
	label("singular", n.Singular, false)
	for i, s := range n.ShortNames {
		for _, msg := range validation.IsDNS1035Label(s) {
			errs = append(errs, field.Invalid(p.Child("shortNames").Index(i), s, msg))
		}
	}
	for i, c := range n.Categories {
		for _, msg := range validation.IsDNS1035Label(c) {
			errs = append(errs, field.Invalid(p.Child("categories").Index(i), c, msg))
		}
	}
	kind := func(name, value string) {
		if value == "" {
			errs = append(errs, field.Required(p.Child(name), ""))
			return
		}
		for _, msg := range validation.IsDNS1035Label(strings.ToLower(value)) {
			errs = append(errs, field.Invalid(p.Child(name), value, msg))
		}
	}
	kind("kind", n.Kind)
	if n.ListKind != "" {
		kind("listKind", n.ListKind)
		if n.Kind == n.ListKind {
			errs = append(errs, field.Invalid(p.Child("listKind"), n.ListKind, "kind and listKind may not be the same"))
		}
	}
	return errs
}

// validateCRDVersions checks the versions: unique names, exactly one
// storage version, a structural schema for each, valid subresources,
// printer columns and selectable fields.
func validateCRDVersions(crd *api.CustomResourceDefinition, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	versions := crd.Spec.Versions
	if len(versions) == 0 {
		return field.ErrorList{field.Invalid(p, versions, "must have exactly one version marked as storage version")}
	}
	seen := map[string]bool{}
	storage, served := 0, 0
	for i, v := range versions {
		vp := p.Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(vp.Child("name"), ""))
		} else {
			for _, msg := range validation.IsDNS1035Label(v.Name) {
				errs = append(errs, field.Invalid(vp.Child("name"), v.Name, msg))
			}
		}
		if seen[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		seen[v.Name] = true
		if v.Storage {
			storage++
		}
		if v.Served {
			served++
		}
		errs = append(errs, validateCRDVersion(&v, vp)...)
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(p, versionNames(versions), "must have exactly one version marked as storage version"))
	}
	if served == 0 {
		errs = append(errs, field.Invalid(p, versionNames(versions), "must have at least one served version"))
	}
	return errs
}

func versionNames(vs []api.CustomResourceDefinitionVersion) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// printerColumnTypes are the types a printer column may have.
var printerColumnTypes = []string{"boolean", "date", "integer", "number", "string"}

func validateCRDVersion(v *api.CustomResourceDefinitionVersion, vp *field.Path) field.ErrorList {
	var errs field.ErrorList
	sp := vp.Child("schema", "openAPIV3Schema")
	if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		errs = append(errs, field.Required(sp, "schemas are required"))
	} else if m, err := schemaMap(v.Schema.OpenAPIV3Schema); err != nil {
		errs = append(errs, field.Invalid(sp, "", err.Error()))
	} else {
		_, serrs := CompileSchema(m, sp, v.Subresources != nil && v.Subresources.Status != nil)
		errs = append(errs, serrs...)
	}
	if sub := v.Subresources; sub != nil && sub.Scale != nil {
		scp := vp.Child("subresources", "scale")
		if _, err := simplePath(sub.Scale.SpecReplicasPath); err != nil || !strings.HasPrefix(sub.Scale.SpecReplicasPath, ".spec.") {
			errs = append(errs, field.Invalid(scp.Child("specReplicasPath"), sub.Scale.SpecReplicasPath, "should be a json path under .spec"))
		}
		if _, err := simplePath(sub.Scale.StatusReplicasPath); err != nil || !strings.HasPrefix(sub.Scale.StatusReplicasPath, ".status.") {
			errs = append(errs, field.Invalid(scp.Child("statusReplicasPath"), sub.Scale.StatusReplicasPath, "should be a json path under .status"))
		}
		if lp := sub.Scale.LabelSelectorPath; lp != nil {
			if _, err := simplePath(*lp); err != nil || !strings.HasPrefix(*lp, ".spec.") && !strings.HasPrefix(*lp, ".status.") {
				errs = append(errs, field.Invalid(scp.Child("labelSelectorPath"), *lp, "should be a json path under either .spec or .status"))
			}
		}
	}
	for i, c := range v.AdditionalPrinterColumns {
		cp := vp.Child("additionalPrinterColumns").Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		}
		if !slices.Contains(printerColumnTypes, c.Type) {
			errs = append(errs, field.NotSupported(cp.Child("type"), c.Type, printerColumnTypes))
		}
		if c.JSONPath == "" {
			errs = append(errs, field.Required(cp.Child("jsonPath"), ""))
		} else if _, err := parseColumnPath(c.JSONPath); err != nil {
			errs = append(errs, field.Invalid(cp.Child("jsonPath"), c.JSONPath, "must be a valid JSON Path"))
		}
	}
	if len(v.SelectableFields) > 8 {
		errs = append(errs, field.Invalid(vp.Child("selectableFields"), len(v.SelectableFields), "must have at most 8 items"))
	}
	seen := map[string]bool{}
	for i, f := range v.SelectableFields {
		fp := vp.Child("selectableFields").Index(i).Child("jsonPath")
		if _, err := simplePath(f.JSONPath); err != nil {
			errs = append(errs, field.Invalid(fp, f.JSONPath, "must be a simple json path"))
			continue
		}
		if strings.HasPrefix(f.JSONPath, ".metadata") {
			errs = append(errs, field.Invalid(fp, f.JSONPath, "must not select metadata"))
		}
		if seen[f.JSONPath] {
			errs = append(errs, field.Duplicate(fp, f.JSONPath))
		}
		seen[f.JSONPath] = true
	}
	return errs
}

// schemaMap turns a typed schema back into decoded JSON (numbers as
// json.Number), the form package structural reads.
func schemaMap(s *api.JSONSchemaProps) (map[string]any, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	v, err := (Schema{}).DecodeAs(b)
	if err != nil {
		return nil, err
	}
	return v.(Object), nil
}

// simplePath splits a simple JSON path, ".spec.replicas", into field
// names; anything else (indexes, filters, an empty name) is an error.
func simplePath(p string) ([]string, error) {
	if !strings.HasPrefix(p, ".") || len(p) < 2 {
		return nil, fmt.Errorf("%q is not a simple json path", p)
	}
	parts := strings.Split(p[1:], ".")
	for _, s := range parts {
		if s == "" || strings.ContainsAny(s, "[]()*@?$'\" ") {
			return nil, fmt.Errorf("%q is not a simple json path", p)
		}
	}
	return parts, nil
}
