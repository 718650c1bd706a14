package nodelifecycle

import (
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
)

// Reasons and messages of the conditions the controller writes, as
// Kubernetes' node lifecycle controller words them.
const (
	reasonStatusUnknown      = "NodeStatusUnknown"
	messageStatusUnknown     = "Kubelet stopped posting node status."
	reasonStatusNeverUpdated = "NodeStatusNeverUpdated"
	messageNeverUpdated      = "Kubelet never posted node status."
)

// monitoredConditions are the conditions a silent node has set to Unknown.
var monitoredConditions = []api.NodeConditionType{api.NodeReady, api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure}

// markUnknown sets the monitored conditions of a node that has stopped
// posting its status to Unknown, adding those it never posted, and
// reports whether anything changed. created is the node's creation time,
// the heartbeat of conditions never posted.
func markUnknown(status *api.NodeStatus, created, now api.Time) bool {
	changed := false
	for _, t := range monitoredConditions {
		c := api.GetNodeCondition(status, t)
		if c == nil {
			status.Conditions = append(status.Conditions, api.NodeCondition{
				Type: t, Status: api.ConditionUnknown,
				Reason: reasonStatusNeverUpdated, Message: messageNeverUpdated,
				LastHeartbeatTime: created, LastTransitionTime: now,
			})
			changed = true
			continue
		}
		if c.Status == api.ConditionUnknown {
			continue
		}
		c.Status = api.ConditionUnknown
		c.Reason, c.Message = reasonStatusUnknown, messageStatusUnknown
		c.LastTransitionTime = now
		changed = true
	}
	return changed
}

// taintID is a taint's identity on a node: its key and effect.
type taintID struct {
	key    string
	effect api.TaintEffect
}

// managedTaints are the taints the controller adds and removes; it leaves
// every other taint alone.
var managedTaints = []taintID{
	{api.TaintNodeNotReady, api.TaintEffectNoSchedule},
	{api.TaintNodeNotReady, api.TaintEffectNoExecute},
	{api.TaintNodeUnreachable, api.TaintEffectNoSchedule},
	{api.TaintNodeUnreachable, api.TaintEffectNoExecute},
	{api.TaintNodeUnschedulable, api.TaintEffectNoSchedule},
}

// wantedTaints returns, for each managed taint, whether n should carry it:
// the not-ready taints while its Ready condition is False, the unreachable
// ones while it is Unknown (neither when it is True), and the unschedulable
// one while it is cordoned. A node that has never reported Ready keeps its
// readiness taints as they are.
func wantedTaints(n *api.Node) map[taintID]bool {
	want := map[taintID]bool{
		{api.TaintNodeUnschedulable, api.TaintEffectNoSchedule}: n.Spec.Unschedulable,
	}
	ready := api.NodeReadyCondition(n)
	if ready == nil {
		return want
	}
	for _, id := range managedTaints {
		switch id.key {
		case api.TaintNodeNotReady:
			want[id] = ready.Status == api.ConditionFalse
		case api.TaintNodeUnreachable:
			want[id] = ready.Status == api.ConditionUnknown
		}
	}
	return want
}

// reconcileTaints returns taints with the managed taints added or removed
// as want says, and whether that changed anything. Other taints, and the
// managed taints that stay (with their timeAdded), are kept in order;
// added NoExecute taints get timeAdded now.
func reconcileTaints(taints []api.Taint, want map[taintID]bool, now api.Time) ([]api.Taint, bool) {
	out := make([]api.Taint, 0, len(taints)+2)
	have := make(map[taintID]bool)
	changed := false
	for _, t := range taints {
		id := taintID{t.Key, t.Effect}
		if w, managed := want[id]; managed && !w {
			changed = true
			continue
		}
		have[id] = true
		out = append(out, t)
	}
	for _, id := range managedTaints {
		if !want[id] || have[id] {
			continue
		}
		t := api.Taint{Key: id.key, Effect: id.effect}
		if id.effect == api.TaintEffectNoExecute {
			t.TimeAdded = &now
		}
		out = append(out, t)
		changed = true
	}
	if len(out) == 0 {
		out = nil
	}
	return out, changed
}

// tolerates reports whether toleration tol matches taint, with
// Kubernetes' rules: an empty effect matches every effect, an empty key
// with operator Exists every key, and Equal (the default) compares values.
func tolerates(tol api.Toleration, taint api.Taint) bool {
	if tol.Effect != "" && tol.Effect != taint.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != taint.Key {
		return false
	}
	switch tol.Operator {
	case api.TolerationOpExists:
		return true
	case "", api.TolerationOpEqual:
		return tol.Key != "" && tol.Value == taint.Value
	}
	return false
}

// evictionTime returns when a pod with tolerations tols must leave a node
// with taints, and whether it must at all: at once if a NoExecute taint is
// not tolerated; never if each is tolerated without a time limit; else at
// the earliest end of a limited toleration, counted from when its taint
// was added (since(t), for a taint without timeAdded). Of several
// tolerations matching one taint the shortest counts, as in Kubernetes.
func evictionTime(tols []api.Toleration, taints []api.Taint, since func(api.Taint) time.Time) (time.Time, bool) {
	var (
		at    time.Time
		evict bool
	)
	for _, taint := range taints {
		if taint.Effect != api.TaintEffectNoExecute {
			continue
		}
		matching := slices.DeleteFunc(slices.Clone(tols), func(tol api.Toleration) bool { return !tolerates(tol, taint) })
		if len(matching) == 0 {
			return time.Time{}, true
		}
		var limit *int64
		for _, tol := range matching {
			if s := tol.TolerationSeconds; s != nil && (limit == nil || *s < *limit) {
				limit = s
			}
		}
		if limit == nil {
			continue
		}
		start := since(taint)
		if taint.TimeAdded != nil {
			start = taint.TimeAdded.Time
		}
		end := start.Add(time.Duration(max(*limit, 0)) * time.Second)
		if !evict || end.Before(at) {
			at, evict = end, true
		}
	}
	return at, evict
}
