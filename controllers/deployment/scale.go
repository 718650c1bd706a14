package deployment

import (
	"context"
	"slices"

	"github.com/minik8s/minik8s/api"
)

// isScalingEvent reports whether d's replicas changed since its active
// ReplicaSets were last sized (their desired-replicas annotation).
func (s *syncer) isScalingEvent(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) bool {
	for _, rs := range filterActive(withNew(oldRSs, newRS)) {
		if desired, ok := intAnnotation(rs, api.DesiredReplicasAnnotation); ok && desired != replicas(s.d) {
			return true
		}
	}
	return false
}

// syncScale only sizes the ReplicaSets (a scaling event, or a paused
// Deployment) and updates the status.
func (s *syncer) syncScale(ctx context.Context, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if err := s.scale(ctx, newRS, oldRSs); err != nil {
		return err
	}
	if s.d.Spec.Paused {
		if err := s.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	all := withNew(oldRSs, newRS)
	return s.writeStatus(ctx, calculateStatus(all, newRS, s.d, s.now))
}

// scale brings the ReplicaSets to d's size: a single active (or the
// latest) ReplicaSet takes it all; a saturated new ReplicaSet leaves the
// old ones at zero; otherwise, in a rolling update, the difference is
// spread in proportion to their sizes, as Kubernetes' scale.
func (s *syncer) scale(ctx context.Context, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	d := s.d
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		_, _, err := s.scaleReplicaSet(ctx, rs, replicas(d))
		return err
	}
	if isSaturated(d, newRS) {
		for _, rs := range filterActive(oldRSs) {
			if _, _, err := s.scaleReplicaSet(ctx, rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	all := filterActive(withNew(oldRSs, newRS))
	sizes := proportionalSizes(d, all)
	for _, rs := range all {
		if _, _, err := s.scaleReplicaSet(ctx, rs, sizes[rs.Name]); err != nil {
			return err
		}
	}
	return nil
}

// proportionalSizes spreads the difference between d's allowed size
// (replicas plus surge) and the active ReplicaSets' total over them, in
// proportion to their size when the Deployment last sized them; the
// rounding leftover goes to the largest.
func proportionalSizes(d *api.Deployment, active []*api.ReplicaSet) map[string]int32 {
	allowed := replicas(d)
	if allowed > 0 {
		allowed += maxSurge(d)
	}
	toAdd := allowed - sumSpec(active)
	switch {
	case toAdd > 0:
		active = sorted(active, bySizeNewer)
	case toAdd < 0:
		active = sorted(active, bySizeOlder)
	}
	sizes := make(map[string]int32, len(active))
	var added int32
	for _, rs := range active {
		p := proportion(rs, d, toAdd, added)
		sizes[rs.Name] = rsReplicas(rs) + p
		added += p
	}
	if toAdd != added && len(active) > 0 {
		first := active[0].Name
		sizes[first] = max(sizes[first]+toAdd-added, 0)
	}
	return sizes
}

// proportion is rs's share of toAdd, of which added is handed out.
func proportion(rs *api.ReplicaSet, d *api.Deployment, toAdd, added int32) int32 {
	if rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	f := fraction(rs, d)
	left := toAdd - added
	if toAdd > 0 {
		return min(f, left)
	}
	return max(f, left)
}

// fraction is how rs would change if it kept its share of the
// Deployment's size at its last sizing (the max-replicas annotation).
func fraction(rs *api.ReplicaSet, d *api.Deployment) int32 {
	if replicas(d) == 0 {
		return -rsReplicas(rs)
	}
	total := replicas(d) + maxSurge(d)
	annotated, ok := intAnnotation(rs, api.MaxReplicasAnnotation)
	if !ok {
		annotated = d.Status.Replicas
	}
	if annotated <= 0 {
		return 0
	}
	return roundToInt32(float64(rsReplicas(rs))*float64(total)/float64(annotated)) - rsReplicas(rs)
}

// activeOrLatest returns the only active ReplicaSet, or, if none is
// active, the new one or else the newest; nil if several are active.
func activeOrLatest(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) *api.ReplicaSet {
	all := withNew(oldRSs, newRS)
	if len(all) == 0 {
		return nil
	}
	all = sorted(all, byCreation)
	slices.Reverse(all)
	switch active := filterActive(all); len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return all[0]
	case 1:
		return active[0]
	}
	return nil
}

// isSaturated: the new ReplicaSet has all of d's replicas, sized for d's
// current size, and all available.
func isSaturated(d *api.Deployment, rs *api.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := intAnnotation(rs, api.DesiredReplicasAnnotation)
	return ok && rsReplicas(rs) == replicas(d) && desired == replicas(d) && rs.Status.AvailableReplicas == replicas(d)
}
