package api

import "encoding/json"

// This file holds apiextensions.k8s.io/v1: the CustomResourceDefinition,
// which makes the API server serve a kind declared by a schema instead of
// a Go type.

// APIExtensionsGroup is the API group of CustomResourceDefinition.
const APIExtensionsGroup = "apiextensions.k8s.io"

// CRD condition types and the finalizer that holds a deleted CRD until its
// objects are gone, as Kubernetes names them.
const (
	CRDEstablished      = "Established"
	CRDNamesAccepted    = "NamesAccepted"
	CRDTerminating      = "Terminating"
	CRDCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"
)

// CustomResourceDefinition declares a custom kind: its names, scope,
// versions (each with a schema) and subresources.
type CustomResourceDefinition struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Spec describes how the kind is served.
	Spec CustomResourceDefinitionSpec `json:"spec"`
	// Status says whether the names were accepted and the kind is served.
	Status CustomResourceDefinitionStatus `json:"status,omitempty"`
}

// CustomResourceDefinitionSpec is the declaration of a custom kind.
type CustomResourceDefinitionSpec struct {
	// Group is the API group of the kind; the CRD's name is
	// <names.plural>.<group>.
	Group string `json:"group"`
	// Names are the kind's names.
	Names CustomResourceDefinitionNames `json:"names"`
	// Scope is Namespaced or Cluster.
	Scope string `json:"scope"`
	// Versions are the versions served; exactly one is the storage version.
	Versions []CustomResourceDefinitionVersion `json:"versions"`
	// Conversion says how objects change between versions; only None
	// (apiVersion alone changes) is served.
	Conversion *CustomResourceConversion `json:"conversion,omitempty"`
	// PreserveUnknownFields must be false in apiextensions.k8s.io/v1.
	PreserveUnknownFields bool `json:"preserveUnknownFields,omitempty"`
}

// CustomResourceDefinitionNames are the names of a custom kind.
type CustomResourceDefinitionNames struct {
	// Plural is the resource name in URLs: lower case, plural.
	Plural string `json:"plural"`
	// Singular is the lower-case singular name; defaults to the kind in lower case.
	Singular string `json:"singular,omitempty"`
	// ShortNames are the short names kubectl accepts.
	ShortNames []string `json:"shortNames,omitempty"`
	// Kind is the kind, CamelCase and singular.
	Kind string `json:"kind"`
	// ListKind is the kind of lists; defaults to <kind>List.
	ListKind string `json:"listKind,omitempty"`
	// Categories are the groups of resources the kind belongs to (all).
	Categories []string `json:"categories,omitempty"`
}

// CustomResourceDefinitionVersion is one served version of a custom kind.
type CustomResourceDefinitionVersion struct {
	// Name is the version: v1, v1beta1, ...
	Name string `json:"name"`
	// Served says whether the version is served.
	Served bool `json:"served"`
	// Storage marks the version objects are stored at; exactly one has it.
	Storage bool `json:"storage"`
	// Deprecated makes requests at this version get a warning.
	Deprecated bool `json:"deprecated,omitempty"`
	// DeprecationWarning overrides the default warning.
	DeprecationWarning *string `json:"deprecationWarning,omitempty"`
	// Schema is the version's structural schema.
	Schema *CustomResourceValidation `json:"schema,omitempty"`
	// Subresources are the version's status and scale subresources.
	Subresources *CustomResourceSubresources `json:"subresources,omitempty"`
	// AdditionalPrinterColumns are the table columns kubectl get shows.
	AdditionalPrinterColumns []CustomResourceColumnDefinition `json:"additionalPrinterColumns,omitempty"`
	// SelectableFields are the field selector keys beyond metadata.name
	// and metadata.namespace.
	SelectableFields []SelectableField `json:"selectableFields,omitempty"`
}

// CustomResourceValidation holds a version's schema.
type CustomResourceValidation struct {
	// OpenAPIV3Schema is the structural schema of the version's objects.
	OpenAPIV3Schema *JSONSchemaProps `json:"openAPIV3Schema,omitempty"`
}

// CustomResourceSubresources enables the status and scale subresources.
type CustomResourceSubresources struct {
	// Status enables /status: status changes only through it.
	Status *CustomResourceSubresourceStatus `json:"status,omitempty"`
	// Scale enables /scale.
	Scale *CustomResourceSubresourceScale `json:"scale,omitempty"`
}

// CustomResourceSubresourceStatus has no fields: its presence enables /status.
type CustomResourceSubresourceStatus struct{}

// CustomResourceSubresourceScale says where /scale reads and writes.
type CustomResourceSubresourceScale struct {
	// SpecReplicasPath is the JSON path of the desired replicas (.spec.replicas).
	SpecReplicasPath string `json:"specReplicasPath"`
	// StatusReplicasPath is the JSON path of the observed replicas (.status.replicas).
	StatusReplicasPath string `json:"statusReplicasPath"`
	// LabelSelectorPath is the JSON path of the serialized label selector.
	LabelSelectorPath *string `json:"labelSelectorPath,omitempty"`
}

// CustomResourceColumnDefinition is one table column.
type CustomResourceColumnDefinition struct {
	// Name is the column's header.
	Name string `json:"name"`
	// Type is integer, number, string, boolean or date.
	Type string `json:"type"`
	// Format qualifies the type (int32, int64, float, double, byte, date, date-time, password, name).
	Format string `json:"format,omitempty"`
	// Description is the column's help text.
	Description string `json:"description,omitempty"`
	// Priority above 0 shows the column only with -o wide.
	Priority int32 `json:"priority,omitempty"`
	// JSONPath is the simple JSON path of the cell's value in each object.
	JSONPath string `json:"jsonPath"`
}

