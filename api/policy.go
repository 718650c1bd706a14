package api

// This file holds the policy kinds: PodDisruptionBudget and Eviction
// (policy/v1), and the core/v1 kinds that limit what a namespace uses:
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

// PodDisruptionBudget bounds how many of a set of pods voluntary
// disruptions (evictions, as kubectl drain makes) may take down at once
// (policy/v1).
type PodDisruptionBudget struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the budget.
	Spec PodDisruptionBudgetSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state, written by the disruption controller
	// and by evictions.
	Status PodDisruptionBudgetStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// PodDisruptionBudgetSpec is a budget: at most one of MinAvailable and
// MaxUnavailable.
type PodDisruptionBudgetSpec struct {
	// MinAvailable pods that must remain after an eviction: a number or a
	// percentage.
	MinAvailable *IntOrString `json:"minAvailable,omitempty" protobuf:"bytes,1,opt,name=minAvailable"`
	// Selector selects the pods of the budget; an empty selector selects
	// every pod of the namespace, a missing one none.
	Selector *LabelSelector `json:"selector,omitempty" patchStrategy:"replace" protobuf:"bytes,2,opt,name=selector"`
	// MaxUnavailable pods after an eviction: a number or a percentage.
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty" protobuf:"bytes,3,opt,name=maxUnavailable"`
	// UnhealthyPodEvictionPolicy: IfHealthyBudget (default) or AlwaysAllow.
	UnhealthyPodEvictionPolicy *string `json:"unhealthyPodEvictionPolicy,omitempty" protobuf:"bytes,4,opt,name=unhealthyPodEvictionPolicy"`
}

// PodDisruptionBudgetStatus is the observed state of a budget.
type PodDisruptionBudgetStatus struct {
	// ObservedGeneration is the generation the status describes.
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,1,opt,name=observedGeneration"`
	// DisruptedPods are pods the API server evicted that the controller
	// has not yet seen go, with the time of the eviction.
	DisruptedPods map[string]Time `json:"disruptedPods,omitempty" protobuf:"bytes,2,rep,name=disruptedPods"`
	// DisruptionsAllowed is the number of evictions allowed now.
	DisruptionsAllowed int32 `json:"disruptionsAllowed" protobuf:"varint,3,opt,name=disruptionsAllowed"`
	// CurrentHealthy is the number of healthy (ready) pods.
	CurrentHealthy int32 `json:"currentHealthy" protobuf:"varint,4,opt,name=currentHealthy"`
	// DesiredHealthy is the least number of healthy pods.
	DesiredHealthy int32 `json:"desiredHealthy" protobuf:"varint,5,opt,name=desiredHealthy"`
	// ExpectedPods is the number of pods the budget counts.
	ExpectedPods int32 `json:"expectedPods" protobuf:"varint,6,opt,name=expectedPods"`
	// Conditions: DisruptionAllowed.
	Conditions []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,7,rep,name=conditions"`
}

// The PodDisruptionBudget condition and its reasons.
const (
	DisruptionAllowedCondition = "DisruptionAllowed"
	// SufficientPodsReason: disruptions are allowed.
	SufficientPodsReason = "SufficientPods"
	// InsufficientPodsReason: the budget allows none.
	InsufficientPodsReason = "InsufficientPods"
	// SyncFailedReason: the controller could not compute the budget.
	SyncFailedReason = "SyncFailed"
)

// Eviction is the body of a POST to pods/{name}/eviction: delete the pod
// unless that breaks a PodDisruptionBudget (policy/v1).
type Eviction struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// DeleteOptions for the pod's deletion.
	DeleteOptions *DeleteOptions `json:"deleteOptions,omitempty" protobuf:"bytes,2,opt,name=deleteOptions"`
}
