package deployment

import (
	"context"

	"github.com/minik8s/minik8s/api"
)

// rolloutRolling advances a rolling update one step: scale the new
// ReplicaSet up as far as maxSurge allows, else the old ones down as far
// as maxUnavailable allows, else clean up once complete.
func (s *syncer) rolloutRolling(ctx context.Context, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if newRS == nil {
		var err error
		if newRS, err = s.createNewReplicaSet(ctx, oldRSs); err != nil {
			return err
		}
	}
	all := withNew(oldRSs, newRS)
	scaledUp, err := s.reconcileNewReplicaSet(ctx, all, newRS)
	if err != nil {
		return err
	}
	if scaledUp {
		return s.syncRolloutStatus(ctx, all, newRS)
	}
	scaledDown, err := s.reconcileOldReplicaSets(ctx, all, filterActive(oldRSs), newRS)
	if err != nil {
		return err
	}
	if scaledDown {
		return s.syncRolloutStatus(ctx, all, newRS)
	}
	if deploymentComplete(s.d, &s.d.Status) {
		if err := s.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	return s.syncRolloutStatus(ctx, all, newRS)
}

// reconcileNewReplicaSet sizes the new ReplicaSet towards d's replicas
// within the surge.
func (s *syncer) reconcileNewReplicaSet(ctx context.Context, all []*api.ReplicaSet, newRS *api.ReplicaSet) (bool, error) {
	want := replicas(s.d) // a new ReplicaSet above it goes straight down
	if rsReplicas(newRS) < want {
		want = newRSReplicas(s.d, all, newRS)
	}
	if rsReplicas(newRS) == want {
		return false, nil
	}
	scaled, _, err := s.scaleReplicaSet(ctx, newRS, want)
	return scaled, err
}

// reconcileOldReplicaSets scales old ReplicaSets down while keeping
// replicas−maxUnavailable pods available: unhealthy old pods first, then
// the oldest ReplicaSets' pods.
func (s *syncer) reconcileOldReplicaSets(ctx context.Context, all, oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (bool, error) {
	d := s.d
	if sumSpec(oldRSs) == 0 {
		return false, nil
	}
	minAvailable := replicas(d) - maxUnavailable(d)
	newUnavailable := rsReplicas(newRS) - newRS.Status.AvailableReplicas
	budget := sumSpec(all) - minAvailable - newUnavailable
	if budget <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := s.cleanupUnhealthyReplicas(ctx, oldRSs, budget)
	if err != nil {
		return false, err
	}
	scaled, err := s.scaleDownOldReplicaSets(ctx, withNew(oldRSs, newRS), oldRSs, budget-cleaned)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthyReplicas scales old ReplicaSets down by their
// unavailable pods, oldest first, at most budget in all. It returns the
// ReplicaSets as written and how many replicas went.
func (s *syncer) cleanupUnhealthyReplicas(ctx context.Context, oldRSs []*api.ReplicaSet, budget int32) ([]*api.ReplicaSet, int32, error) {
	out := sorted(oldRSs, byCreation)
	var total int32
	for i, rs := range out {
		if total >= budget {
			break
		}
		unhealthy := rsReplicas(rs) - rs.Status.AvailableReplicas
		if rsReplicas(rs) == 0 || unhealthy <= 0 {
			continue
		}
		n := min(budget-total, unhealthy)
		_, updated, err := s.scaleReplicaSet(ctx, rs, rsReplicas(rs)-n)
		if err != nil {
			return nil, 0, err
		}
		out[i] = updated
		total += n
	}
	return out, total, nil
}

// scaleDownOldReplicaSets scales old ReplicaSets down, oldest first, by
// as many available pods as exceed replicas−maxUnavailable, at most
// budget.
func (s *syncer) scaleDownOldReplicaSets(ctx context.Context, all, oldRSs []*api.ReplicaSet, budget int32) (int32, error) {
	d := s.d
	minAvailable := replicas(d) - maxUnavailable(d)
	available := sumAvailable(all)
	if available <= minAvailable || budget <= 0 {
		return 0, nil
	}
	want := min(available-minAvailable, budget)
	var total int32
	for _, rs := range sorted(oldRSs, byCreation) {
		if total >= want {
			break
		}
		if rsReplicas(rs) == 0 {
			continue
		}
		n := min(rsReplicas(rs), want-total)
		if _, _, err := s.scaleReplicaSet(ctx, rs, rsReplicas(rs)-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
