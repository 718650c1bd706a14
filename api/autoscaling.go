package api

// This file holds autoscaling/v2 HorizontalPodAutoscaler, the stored
// form, and its autoscaling/v1 form (HorizontalPodAutoscalerV1, which
// kubectl autoscale sends) with the conversions between the two; see
// autoscaling_convert.go.

// HorizontalPodAutoscaler scales a workload's replicas to meet metric
// targets (autoscaling/v2).
type HorizontalPodAutoscaler struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the target and the bounds.
	Spec HorizontalPodAutoscalerSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state, written by the autoscaler.
	Status HorizontalPodAutoscalerStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// HorizontalPodAutoscalerSpec is the desired behaviour of an autoscaler.
type HorizontalPodAutoscalerSpec struct {
	// ScaleTargetRef is the workload scaled (its scale subresource).
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef" protobuf:"bytes,1,opt,name=scaleTargetRef"`
	// MinReplicas is the lower bound (default 1).
	MinReplicas *int32 `json:"minReplicas,omitempty" protobuf:"varint,2,opt,name=minReplicas"`
	// MaxReplicas is the upper bound.
	MaxReplicas int32 `json:"maxReplicas" protobuf:"varint,3,opt,name=maxReplicas"`
	// Metrics are the targets (default: 80% average CPU utilization).
	Metrics []MetricSpec `json:"metrics,omitempty" protobuf:"bytes,4,rep,name=metrics"`
	// Behavior tunes scaling up and down.
	Behavior *HorizontalPodAutoscalerBehavior `json:"behavior,omitempty" protobuf:"bytes,5,opt,name=behavior"`
}

// CrossVersionObjectReference names the scaled object.
type CrossVersionObjectReference struct {
	// Kind of the referent.
	Kind string `json:"kind" protobuf:"bytes,1,opt,name=kind"`
	// Name of the referent.
	Name string `json:"name" protobuf:"bytes,2,opt,name=name"`
	// APIVersion of the referent.
	APIVersion string `json:"apiVersion,omitempty" protobuf:"bytes,3,opt,name=apiVersion"`
}

// Metric source types.
const (
	ObjectMetricSourceType            = "Object"
	PodsMetricSourceType              = "Pods"
	ResourceMetricSourceType          = "Resource"
	ContainerResourceMetricSourceType = "ContainerResource"
	ExternalMetricSourceType          = "External"
)

// Metric target types.
const (
	UtilizationMetricType  = "Utilization"
	ValueMetricType        = "Value"
	AverageValueMetricType = "AverageValue"
)

// MetricSpec is one metric target: Type says which source is set.
type MetricSpec struct {
	// Type: Object, Pods, Resource, ContainerResource or External.
	Type string `json:"type" protobuf:"bytes,1,name=type"`
	// Object is a metric of another object.
	Object *ObjectMetricSource `json:"object,omitempty" protobuf:"bytes,2,opt,name=object"`
	// Pods is a metric of each pod, averaged.
	Pods *PodsMetricSource `json:"pods,omitempty" protobuf:"bytes,3,opt,name=pods"`
	// Resource is a resource (cpu, memory) of the pods.
	Resource *ResourceMetricSource `json:"resource,omitempty" protobuf:"bytes,4,opt,name=resource"`
	// ContainerResource is a resource of one container of the pods.
	ContainerResource *ContainerResourceMetricSource `json:"containerResource,omitempty" protobuf:"bytes,7,opt,name=containerResource"`
	// External is a metric from outside the cluster.
	External *ExternalMetricSource `json:"external,omitempty" protobuf:"bytes,5,opt,name=external"`
}

// HorizontalPodAutoscalerBehavior tunes scaling in each direction.
type HorizontalPodAutoscalerBehavior struct {
	// ScaleUp rules (default: double or add 4 pods every 15 s, no window).
	ScaleUp *HPAScalingRules `json:"scaleUp,omitempty" protobuf:"bytes,1,opt,name=scaleUp"`
	// ScaleDown rules (default: remove up to all pods every 15 s, 300 s window).
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty" protobuf:"bytes,2,opt,name=scaleDown"`
}

