package deployment

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
)

// Condition reasons, as Kubernetes' deployment util; kubectl rollout
// status keys on some of them.
const (
	ReasonNewReplicaSetCreated       = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet         = "FoundNewReplicaSet"
	ReasonReplicaSetUpdated          = "ReplicaSetUpdated"
	ReasonNewReplicaSetAvailable     = "NewReplicaSetAvailable"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonReplicaSetCreateError      = "ReplicaSetCreateError"
	ReasonDeploymentPaused           = "DeploymentPaused"
	ReasonDeploymentResumed          = "DeploymentResumed"
	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
)

func getCondition(st *api.DeploymentStatus, t api.DeploymentConditionType) *api.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func newCondition(t api.DeploymentConditionType, status api.ConditionStatus, reason, msg string, now time.Time) api.DeploymentCondition {
	return api.DeploymentCondition{Type: t, Status: status, Reason: reason, Message: msg,
		LastUpdateTime: api.NewTime(now), LastTransitionTime: api.NewTime(now)}
}

// setCondition sets c in st unless a condition of its type already has
// its status and reason; the transition time is kept if the status is.
func setCondition(st *api.DeploymentStatus, c api.DeploymentCondition) {
	cur := getCondition(st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(st, c.Type)
	st.Conditions = append(st.Conditions, c)
}

func removeCondition(st *api.DeploymentStatus, t api.DeploymentConditionType) {
	st.Conditions = slices.DeleteFunc(st.Conditions, func(c api.DeploymentCondition) bool { return c.Type == t })
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
}

// calculateStatus is d's status from its ReplicaSets: counts, the
// Available condition, and the other conditions as they were.
func calculateStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment, now time.Time) api.DeploymentStatus {
	available := sumStatus(allRSs, func(s *api.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	st := api.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatus(allRSs, func(s *api.ReplicaSetStatus) int32 { return s.Replicas }),
		UpdatedReplicas:     sumStatus([]*api.ReplicaSet{newRS}, func(s *api.ReplicaSetStatus) int32 { return s.Replicas }),
		ReadyReplicas:       sumStatus(allRSs, func(s *api.ReplicaSetStatus) int32 { return s.ReadyReplicas }),
		AvailableReplicas:   available,
		UnavailableReplicas: max(replicas(d)-available, 0),
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          slices.Clone(d.Status.Conditions),
	}
	if available >= replicas(d)-maxUnavailable(d) {
		setCondition(&st, newCondition(api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&st, newCondition(api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

func hasProgressDeadline(d *api.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// deploymentComplete: every replica is updated and available, and the
// status describes the current spec.
func deploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	n := replicas(d)
	return st.UpdatedReplicas == n && st.Replicas == n && st.AvailableReplicas == n && st.ObservedGeneration >= d.Generation
}

// deploymentProgressing: st shows progress over d's current status (more
// updated, ready or available pods, or fewer old ones).
func deploymentProgressing(d *api.Deployment, st *api.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut: no progress was recorded for progressDeadlineSeconds.
func deploymentTimedOut(d *api.Deployment, st *api.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(st, api.DeploymentProgressing)
	if c == nil || c.Reason == ReasonNewReplicaSetAvailable {
		return false
	}
	if c.Reason == ReasonProgressDeadlineExceeded {
		return true
	}
	deadline := c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	return deadline.Before(now)
}

// rolloutStatus is d's status with the Progressing and ReplicaFailure
// conditions brought up to date, as Kubernetes' syncRolloutStatus.
func rolloutStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment, now time.Time) api.DeploymentStatus {
	st := calculateStatus(allRSs, newRS, d, now)
	if !hasProgressDeadline(d) {
		removeCondition(&st, api.DeploymentProgressing)
	}
	cur := getCondition(&st, api.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == ReasonNewReplicaSetAvailable
	if hasProgressDeadline(d) && !complete {
		switch {
		case deploymentComplete(d, &st):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)
			}
			setCondition(&st, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable, msg, now))
		case deploymentProgressing(d, &st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			c := newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, msg, now)
			// Progress refreshes lastUpdateTime, from which the deadline
			// counts; the transition time stays while the status does.
			if cur != nil && cur.Status == api.ConditionTrue {
				c.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(&st, api.DeploymentProgressing)
			setCondition(&st, c)
		case deploymentTimedOut(d, &st, now):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setCondition(&st, newCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded, msg, now))
		}
	}
	if c := replicaFailure(allRSs, newRS); c != nil {
		setCondition(&st, api.DeploymentCondition{Type: api.DeploymentReplicaFailure, Status: c.Status, Reason: c.Reason,
			Message: c.Message, LastUpdateTime: c.LastTransitionTime, LastTransitionTime: c.LastTransitionTime})
	} else {
		removeCondition(&st, api.DeploymentReplicaFailure)
	}
	return st
}

// replicaFailure is the ReplicaFailure condition of the new ReplicaSet,
// else of an old one.
func replicaFailure(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) *api.ReplicaSetCondition {
	find := func(rs *api.ReplicaSet) *api.ReplicaSetCondition {
		for i := range rs.Status.Conditions {
			if c := &rs.Status.Conditions[i]; c.Type == api.ReplicaSetReplicaFailure {
				return c
			}
		}
		return nil
	}
	if newRS != nil {
		if c := find(newRS); c != nil {
			return c
		}
	}
	for _, rs := range allRSs {
		if rs != nil && rs != newRS {
			if c := find(rs); c != nil {
				return c
			}
		}
	}
	return nil
}

// stuckRequeue is when d must be looked at again to notice that its
// progress deadline passed (0: no need).
func stuckRequeue(d *api.Deployment, st *api.DeploymentStatus, now time.Time) time.Duration {
	c := getCondition(st, api.DeploymentProgressing)
	if !hasProgressDeadline(d) || c == nil || deploymentComplete(d, st) || c.Reason == ReasonProgressDeadlineExceeded {
		return 0
	}
	after := c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(now)
	return max(after+time.Second, time.Second)
}
