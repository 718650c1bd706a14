package api

// This file holds the core/v1 kinds that limit what a namespace uses:
// ResourceQuota and LimitRange. minik8s stores and validates them; it does
// not enforce them yet.

// ResourceQuota caps the total resources of a namespace (core/v1).
type ResourceQuota struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec holds the hard limits.
	Spec ResourceQuotaSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status holds the enforced limits and what is used.
	Status ResourceQuotaStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// ResourceQuotaSpec is the desired quota.
type ResourceQuotaSpec struct {
	// Hard is the most of each named resource the namespace may use.
	Hard ResourceList `json:"hard,omitempty" protobuf:"bytes,1,rep,name=hard"`
	// Scopes restrict the quota to the objects they match.
	Scopes []string `json:"scopes,omitempty" protobuf:"bytes,2,rep,name=scopes"`
	// ScopeSelector restricts the quota by scope expressions.
	ScopeSelector *ScopeSelector `json:"scopeSelector,omitempty" protobuf:"bytes,3,opt,name=scopeSelector"`
}

// ScopeSelector selects the objects a quota tracks by scope.
type ScopeSelector struct {
	// MatchExpressions are ANDed.
	MatchExpressions []ScopedResourceSelectorRequirement `json:"matchExpressions,omitempty" protobuf:"bytes,1,rep,name=matchExpressions"`
}

// ScopedResourceSelectorRequirement is one scope expression.
type ScopedResourceSelectorRequirement struct {
	// ScopeName is the scope: Terminating, BestEffort, PriorityClass, ...
	ScopeName string `json:"scopeName" protobuf:"bytes,1,opt,name=scopeName"`
	// Operator: In, NotIn, Exists or DoesNotExist.
	Operator string `json:"operator" protobuf:"bytes,2,opt,name=operator"`
	// Values for In and NotIn.
	Values []string `json:"values,omitempty" protobuf:"bytes,3,rep,name=values"`
}

// ResourceQuotaStatus is the observed quota.
type ResourceQuotaStatus struct {
	// Hard is the enforced limit of each resource.
	Hard ResourceList `json:"hard,omitempty" protobuf:"bytes,1,rep,name=hard"`
	// Used is what the namespace uses of each resource.
	Used ResourceList `json:"used,omitempty" protobuf:"bytes,2,rep,name=used"`
}

// LimitRange bounds, and defaults, the resources of each pod, container
// or claim in a namespace (core/v1).
type LimitRange struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec holds the limits.
	Spec LimitRangeSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
}

// LimitRangeSpec lists the limits.
type LimitRangeSpec struct {
	// Limits are the limits, one item per type.
	Limits []LimitRangeItem `json:"limits" protobuf:"bytes,1,rep,name=limits"`
}

// LimitRangeItem bounds one type of object.
type LimitRangeItem struct {
	// Type: Pod, Container or PersistentVolumeClaim.
	Type string `json:"type" protobuf:"bytes,1,opt,name=type"`
	// Max is the most of each resource.
	Max ResourceList `json:"max,omitempty" protobuf:"bytes,2,rep,name=max"`
	// Min is the least of each resource.
	Min ResourceList `json:"min,omitempty" protobuf:"bytes,3,rep,name=min"`
	// Default is the default limit of each resource.
	Default ResourceList `json:"default,omitempty" protobuf:"bytes,4,rep,name=default"`
	// DefaultRequest is the default request of each resource.
	DefaultRequest ResourceList `json:"defaultRequest,omitempty" protobuf:"bytes,5,rep,name=defaultRequest"`
	// MaxLimitRequestRatio is the most a limit may exceed its request, as a ratio.
	MaxLimitRequestRatio ResourceList `json:"maxLimitRequestRatio,omitempty" protobuf:"bytes,6,rep,name=maxLimitRequestRatio"`
}