// HPAScalingRules bound the changes in one direction.
type HPAScalingRules struct {
	// StabilizationWindowSeconds over which recommendations are considered.
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty" protobuf:"varint,3,opt,name=stabilizationWindowSeconds"`
	// SelectPolicy: Max (default), Min or Disabled.
	SelectPolicy *string `json:"selectPolicy,omitempty" protobuf:"bytes,1,opt,name=selectPolicy"`
	// Policies bound the change per period.
	Policies []HPAScalingPolicy `json:"policies,omitempty" protobuf:"bytes,2,rep,name=policies"`
	// Tolerance is the relative change of the metric that is ignored.
	Tolerance *Quantity `json:"tolerance,omitempty" protobuf:"bytes,4,opt,name=tolerance"`
}

// HPAScalingPolicy bounds a change per period.
type HPAScalingPolicy struct {
	// Type: Pods or Percent.
	Type string `json:"type" protobuf:"bytes,1,opt,name=type"`
	// Value is the number of pods or the percentage; above zero.
	Value int32 `json:"value" protobuf:"varint,2,opt,name=value"`
	// PeriodSeconds of the policy, 1 to 1800.
	PeriodSeconds int32 `json:"periodSeconds" protobuf:"varint,3,opt,name=periodSeconds"`
}

// ObjectMetricSource is a metric of an object.
type ObjectMetricSource struct {
	// DescribedObject is the object.
	DescribedObject CrossVersionObjectReference `json:"describedObject" protobuf:"bytes,1,name=describedObject"`
	// Target of the metric.
	Target MetricTarget `json:"target" protobuf:"bytes,2,name=target"`
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,3,name=metric"`
}

// PodsMetricSource is a metric of each pod.
type PodsMetricSource struct {
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,1,name=metric"`
	// Target of the metric (AverageValue).
	Target MetricTarget `json:"target" protobuf:"bytes,2,name=target"`
}

// ResourceMetricSource is a resource of the pods.
type ResourceMetricSource struct {
	// Name of the resource: cpu, memory.
	Name ResourceName `json:"name" protobuf:"bytes,1,name=name"`
	// Target of the resource.
	Target MetricTarget `json:"target" protobuf:"bytes,2,name=target"`
}

// ContainerResourceMetricSource is a resource of one container.
type ContainerResourceMetricSource struct {
	// Name of the resource.
	Name ResourceName `json:"name" protobuf:"bytes,1,name=name"`
	// Target of the resource.
	Target MetricTarget `json:"target" protobuf:"bytes,2,name=target"`
	// Container is the container's name.
	Container string `json:"container" protobuf:"bytes,3,opt,name=container"`
}

// ExternalMetricSource is a metric from outside the cluster.
type ExternalMetricSource struct {
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,1,name=metric"`
	// Target of the metric.
	Target MetricTarget `json:"target" protobuf:"bytes,2,name=target"`
}

// MetricIdentifier names a metric.
type MetricIdentifier struct {
	// Name of the metric.
	Name string `json:"name" protobuf:"bytes,1,name=name"`
	// Selector narrows the metric by labels.
	Selector *LabelSelector `json:"selector,omitempty" protobuf:"bytes,2,name=selector"`
}

// MetricTarget is a metric's target value.
type MetricTarget struct {
	// Type: Utilization, Value or AverageValue.
	Type string `json:"type" protobuf:"bytes,1,name=type"`
	// Value of the metric.
	Value *Quantity `json:"value,omitempty" protobuf:"bytes,2,opt,name=value"`
	// AverageValue of the metric over the pods.
	AverageValue *Quantity `json:"averageValue,omitempty" protobuf:"bytes,3,opt,name=averageValue"`
	// AverageUtilization is a percentage of the pods' requests.
	AverageUtilization *int32 `json:"averageUtilization,omitempty" protobuf:"bytes,4,opt,name=averageUtilization"`
}

