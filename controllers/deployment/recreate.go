package deployment

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
)

// rolloutRecreate scales every old ReplicaSet to zero, waits until their
// pods are gone, then creates or scales up the new one.
func (s *syncer) rolloutRecreate(ctx context.Context, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	scaledDown := false
	for _, rs := range filterActive(oldRSs) {
		scaled, _, err := s.scaleReplicaSet(ctx, rs, 0)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown || s.oldPodsRunning(newRS, oldRSs) {
		return s.syncRolloutStatus(ctx, withNew(oldRSs, newRS), newRS)
	}
	if newRS == nil {
		var err error
		if newRS, err = s.createNewReplicaSet(ctx, oldRSs); err != nil {
			return err
		}
	}
	if _, _, err := s.scaleReplicaSet(ctx, newRS, replicas(s.d)); err != nil {
		return err
	}
	if deploymentComplete(s.d, &s.d.Status) {
		if err := s.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	return s.syncRolloutStatus(ctx, withNew(oldRSs, newRS), newRS)
}

// oldPodsRunning reports whether an old ReplicaSet still has pods that
// have not finished, terminating ones included, or any pod is in an
// unknown state.
func (s *syncer) oldPodsRunning(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) bool {
	if sumStatus(oldRSs, func(st *api.ReplicaSetStatus) int32 { return st.Replicas }) > 0 {
		return true
	}
	for _, rs := range withNew(oldRSs, newRS) {
		for _, p := range s.c.pods.ByIndex(controllerutil.IndexControllerUID, rs.UID) {
			switch {
			case api.IsPodTerminal(p):
			case p.Status.Phase == api.PodUnknown, rs != newRS:
				return true
			}
		}
	}
	return false
}
