package controllerutil

import (
	"cmp"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
)

// IsPodActive reports whether p counts towards its owner's replicas: it
// has not finished and is not being deleted.
func IsPodActive(p *api.Pod) bool {
	return p.DeletionTimestamp == nil && !api.IsPodTerminal(p)
}

// phaseRank orders phases for deletion: pending pods go before pods in an
// unknown state, which go before running ones.
func phaseRank(p api.PodPhase) int {
	switch p {
	case api.PodPending:
		return 0
	case api.PodUnknown:
		return 1
	case api.PodRunning:
		return 2
	}
	return 3
}

// DeletionOrder compares two pods of one owner for scale-down, as
// Kubernetes' ActivePods ordering: a negative result means a goes first.
// Unscheduled before scheduled; pending before unknown before running;
// not ready before ready; of two ready pods the one ready more recently;
// more container restarts first; newer first. Ties fall back to the name
// so that the order is total.
func DeletionOrder(a, b *api.Pod) int {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return boolFirst(a.Spec.NodeName == "")
	}
	if c := cmp.Compare(phaseRank(a.Status.Phase), phaseRank(b.Status.Phase)); c != 0 {
		return c
	}
	ra, rb := api.IsPodReady(a), api.IsPodReady(b)
	if ra != rb {
		return boolFirst(!ra)
	}
	if ra {
		if c := newerFirst(readySince(a), readySince(b)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(maxRestarts(b), maxRestarts(a)); c != 0 {
		return c
	}
	if c := newerFirst(a.CreationTimestamp.Time, b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// PodsToDelete returns the n pods of pods that DeletionOrder puts first
// (all of them if n >= len(pods)). pods is not changed.
func PodsToDelete(pods []*api.Pod, n int) []*api.Pod {
	sorted := slices.Clone(pods)
	slices.SortFunc(sorted, DeletionOrder)
	return sorted[:min(max(n, 0), len(sorted))]
}

// boolFirst is -1 if first holds, else 1.
func boolFirst(first bool) int {
	if first {
		return -1
	}
	return 1
}

// newerFirst orders the later time first; an unknown (zero) time counts
// as newest, as Kubernetes' afterOrZero.
func newerFirst(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return -1
	case b.IsZero():
		return 1
	case a.After(b):
		return -1
	}
	return 1
}

func readySince(p *api.Pod) time.Time {
	if c := api.GetPodCondition(&p.Status, api.PodReady); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func maxRestarts(p *api.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}
