package api

import (
	"encoding/json"
	"maps"
)

// The annotations in which an autoscaling/v1 HorizontalPodAutoscaler
// carries what its fields cannot say, named as Kubernetes names them.
// Conditions and behavior have the same JSON shape in Kubernetes; the
// metrics annotation holds minik8s's v2 MetricSpec list (Kubernetes
// writes its older v2beta1-like shape there), so it round-trips through
// minik8s only.
const (
	HPAV1MetricsAnnotation        = "autoscaling.alpha.kubernetes.io/metrics"
	HPAV1CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
	HPAV1ConditionsAnnotation     = "autoscaling.alpha.kubernetes.io/conditions"
	HPAV1BehaviorAnnotation       = "autoscaling.alpha.kubernetes.io/behavior"
)

// HPAToV1 converts a stored (v2) autoscaler to its autoscaling/v1 form: a
// Resource cpu Utilization metric becomes targetCPUUtilizationPercentage
// (and its reading currentCPUUtilizationPercentage); every other metric,
// the behavior and the conditions go to annotations. h is not changed.
func HPAToV1(h *HorizontalPodAutoscaler) *HorizontalPodAutoscalerV1 {
	out := &HorizontalPodAutoscalerV1{
		TypeMeta:   TypeMeta{APIVersion: "autoscaling/v1", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: DeepCopy(h.ObjectMeta),
		Spec: HorizontalPodAutoscalerSpecV1{
			ScaleTargetRef: h.Spec.ScaleTargetRef,
			MinReplicas:    h.Spec.MinReplicas,
			MaxReplicas:    h.Spec.MaxReplicas,
		},
		Status: HorizontalPodAutoscalerStatusV1{
			ObservedGeneration: h.Status.ObservedGeneration,
			LastScaleTime:      h.Status.LastScaleTime,
			CurrentReplicas:    h.Status.CurrentReplicas,
			DesiredReplicas:    h.Status.DesiredReplicas,
		},
	}
	var other []MetricSpec
	for _, m := range h.Spec.Metrics {
		if out.Spec.TargetCPUUtilizationPercentage == nil && isCPUUtilization(m) {
			out.Spec.TargetCPUUtilizationPercentage = m.Resource.Target.AverageUtilization
			continue
		}
		other = append(other, m)
	}
	var otherCurrent []MetricStatus
	for _, m := range h.Status.CurrentMetrics {
		if out.Status.CurrentCPUUtilizationPercentage == nil && m.Type == ResourceMetricSourceType &&
			m.Resource != nil && m.Resource.Name == ResourceCPU && m.Resource.Current.AverageUtilization != nil {
			out.Status.CurrentCPUUtilizationPercentage = m.Resource.Current.AverageUtilization
			continue
		}
		otherCurrent = append(otherCurrent, m)
	}
	setJSONAnnotation(&out.ObjectMeta, HPAV1MetricsAnnotation, other, len(other) > 0)
	setJSONAnnotation(&out.ObjectMeta, HPAV1CurrentMetricsAnnotation, otherCurrent, len(otherCurrent) > 0)
	setJSONAnnotation(&out.ObjectMeta, HPAV1ConditionsAnnotation, h.Status.Conditions, len(h.Status.Conditions) > 0)
	setJSONAnnotation(&out.ObjectMeta, HPAV1BehaviorAnnotation, h.Spec.Behavior, h.Spec.Behavior != nil)
	return out
}

// HPAFromV1 converts an autoscaling/v1 autoscaler to the stored (v2)
// form: targetCPUUtilizationPercentage becomes a Resource cpu Utilization
// metric placed first, and the annotations HPAToV1 writes are read back
// and removed. An annotation that is not valid JSON is left in place and
// ignored, as Kubernetes does. h is not changed.
func HPAFromV1(h *HorizontalPodAutoscalerV1) *HorizontalPodAutoscaler {
	out := &HorizontalPodAutoscaler{
		TypeMeta:   TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: DeepCopy(h.ObjectMeta),
		Spec: HorizontalPodAutoscalerSpec{
			ScaleTargetRef: h.Spec.ScaleTargetRef,
			MinReplicas:    h.Spec.MinReplicas,
			MaxReplicas:    h.Spec.MaxReplicas,
		},
		Status: HorizontalPodAutoscalerStatus{
			ObservedGeneration: h.Status.ObservedGeneration,
			LastScaleTime:      h.Status.LastScaleTime,
			CurrentReplicas:    h.Status.CurrentReplicas,
			DesiredReplicas:    h.Status.DesiredReplicas,
		},
	}
	if t := h.Spec.TargetCPUUtilizationPercentage; t != nil {
		out.Spec.Metrics = append(out.Spec.Metrics, MetricSpec{Type: ResourceMetricSourceType,
			Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: t}}})
	}
	if c := h.Status.CurrentCPUUtilizationPercentage; c != nil {
		out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, MetricStatus{Type: ResourceMetricSourceType,
			Resource: &ResourceMetricStatus{Name: ResourceCPU, Current: MetricValueStatus{AverageUtilization: c}}})
	}
	var metrics []MetricSpec
	if takeJSONAnnotation(&out.ObjectMeta, HPAV1MetricsAnnotation, &metrics) {
		out.Spec.Metrics = append(out.Spec.Metrics, metrics...)
	}
	var current []MetricStatus
	if takeJSONAnnotation(&out.ObjectMeta, HPAV1CurrentMetricsAnnotation, &current) {
		out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, current...)
	}
	var conds []HorizontalPodAutoscalerCondition
	if takeJSONAnnotation(&out.ObjectMeta, HPAV1ConditionsAnnotation, &conds) {
		out.Status.Conditions = conds
	}
	var behavior HorizontalPodAutoscalerBehavior
	if takeJSONAnnotation(&out.ObjectMeta, HPAV1BehaviorAnnotation, &behavior) {
		out.Spec.Behavior = &behavior
	}
	return out
}

// isCPUUtilization reports a Resource cpu metric with a Utilization target.
func isCPUUtilization(m MetricSpec) bool {
	return m.Type == ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == ResourceCPU &&
		m.Resource.Target.Type == UtilizationMetricType && m.Resource.Target.AverageUtilization != nil
}

// setJSONAnnotation sets annotation key to v as JSON when set, else
// removes it (a v1 client must not send back a stale one).
func setJSONAnnotation(m *ObjectMeta, key string, v any, set bool) {
	if !set {
		delete(m.Annotations, key)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return // the api types always marshal
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[key] = string(b)
}

// takeJSONAnnotation reads annotation key into v and removes it; false if
// it is absent or not valid JSON for v (it is then kept).
func takeJSONAnnotation(m *ObjectMeta, key string, v any) bool {
	s, ok := m.Annotations[key]
	if !ok || json.Unmarshal([]byte(s), v) != nil {
		return false
	}
	m.Annotations = maps.Clone(m.Annotations)
	delete(m.Annotations, key)
	if len(m.Annotations) == 0 {
		m.Annotations = nil
	}
	return true
}
