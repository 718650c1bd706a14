package api

import (
	"reflect"
	"testing"
)

func int32p(v int32) *int32 { return &v }

func TestHPAV1RoundTrip(t *testing.T) {
	mem := MustParse("500Mi")
	tests := []struct {
		name string
		v2   HorizontalPodAutoscaler
	}{
		{"cpu only", HorizontalPodAutoscaler{
			ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
			Spec: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"},
				MinReplicas:    int32p(1), MaxReplicas: 5,
				Metrics: []MetricSpec{{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{
					Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: int32p(80)}}}},
			},
			Status: HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3,
				CurrentMetrics: []MetricStatus{{Type: ResourceMetricSourceType, Resource: &ResourceMetricStatus{
					Name: ResourceCPU, Current: MetricValueStatus{AverageUtilization: int32p(95)}}}}},
		}},
		{"memory, behavior and conditions in annotations", HorizontalPodAutoscaler{
			ObjectMeta: ObjectMeta{Name: "web", Annotations: map[string]string{"keep": "me"}},
			Spec: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: CrossVersionObjectReference{Kind: "StatefulSet", Name: "db"},
				MaxReplicas:    3,
				Metrics: []MetricSpec{
					{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{
						Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: int32p(50)}}},
					{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{
						Name: ResourceMemory, Target: MetricTarget{Type: AverageValueMetricType, AverageValue: &mem}}},
				},
				Behavior: &HorizontalPodAutoscalerBehavior{ScaleDown: &HPAScalingRules{StabilizationWindowSeconds: int32p(60)}},
			},
			Status: HorizontalPodAutoscalerStatus{Conditions: []HorizontalPodAutoscalerCondition{
				{Type: "AbleToScale", Status: ConditionTrue, Reason: "ReadyForNewScale"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1 := HPAToV1(&tt.v2)
			if got := v1.Spec.TargetCPUUtilizationPercentage; got == nil || *got != *tt.v2.Spec.Metrics[0].Resource.Target.AverageUtilization {
				t.Errorf("targetCPUUtilizationPercentage = %v", got)
			}
			back := HPAFromV1(v1)
			back.TypeMeta = tt.v2.TypeMeta
			if !reflect.DeepEqual(DeepCopy(*back), DeepCopy(tt.v2)) {
				t.Errorf("round trip:\n got %+v\nwant %+v", *back, tt.v2)
			}
		})
	}
}

func TestHPAToV1Annotations(t *testing.T) {
	mem := MustParse("1Gi")
	h := &HorizontalPodAutoscaler{Spec: HorizontalPodAutoscalerSpec{MaxReplicas: 2, Metrics: []MetricSpec{
		{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{
			Name: ResourceMemory, Target: MetricTarget{Type: AverageValueMetricType, AverageValue: &mem}}}}}}
	v1 := HPAToV1(h)
	if v1.Spec.TargetCPUUtilizationPercentage != nil {
		t.Errorf("no cpu metric, but targetCPUUtilizationPercentage = %d", *v1.Spec.TargetCPUUtilizationPercentage)
	}
	want := `[{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"1Gi"}}}]`
	if got := v1.Annotations[HPAV1MetricsAnnotation]; got != want {
		t.Errorf("metrics annotation = %s, want %s", got, want)
	}
	if h.Annotations != nil {
		t.Errorf("HPAToV1 changed its argument: %v", h.Annotations)
	}
}

func TestHPAFromV1BadAnnotation(t *testing.T) {
	v1 := &HorizontalPodAutoscalerV1{ObjectMeta: ObjectMeta{Annotations: map[string]string{HPAV1BehaviorAnnotation: "{not json"}},
		Spec: HorizontalPodAutoscalerSpecV1{MaxReplicas: 1}}
	v2 := HPAFromV1(v1)
	if v2.Spec.Behavior != nil || v2.Annotations[HPAV1BehaviorAnnotation] != "{not json" {
		t.Errorf("bad annotation: behavior %+v, annotations %v; want it kept and ignored", v2.Spec.Behavior, v2.Annotations)
	}
	if len(v2.Spec.Metrics) != 0 {
		t.Errorf("no target: metrics = %+v", v2.Spec.Metrics)
	}
}
