package hpa

import (
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

func pod(name string, phase api.PodPhase, ready bool, request string) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "ns"}, Status: api.PodStatus{Phase: phase}}
	c := api.Container{Name: "c"}
	if request != "" {
		c.Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParse(request)}
	}
	p.Spec.Containers = []api.Container{c}
	status := api.ConditionFalse
	if ready {
		status = api.ConditionTrue
	}
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: status}}
	return p
}

func TestResourceReplicas(t *testing.T) {
	util := func(n int32) api.MetricTarget {
		return api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: &n}
	}
	avg := api.MustParse("100m")
	for _, tc := range []struct {
		name    string
		current int32
		target  api.MetricTarget
		pods    []*api.Pod
		metrics map[string]int64
		want    int32
		wantU   int32 // utilization reported; -1 none
		wantErr string
	}{
		{"scale up", 2, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodRunning, true, "100m")},
			map[string]int64{"a": 100, "b": 100}, 4, 100, ""},
		{"within tolerance", 2, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodRunning, true, "100m")},
			map[string]int64{"a": 54, "b": 54}, 2, 54, ""},
		{"just beyond tolerance", 2, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodRunning, true, "100m")},
			map[string]int64{"a": 56, "b": 56}, 3, 56, ""},
		{"scale down", 4, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodRunning, true, "100m"),
			pod("c", api.PodRunning, true, "100m"), pod("d", api.PodRunning, true, "100m")},
			map[string]int64{"a": 10, "b": 10, "c": 10, "d": 10}, 1, 10, ""},
		// A pod without metrics counts as using its whole request when
		// scaling down, so the down-scale is smaller.
		{"missing pod damps scale down", 4, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodRunning, true, "100m"),
			pod("c", api.PodRunning, true, "100m"), pod("d", api.PodRunning, true, "100m")},
			map[string]int64{"a": 10, "b": 10, "c": 10}, 2, 10, ""},
		// An unready pod counts as 0 when scaling up.
		{"unready pod damps scale up", 2, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodPending, false, "100m")},
			map[string]int64{"a": 100}, 2, 100, ""},
		{"failed and deleted pods ignored", 1, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m"), pod("b", api.PodFailed, false, "")},
			map[string]int64{"a": 100, "b": 900}, 2, 100, ""},
		{"average value", 2, api.MetricTarget{Type: api.AverageValueMetricType, AverageValue: &avg},
			[]*api.Pod{pod("a", api.PodRunning, true, ""), pod("b", api.PodRunning, true, "")},
			map[string]int64{"a": 300, "b": 300}, 6, -1, ""},
		{"missing request", 1, util(50), []*api.Pod{pod("a", api.PodRunning, true, "")}, map[string]int64{"a": 1}, 0, 0, "missing request for cpu"},
		{"no metrics", 1, util(50), []*api.Pod{pod("a", api.PodRunning, true, "100m")}, map[string]int64{}, 0, 0, "did not receive metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := resourceReplicas(tc.current, tc.target, api.ResourceCPU, tc.pods, tc.metrics, 0.1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.replicas != tc.want {
				t.Errorf("replicas %d, want %d", u.replicas, tc.want)
			}
			if tc.wantU >= 0 && (u.utilization == nil || *u.utilization != tc.wantU) {
				t.Errorf("utilization %v, want %d", u.utilization, tc.wantU)
			}
		})
	}
}

func TestBehavior(t *testing.T) {
	t0 := time.Unix(1000, 0)
	up, down := behaviorOf(nil, 300*time.Second)
	t.Run("scale-down window keeps the highest recent recommendation", func(t *testing.T) {
		var h history
		if r, _, _ := h.stabilize(5, 5, up, down, t0); r != 5 {
			t.Fatalf("got %d", r)
		}
		r, reason, _ := h.stabilize(5, 1, up, down, t0.Add(time.Minute))
		if r != 5 || reason != "ScaleDownStabilized" {
			t.Errorf("within the window: %d %s, want 5 ScaleDownStabilized", r, reason)
		}
		if r, _, _ := h.stabilize(5, 1, up, down, t0.Add(301*time.Second)); r != 1 {
			t.Errorf("after the window: %d, want 1", r)
		}
	})
	t.Run("scale up is immediate but rate limited", func(t *testing.T) {
		var h history
		r, _, _ := h.stabilize(1, 20, up, down, t0)
		d, reason, _ := h.limit(1, r, 1, 10, up, down, t0)
		if d != 5 || reason != "ScaleUpLimit" { // max(1+4 pods, 1*200%)
			t.Errorf("got %d %s, want 5 ScaleUpLimit", d, reason)
		}
		h.record(1, 5, up, down, t0)
		// Within 15s the period started at 1: still at most 5.
		if d, _, _ := h.limit(5, 20, 1, 10, up, down, t0.Add(10*time.Second)); d != 5 {
			t.Errorf("same period: %d, want 5", d)
		}
		if d, reason, _ := h.limit(5, 20, 1, 10, up, down, t0.Add(16*time.Second)); d != 10 || reason != "TooManyReplicas" {
			t.Errorf("next period: %d %s, want 10 TooManyReplicas", d, reason)
		}
	})
	t.Run("policies from the spec", func(t *testing.T) {
		zero := int32(0)
		minPolicy := selectMin
		b := &api.HorizontalPodAutoscalerBehavior{ScaleDown: &api.HPAScalingRules{StabilizationWindowSeconds: &zero, SelectPolicy: &minPolicy,
			Policies: []api.HPAScalingPolicy{{Type: policyPods, Value: 1, PeriodSeconds: 60}, {Type: policyPercent, Value: 50, PeriodSeconds: 60}}}}
		up, down := behaviorOf(b, 300*time.Second)
		var h history
		r, _, _ := h.stabilize(10, 2, up, down, t0)
		if r != 2 {
			t.Fatalf("window 0: %d", r)
		}
		if d, reason, _ := h.limit(10, 2, 1, 10, up, down, t0); d != 9 || reason != "ScaleDownLimit" { // Min: the smaller change, -1
			t.Errorf("got %d %s, want 9 ScaleDownLimit", d, reason)
		}
		if d, reason, _ := h.limit(3, 1, 2, 10, up, down, t0); d != 2 || reason != "TooFewReplicas" {
			t.Errorf("got %d %s, want 2 TooFewReplicas", d, reason)
		}
	})
}