// SelectableField is a field selector key, by its JSON path.
type SelectableField struct {
	// JSONPath is the simple JSON path of the field (.spec.color).
	JSONPath string `json:"jsonPath"`
}

// CustomResourceConversion says how objects convert between versions.
type CustomResourceConversion struct {
	// Strategy is None or Webhook.
	Strategy string `json:"strategy"`
	// Webhook configures a conversion webhook (not served by minik8s).
	Webhook json.RawMessage `json:"webhook,omitempty"`
}

// CustomResourceDefinitionStatus is what the API server reports on a CRD.
type CustomResourceDefinitionStatus struct {
	// Conditions: NamesAccepted, Established, Terminating.
	Conditions []CustomResourceDefinitionCondition `json:"conditions,omitempty"`
	// AcceptedNames are the names actually served.
	AcceptedNames CustomResourceDefinitionNames `json:"acceptedNames"`
	// StoredVersions are the versions objects have ever been stored at.
	StoredVersions []string `json:"storedVersions,omitempty"`
}

// CustomResourceDefinitionCondition is one condition of a CRD.
type CustomResourceDefinitionCondition struct {
	// Type of the condition.
	Type string `json:"type"`
	// Status is True, False or Unknown.
	Status ConditionStatus `json:"status"`
	// LastTransitionTime is when the status last changed.
	LastTransitionTime *Time `json:"lastTransitionTime,omitempty"`
	// Reason is a CamelCase word for the last transition.
	Reason string `json:"reason,omitempty"`
	// Message says why, for people.
	Message string `json:"message,omitempty"`
}

// JSONSchemaProps is a JSON schema (OpenAPI v3) as a CRD declares it. The
// fields whose JSON form varies (any value, or a schema or a boolean) are
// kept as raw JSON: package apiserver/structural reads the schema as a
// whole and checks it.
type JSONSchemaProps struct {
	ID                   string                     `json:"id,omitempty"`
	Schema               string                     `json:"$schema,omitempty"`
	Ref                  *string                    `json:"$ref,omitempty"`
	Description          string                     `json:"description,omitempty"`
	Type                 string                     `json:"type,omitempty"`
	Format               string                     `json:"format,omitempty"`
	Title                string                     `json:"title,omitempty"`
	Default              json.RawMessage            `json:"default,omitempty"`
	Maximum              *float64                   `json:"maximum,omitempty"`
	ExclusiveMaximum     bool                       `json:"exclusiveMaximum,omitempty"`
	Minimum              *float64                   `json:"minimum,omitempty"`
	ExclusiveMinimum     bool                       `json:"exclusiveMinimum,omitempty"`
	MaxLength            *int64                     `json:"maxLength,omitempty"`
	MinLength            *int64                     `json:"minLength,omitempty"`
	Pattern              string                     `json:"pattern,omitempty"`
	MaxItems             *int64                     `json:"maxItems,omitempty"`
	MinItems             *int64                     `json:"minItems,omitempty"`
	UniqueItems          bool                       `json:"uniqueItems,omitempty"`
	MultipleOf           *float64                   `json:"multipleOf,omitempty"`
	Enum                 []json.RawMessage          `json:"enum,omitempty"`
	MaxProperties        *int64                     `json:"maxProperties,omitempty"`
	MinProperties        *int64                     `json:"minProperties,omitempty"`
	Required             []string                   `json:"required,omitempty"`
	Items                *JSONSchemaProps           `json:"items,omitempty"`
	AllOf                []JSONSchemaProps          `json:"allOf,omitempty"`
	OneOf                []JSONSchemaProps          `json:"oneOf,omitempty"`
	AnyOf                []JSONSchemaProps          `json:"anyOf,omitempty"`
	Not                  *JSONSchemaProps           `json:"not,omitempty"`
	Properties           map[string]JSONSchemaProps `json:"properties,omitempty"`
	AdditionalProperties json.RawMessage            `json:"additionalProperties,omitempty"`
	PatternProperties    map[string]JSONSchemaProps `json:"patternProperties,omitempty"`
	Dependencies         json.RawMessage            `json:"dependencies,omitempty"`
	AdditionalItems      json.RawMessage            `json:"additionalItems,omitempty"`
	Definitions          map[string]JSONSchemaProps `json:"definitions,omitempty"`
	ExternalDocs         json.RawMessage            `json:"externalDocs,omitempty"`
	Example              json.RawMessage            `json:"example,omitempty"`
	Nullable             bool                       `json:"nullable,omitempty"`

	XPreserveUnknownFields *bool           `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	XEmbeddedResource      bool            `json:"x-kubernetes-embedded-resource,omitempty"`
	XIntOrString           bool            `json:"x-kubernetes-int-or-string,omitempty"`
	XListMapKeys           []string        `json:"x-kubernetes-list-map-keys,omitempty"`
	XListType              *string         `json:"x-kubernetes-list-type,omitempty"`
	XMapType               *string         `json:"x-kubernetes-map-type,omitempty"`
	XValidations           json.RawMessage `json:"x-kubernetes-validations,omitempty"`
}