// HorizontalPodAutoscalerStatus is the observed state of an autoscaler.
type HorizontalPodAutoscalerStatus struct {
	// ObservedGeneration is the generation the status describes.
	ObservedGeneration *int64 `json:"observedGeneration,omitempty" protobuf:"varint,1,opt,name=observedGeneration"`
	// LastScaleTime is when the autoscaler last scaled.
	LastScaleTime *Time `json:"lastScaleTime,omitempty" protobuf:"bytes,2,opt,name=lastScaleTime"`
	// CurrentReplicas is the number of replicas now.
	CurrentReplicas int32 `json:"currentReplicas,omitempty" protobuf:"varint,3,opt,name=currentReplicas"`
	// DesiredReplicas is the number of replicas wanted.
	DesiredReplicas int32 `json:"desiredReplicas" protobuf:"varint,4,opt,name=desiredReplicas"`
	// CurrentMetrics are the metrics' last readings.
	CurrentMetrics []MetricStatus `json:"currentMetrics,omitempty" protobuf:"bytes,5,rep,name=currentMetrics"`
	// Conditions: AbleToScale, ScalingActive, ScalingLimited.
	Conditions []HorizontalPodAutoscalerCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,6,rep,name=conditions"`
}

// HorizontalPodAutoscalerCondition is one aspect of an autoscaler's state.
type HorizontalPodAutoscalerCondition struct {
	// Type: AbleToScale, ScalingActive or ScalingLimited.
	Type string `json:"type" protobuf:"bytes,1,name=type"`
	// Status: True, False or Unknown.
	Status ConditionStatus `json:"status" protobuf:"bytes,2,name=status"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime Time `json:"lastTransitionTime,omitempty" protobuf:"bytes,3,opt,name=lastTransitionTime"`
	// Reason is a brief CamelCase reason for the last transition.
	Reason string `json:"reason,omitempty" protobuf:"bytes,4,opt,name=reason"`
	// Message is a human-readable explanation.
	Message string `json:"message,omitempty" protobuf:"bytes,5,opt,name=message"`
}

// MetricStatus is one metric's last reading.
type MetricStatus struct {
	// Type: Object, Pods, Resource, ContainerResource or External.
	Type string `json:"type" protobuf:"bytes,1,name=type"`
	// Object reading.
	Object *ObjectMetricStatus `json:"object,omitempty" protobuf:"bytes,2,opt,name=object"`
	// Pods reading.
	Pods *PodsMetricStatus `json:"pods,omitempty" protobuf:"bytes,3,opt,name=pods"`
	// Resource reading.
	Resource *ResourceMetricStatus `json:"resource,omitempty" protobuf:"bytes,4,opt,name=resource"`
	// ContainerResource reading.
	ContainerResource *ContainerResourceMetricStatus `json:"containerResource,omitempty" protobuf:"bytes,7,opt,name=containerResource"`
	// External reading.
	External *ExternalMetricStatus `json:"external,omitempty" protobuf:"bytes,5,opt,name=external"`
}

// ObjectMetricStatus is an object metric's reading.
type ObjectMetricStatus struct {
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,1,name=metric"`
	// Current value.
	Current MetricValueStatus `json:"current" protobuf:"bytes,2,name=current"`
	// DescribedObject is the object.
	DescribedObject CrossVersionObjectReference `json:"describedObject" protobuf:"bytes,3,name=describedObject"`
}

// PodsMetricStatus is a pods metric's reading.
type PodsMetricStatus struct {
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,1,name=metric"`
	// Current value.
	Current MetricValueStatus `json:"current" protobuf:"bytes,2,name=current"`
}

