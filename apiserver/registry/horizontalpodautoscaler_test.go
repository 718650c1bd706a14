package registry

import (
	"encoding/json"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// TestHPAV1Strategy checks that autoscaling/v1 applies v2's rules to the
// converted object: defaults, the status kept on an update even when the
// client drops the annotations that carry it, a generation counted on a
// change only v2 can say, and the conversions both ways through the
// declarations.
func TestHPAV1Strategy(t *testing.T) {
	v1, ok := Lookup("autoscaling", "v1", "horizontalpodautoscalers")
	if !ok || v1.StorageResource() != horizontalPodAutoscalers {
		t.Fatalf("autoscaling/v1 not served from v2: %v", v1)
	}
	if r, _ := ByKind("HorizontalPodAutoscaler"); r != horizontalPodAutoscalers {
		t.Fatalf("ByKind finds %s, want the preferred v2", r.GroupVersion())
	}

	o := obj(t, `{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
		"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3}}`)
	v1.PrepareForCreate(o)
	if b, _ := json.Marshal(o["spec"]); string(b) != `{"maxReplicas":3,"minReplicas":1,"scaleTargetRef":{"kind":"Deployment","name":"web"},"targetCPUUtilizationPercentage":80}` {
		t.Errorf("v1 defaults: %s", b)
	}

	stored := obj(t, `{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
		"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":3,
			"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]},
		"status":{"currentReplicas":2,"desiredReplicas":2,
			"conditions":[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`)
	cur := DeepCopy(stored).(Object)
	if err := v1.ConvertTo(cur); err != nil {
		t.Fatal(err)
	}
	if cur["apiVersion"] != "autoscaling/v1" || value(cur, "spec", "targetCPUUtilizationPercentage") != json.Number("50") ||
		str(cur, "metadata", "annotations", api.HPAV1ConditionsAnnotation) == "" {
		t.Fatalf("v2 → v1: %v", cur)
	}
	// The client drops the annotations and the status, and asks for a
	// behavior through the v1 annotation.
	next := DeepCopy(cur).(Object)
	next["metadata"] = map[string]any{"name": "web", "annotations": map[string]any{
		api.HPAV1BehaviorAnnotation: `{"scaleDown":{"stabilizationWindowSeconds":60}}`}}
	delete(next, "status")
	v1.PrepareForUpdate(next, cur)
	if !v1.GenerationChanged(next, cur) {
		t.Error("a behavior set at v1 does not count as a spec change")
	}
	if err := horizontalPodAutoscalers.ConvertTo(next); err != nil {
		t.Fatal(err)
	}
	if next["apiVersion"] != "autoscaling/v2" || len(list(next, "status", "conditions")) != 1 || num(next, "status", "currentReplicas") != int64(2) ||
		value(next, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds") == nil || len(mapAt(next, "metadata", "annotations")) != 0 {
		t.Errorf("v1 update as stored: %v", next)
	}

	if errs := v1.Validate(&api.HorizontalPodAutoscalerV1{ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec: api.HorizontalPodAutoscalerSpecV1{ScaleTargetRef: api.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}, MaxReplicas: 0}}, nil); len(errs) == 0 {
		t.Error("maxReplicas 0 accepted at v1")
	}
}
