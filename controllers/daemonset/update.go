package daemonset

import (
	"context"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
)

// maxSurgeSet is the maxSurge value ds sets (0 for OnDelete or none);
// whether it is a count or a percentage matters only as zero or not.
func maxSurgeSet(ds *api.DaemonSet) int {
	if ds.Spec.UpdateStrategy.Type == "OnDelete" || ds.Spec.UpdateStrategy.RollingUpdate == nil || ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge == nil {
		return 0
	}
	v := ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge
	if n, err := v.ScaledValue(100, true); err == nil {
		return n
	}
	return 0
}

// budgets resolves maxSurge and maxUnavailable against the number of
// nodes that should run a pod, both rounded up; if both come to zero,
// maxUnavailable is 1 (Kubernetes' updatedDesiredNodeCounts).
func budgets(ds *api.DaemonSet, desired int) (surge, unavailable int) {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ru != nil {
		if ru.MaxSurge != nil {
			surge, _ = ru.MaxSurge.ScaledValue(desired, true)
		}
		if ru.MaxUnavailable != nil {
			unavailable, _ = ru.MaxUnavailable.ScaledValue(desired, true)
		} else {
			unavailable = 1
		}
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// updatedAndOld returns the one pod of hash and the one older pod on a
// node, ignoring pods being deleted; ok is false when there are more
// (manage cleans them up first).
func updatedAndOld(pods []*api.Pod, hash string) (updated, old *api.Pod, ok bool) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if isUpdated(p, hash) {
			if updated != nil {
				return nil, nil, false
			}
			updated = p
		} else {
			if old != nil {
				return nil, nil, false
			}
			old = p
		}
	}
	return updated, old, true
}

// rollingUpdate replaces pods of older revisions (Kubernetes'
// rollingUpdate). Without surge it deletes old pods, unavailable ones
// first, while at most maxUnavailable nodes lack an available pod; manage
// then creates their replacements. With surge it creates a new pod beside
// an old one on up to maxSurge nodes at once (at once where the old pod
// is unavailable), and deletes the old pod once the new one is available.
func (c *Controller) rollingUpdate(ctx context.Context, ds *api.DaemonSet, nodes []*api.Node, byNode map[string][]*api.Pod, hash string, now time.Time) error {
	desired := 0
	nodeByName := make(map[string]*api.Node, len(nodes))
	for _, n := range nodes {
		nodeByName[n.Name] = n
		if run, _ := shouldRun(n, ds); run {
			desired++
		}
	}
	maxSurge, maxUnavailable := budgets(ds, desired)
	available := func(p *api.Pod) bool { return api.IsPodAvailable(p, ds.Spec.MinReadySeconds, now) }
	names := make([]string, 0, len(byNode))
	for n := range byNode {
		names = append(names, n)
	}
	slices.Sort(names) // a stable order: the same candidates each sync

	if maxSurge == 0 {
		unavailable := 0
		var replace, candidates []*api.Pod
		for _, node := range names {
			updated, old, ok := updatedAndOld(byNode[node], hash)
			if ok && updated == nil && old == nil {
				// Only pods being deleted: unavailable, if the node should
				// run one at all (not a node that is gone or left out).
				if n := nodeByName[node]; n == nil {
					continue
				} else if run, _ := shouldRun(n, ds); !run {
					continue
				}
			}
			switch {
			case !ok, updated == nil && old == nil, updated != nil && old != nil:
				unavailable++ // manage deals with the node
			case updated != nil:
				if !available(updated) {
					unavailable++
				}
			case !available(old):
				replace = append(replace, old) // replacing it costs nothing
			case unavailable < maxUnavailable:
				candidates = append(candidates, old)
			}
		}
		n := min(max(maxUnavailable-unavailable, 0), len(candidates))
		return c.syncNodes(ctx, ds, append(replace, candidates[:n]...), nil, hash)
	}

	var del, notRunning []*api.Pod
	var allowed, candidates []string
	surging, availableNow := 0, 0
	for _, node := range names {
		updated, old, ok := updatedAndOld(byNode[node], hash)
		if !ok {
			surging++
			continue
		}
		if old != nil && available(old) || old == nil && updated != nil && available(updated) {
			availableNow++
		}
		switch {
		case old == nil:
		case updated == nil:
			n := nodeByName[node]
			run := false
			if n != nil {
				run, _ = shouldRun(n, ds)
			}
			switch {
			case !available(old) && !run:
				del = append(del, old)
			case !available(old):
				allowed = append(allowed, node)
			case !run:
				notRunning = append(notRunning, old)
			case surging < maxSurge:
				candidates = append(candidates, node)
			}
		case !available(updated):
			surging++
		default:
			del = append(del, old)
		}
	}
	// Pods on nodes that should no longer run one go only while enough
	// pods elsewhere are available.
	if n := min(availableNow-desired, len(notRunning)); n > 0 {
		del = append(del, notRunning[:n]...)
	}
	n := min(max(maxSurge-surging, 0), len(candidates))
	return c.syncNodes(ctx, ds, del, append(allowed, candidates[:n]...), hash)
}