// ResourceMetricStatus is a resource's reading.
type ResourceMetricStatus struct {
	// Name of the resource.
	Name ResourceName `json:"name" protobuf:"bytes,1,name=name"`
	// Current value.
	Current MetricValueStatus `json:"current" protobuf:"bytes,2,name=current"`
}

// ContainerResourceMetricStatus is a container resource's reading.
type ContainerResourceMetricStatus struct {
	// Name of the resource.
	Name ResourceName `json:"name" protobuf:"bytes,1,name=name"`
	// Current value.
	Current MetricValueStatus `json:"current" protobuf:"bytes,2,name=current"`
	// Container is the container's name.
	Container string `json:"container" protobuf:"bytes,3,opt,name=container"`
}

// ExternalMetricStatus is an external metric's reading.
type ExternalMetricStatus struct {
	// Metric names the metric.
	Metric MetricIdentifier `json:"metric" protobuf:"bytes,1,name=metric"`
	// Current value.
	Current MetricValueStatus `json:"current" protobuf:"bytes,2,name=current"`
}

// MetricValueStatus is a reading.
type MetricValueStatus struct {
	// Value of the metric.
	Value *Quantity `json:"value,omitempty" protobuf:"bytes,1,opt,name=value"`
	// AverageValue over the pods.
	AverageValue *Quantity `json:"averageValue,omitempty" protobuf:"bytes,2,opt,name=averageValue"`
	// AverageUtilization as a percentage of the requests.
	AverageUtilization *int32 `json:"averageUtilization,omitempty" protobuf:"bytes,3,opt,name=averageUtilization"`
}

// HorizontalPodAutoscalerV1 is the autoscaling/v1 form of a
// HorizontalPodAutoscaler: one CPU utilization target. Kubernetes keeps
// what v1 cannot say in annotations (HPAV1*Annotation).
type HorizontalPodAutoscalerV1 struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the target and the bounds.
	Spec HorizontalPodAutoscalerSpecV1 `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state.
	Status HorizontalPodAutoscalerStatusV1 `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// HorizontalPodAutoscalerSpecV1 is autoscaling/v1's spec.
type HorizontalPodAutoscalerSpecV1 struct {
	// ScaleTargetRef is the workload scaled.
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef" protobuf:"bytes,1,opt,name=scaleTargetRef"`
	// MinReplicas is the lower bound (default 1).
	MinReplicas *int32 `json:"minReplicas,omitempty" protobuf:"varint,2,opt,name=minReplicas"`
	// MaxReplicas is the upper bound.
	MaxReplicas int32 `json:"maxReplicas" protobuf:"varint,3,opt,name=maxReplicas"`
	// TargetCPUUtilizationPercentage is the average CPU target.
	TargetCPUUtilizationPercentage *int32 `json:"targetCPUUtilizationPercentage,omitempty" protobuf:"varint,4,opt,name=targetCPUUtilizationPercentage"`
}

// HorizontalPodAutoscalerStatusV1 is autoscaling/v1's status.
type HorizontalPodAutoscalerStatusV1 struct {
	// ObservedGeneration is the generation the status describes.
	ObservedGeneration *int64 `json:"observedGeneration,omitempty" protobuf:"varint,1,opt,name=observedGeneration"`
	// LastScaleTime is when the autoscaler last scaled.
	LastScaleTime *Time `json:"lastScaleTime,omitempty" protobuf:"bytes,2,opt,name=lastScaleTime"`
	// CurrentReplicas is the number of replicas now.
	CurrentReplicas int32 `json:"currentReplicas" protobuf:"varint,3,opt,name=currentReplicas"`
	// DesiredReplicas is the number of replicas wanted.
	DesiredReplicas int32 `json:"desiredReplicas" protobuf:"varint,4,opt,name=desiredReplicas"`
	// CurrentCPUUtilizationPercentage is the last CPU reading.
	CurrentCPUUtilizationPercentage *int32 `json:"currentCPUUtilizationPercentage,omitempty" protobuf:"varint,5,opt,name=currentCPUUtilizationPercentage"`
}
