package api

import (
	"testing"
	"time"
)

func TestControllerRef(t *testing.T) {
	owner := ObjectMeta{Name: "web", UID: "u1"}
	other := ObjectMeta{Name: "web", UID: "u2"}
	pod := ObjectMeta{OwnerReferences: []OwnerReference{{Kind: "X", UID: "u2"}, *NewControllerRef(owner, "apps/v1", "ReplicaSet")}}
	ref := GetControllerOf(&pod)
	if ref == nil || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || ref.Name != "web" || !*ref.BlockOwnerDeletion {
		t.Fatalf("GetControllerOf = %+v", ref)
	}
	if !IsControlledBy(&pod, &owner) || IsControlledBy(&pod, &other) {
		t.Error("IsControlledBy disagrees with the controller reference")
	}
	if GetControllerOf(&ObjectMeta{OwnerReferences: []OwnerReference{{UID: "u1"}}}) != nil {
		t.Error("a non-controller reference counts as controller")
	}
	a, b := NewControllerRef(owner, "apps/v1", "ReplicaSet"), NewControllerRef(other, "apps/v1", "ReplicaSet")
	for _, tc := range []struct {
		x, y *OwnerReference
		want bool
	}{{nil, nil, true}, {a, nil, false}, {nil, a, false}, {a, ref, true}, {a, b, false}} {
		if got := SameController(tc.x, tc.y); got != tc.want {
			t.Errorf("SameController(%v, %v) = %v", tc.x, tc.y, got)
		}
	}
}

func TestSetPodCondition(t *testing.T) {
	t0 := NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := NewTime(t0.Add(time.Minute))
	var st PodStatus
	if !SetPodCondition(&st, PodCondition{Type: PodReady, Status: ConditionFalse, LastTransitionTime: t0}) {
		t.Error("adding a condition reports no change")
	}
	if SetPodCondition(&st, PodCondition{Type: PodReady, Status: ConditionFalse, LastTransitionTime: t1}) {
		t.Error("same status reports a change")
	}
	if c := GetPodCondition(&st, PodReady); !c.LastTransitionTime.Equal(t0.Time) {
		t.Errorf("transition time moved to %v without a transition", c.LastTransitionTime)
	}
	if !SetPodCondition(&st, PodCondition{Type: PodReady, Status: ConditionTrue, LastTransitionTime: t1}) {
		t.Error("status change reports no change")
	}
	if len(st.Conditions) != 1 || !IsPodReady(&Pod{Status: st}) {
		t.Errorf("conditions = %+v", st.Conditions)
	}
	p := &Pod{Status: st}
	if IsPodAvailable(p, 30, t1.Add(29*time.Second)) || !IsPodAvailable(p, 30, t1.Add(30*time.Second)) || !IsPodAvailable(p, 0, t0.Time) {
		t.Error("IsPodAvailable disagrees with minReadySeconds")
	}
}

func TestDeepCopy(t *testing.T) {
	p := &Pod{ObjectMeta: ObjectMeta{Name: "a", Labels: map[string]string{"x": "1"}},
		Spec: PodSpec{Containers: []Container{{Name: "c", Resources: ResourceRequirements{Limits: ResourceList{ResourceCPU: MustParse("1")}}}}}}
	c := DeepCopy(p)
	c.Labels["x"] = "2"
	c.Spec.Containers[0].Name = "d"
	if p.Labels["x"] != "1" || p.Spec.Containers[0].Name != "c" || c.Spec.Containers[0].Resources.Limits.Cpu().MilliValue() != 1000 {
		t.Errorf("copy shares memory or lost data: %+v", c)
	}
	if got := (&ObjectMeta{Namespace: "ns", Name: "a"}).Key(); got != "ns/a" {
		t.Errorf("Key = %q", got)
	}
}
