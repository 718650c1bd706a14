package nodelifecycle

import (
	"reflect"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

var (
	t0   = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	at0  = api.NewTime(t0)
	at10 = api.NewTime(t0.Add(10 * time.Second))
)

func i64(v int64) *int64 { return &v }

func TestMarkUnknown(t *testing.T) {
	ready := func(s api.ConditionStatus) api.NodeCondition {
		return api.NodeCondition{Type: api.NodeReady, Status: s, LastHeartbeatTime: at0, LastTransitionTime: at0, Reason: "KubeletReady"}
	}
	unknown := func(typ api.NodeConditionType, reason, msg string, hb api.Time) api.NodeCondition {
		return api.NodeCondition{Type: typ, Status: api.ConditionUnknown, Reason: reason, Message: msg, LastHeartbeatTime: hb, LastTransitionTime: at10}
	}
	never := func(typ api.NodeConditionType) api.NodeCondition {
		return unknown(typ, reasonStatusNeverUpdated, messageNeverUpdated, at0)
	}
	stopped := func(typ api.NodeConditionType) api.NodeCondition {
		return unknown(typ, reasonStatusUnknown, messageStatusUnknown, at0)
	}
	pressure := func(typ api.NodeConditionType) api.NodeCondition {
		return api.NodeCondition{Type: typ, Status: api.ConditionFalse, LastHeartbeatTime: at0, LastTransitionTime: at0}
	}
	for _, tc := range []struct {
		name    string
		in      []api.NodeCondition
		want    []api.NodeCondition
		changed bool
	}{
		{"never posted", nil,
			[]api.NodeCondition{never(api.NodeReady), never(api.NodeMemoryPressure), never(api.NodeDiskPressure), never(api.NodePIDPressure)}, true},
		{"ready goes unknown, heartbeat kept",
			[]api.NodeCondition{ready(api.ConditionTrue), pressure(api.NodeMemoryPressure), pressure(api.NodeDiskPressure), pressure(api.NodePIDPressure)},
			[]api.NodeCondition{stopped(api.NodeReady), stopped(api.NodeMemoryPressure), stopped(api.NodeDiskPressure), stopped(api.NodePIDPressure)}, true},
		{"already unknown",
			[]api.NodeCondition{stopped(api.NodeReady), stopped(api.NodeMemoryPressure), stopped(api.NodeDiskPressure), stopped(api.NodePIDPressure)},
			[]api.NodeCondition{stopped(api.NodeReady), stopped(api.NodeMemoryPressure), stopped(api.NodeDiskPressure), stopped(api.NodePIDPressure)}, false},
		{"other conditions kept",
			[]api.NodeCondition{{Type: api.NodeNetworkUnavailable, Status: api.ConditionFalse}, stopped(api.NodeReady), stopped(api.NodeMemoryPressure), stopped(api.NodeDiskPressure), stopped(api.NodePIDPressure)},
			[]api.NodeCondition{{Type: api.NodeNetworkUnavailable, Status: api.ConditionFalse}, stopped(api.NodeReady), stopped(api.NodeMemoryPressure), stopped(api.NodeDiskPressure), stopped(api.NodePIDPressure)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := api.NodeStatus{Conditions: tc.in}
			if got := markUnknown(&st, at0, at10); got != tc.changed {
				t.Errorf("changed = %v, want %v", got, tc.changed)
			}
			if !reflect.DeepEqual(st.Conditions, tc.want) {
				t.Errorf("conditions\n got %+v\nwant %+v", st.Conditions, tc.want)
			}
		})
	}
}

func TestReconcileTaints(t *testing.T) {
	node := func(ready api.ConditionStatus, cordoned bool, taints ...api.Taint) *api.Node {
		n := &api.Node{Spec: api.NodeSpec{Unschedulable: cordoned, Taints: taints}}
		if ready != "" {
			n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: ready}}
		}
		return n
	}
	taint := func(key string, effect api.TaintEffect, added *api.Time) api.Taint {
		return api.Taint{Key: key, Effect: effect, TimeAdded: added}
	}
	old := api.NewTime(t0.Add(-time.Hour))
	user := api.Taint{Key: "example.com/gpu", Value: "yes", Effect: api.TaintEffectNoSchedule}
	for _, tc := range []struct {
		name    string
		node    *api.Node
		want    []api.Taint
		changed bool
	}{
		{"ready, untainted", node(api.ConditionTrue, false), nil, false},
		{"unreachable", node(api.ConditionUnknown, false, user),
			[]api.Taint{user, taint(api.TaintNodeUnreachable, api.TaintEffectNoSchedule, nil), taint(api.TaintNodeUnreachable, api.TaintEffectNoExecute, &at10)}, true},
		{"not ready replaces unreachable",
			node(api.ConditionFalse, false, taint(api.TaintNodeUnreachable, api.TaintEffectNoSchedule, nil), taint(api.TaintNodeUnreachable, api.TaintEffectNoExecute, &old)),
			[]api.Taint{taint(api.TaintNodeNotReady, api.TaintEffectNoSchedule, nil), taint(api.TaintNodeNotReady, api.TaintEffectNoExecute, &at10)}, true},
		{"unreachable kept with its time",
			node(api.ConditionUnknown, false, taint(api.TaintNodeUnreachable, api.TaintEffectNoExecute, &old), taint(api.TaintNodeUnreachable, api.TaintEffectNoSchedule, nil)),
			[]api.Taint{taint(api.TaintNodeUnreachable, api.TaintEffectNoExecute, &old), taint(api.TaintNodeUnreachable, api.TaintEffectNoSchedule, nil)}, false},
		{"back: untainted, user taint kept",
			node(api.ConditionTrue, false, taint(api.TaintNodeUnreachable, api.TaintEffectNoExecute, &old), user),
			[]api.Taint{user}, true},
		{"cordoned", node(api.ConditionTrue, true), []api.Taint{taint(api.TaintNodeUnschedulable, api.TaintEffectNoSchedule, nil)}, true},
		{"uncordoned", node(api.ConditionTrue, false, taint(api.TaintNodeUnschedulable, api.TaintEffectNoSchedule, nil)), nil, true},
		{"never reported keeps the kubelet's not-ready taint",
			node("", false, taint(api.TaintNodeNotReady, api.TaintEffectNoSchedule, nil)),
			[]api.Taint{taint(api.TaintNodeNotReady, api.TaintEffectNoSchedule, nil)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := reconcileTaints(tc.node.Spec.Taints, wantedTaints(tc.node), at10)
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("taints\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEvictionTime(t *testing.T) {
	unreachable := api.Taint{Key: api.TaintNodeUnreachable, Effect: api.TaintEffectNoExecute, TimeAdded: &at0}
	notReady := api.Taint{Key: api.TaintNodeNotReady, Effect: api.TaintEffectNoExecute, TimeAdded: &at10}
	noTime := api.Taint{Key: "example.com/drain", Effect: api.TaintEffectNoExecute}
	noSchedule := api.Taint{Key: "example.com/x", Effect: api.TaintEffectNoSchedule}
	tol := func(key string, secs *int64) api.Toleration {
		return api.Toleration{Key: key, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: secs}
	}
	seen := t0.Add(time.Minute)
	for _, tc := range []struct {
		name   string
		tols   []api.Toleration
		taints []api.Taint
		at     time.Time
		evict  bool
	}{
		{"no taints", nil, nil, time.Time{}, false},
		{"NoSchedule does not evict", nil, []api.Taint{noSchedule}, time.Time{}, false},
		{"untolerated: now", nil, []api.Taint{unreachable}, time.Time{}, true},
		{"tolerated for 300s", []api.Toleration{tol(api.TaintNodeUnreachable, i64(300))}, []api.Taint{unreachable}, t0.Add(300 * time.Second), true},
		{"tolerated forever", []api.Toleration{tol(api.TaintNodeUnreachable, nil)}, []api.Taint{unreachable}, time.Time{}, false},
		{"shortest matching toleration", []api.Toleration{tol(api.TaintNodeUnreachable, i64(300)), tol("", i64(2))}, []api.Taint{unreachable}, t0.Add(2 * time.Second), true},
		{"earliest of two taints",
			[]api.Toleration{tol(api.TaintNodeUnreachable, i64(30)), tol(api.TaintNodeNotReady, i64(5))},
			[]api.Taint{unreachable, notReady}, t0.Add(15 * time.Second), true},
		{"one taint untolerated",
			[]api.Toleration{tol(api.TaintNodeUnreachable, nil)},
			[]api.Taint{unreachable, notReady}, time.Time{}, true},
		{"no timeAdded: from first seen", []api.Toleration{tol("example.com/drain", i64(10))}, []api.Taint{noTime}, seen.Add(10 * time.Second), true},
		{"value must match with Equal",
			[]api.Toleration{{Key: "example.com/drain", Operator: api.TolerationOpEqual, Value: "x", Effect: api.TaintEffectNoExecute}},
			[]api.Taint{noTime}, time.Time{}, true},
		{"toleration of another effect", []api.Toleration{{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule}},
			[]api.Taint{unreachable}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, evict := evictionTime(tc.tols, tc.taints, func(api.Taint) time.Time { return seen })
			if evict != tc.evict || !at.Equal(tc.at) {
				t.Errorf("evictionTime = %v, %v; want %v, %v", at, evict, tc.at, tc.evict)
			}
		})
	}
}
