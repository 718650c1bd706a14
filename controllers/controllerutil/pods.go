package controllerutil

import (
	"cmp"
	"container/heap"
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
	return rankOf(a).compare(rankOf(b))
}

// deletionRank is what DeletionOrder compares of a pod, read once: a
// pod's conditions and container statuses are scanned to find it.
type deletionRank struct {
	unscheduled bool
	phase       int
	ready       bool
	readySince  time.Time // of a ready pod
	restarts    int32
	created     time.Time
	name        string
}

func rankOf(p *api.Pod) deletionRank {
	r := deletionRank{
		unscheduled: p.Spec.NodeName == "",
		phase:       phaseRank(p.Status.Phase),
		ready:       api.IsPodReady(p),
		restarts:    maxRestarts(p),
		created:     p.CreationTimestamp.Time,
		name:        p.Name,
	}
	if r.ready {
		r.readySince = readySince(p)
	}
	return r
}

func (a deletionRank) compare(b deletionRank) int {
	if a.unscheduled != b.unscheduled {
		return boolFirst(a.unscheduled)
	}
	if c := cmp.Compare(a.phase, b.phase); c != 0 {
		return c
	}
	if a.ready != b.ready {
		return boolFirst(!a.ready)
	}
	if a.ready {
		if c := newerFirst(a.readySince, b.readySince); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(b.restarts, a.restarts); c != 0 {
		return c
	}
	if c := newerFirst(a.created, b.created); c != 0 {
		return c
	}
	return cmp.Compare(a.name, b.name)
}

// PodsToDelete returns the n pods of pods that DeletionOrder puts first
// (all of them if n >= len(pods)), in that order. pods is not changed.
//
// It ranks each pod once and keeps the n first in a heap whose root is
// the last of them: a scale-down of a ReplicaSet of 150,000 pods by its
// burst of 500 compares each pod with the root, where sorting them all
// ranked both pods of 2.5 million comparisons.
func PodsToDelete(pods []*api.Pod, n int) []*api.Pod {
	n = min(max(n, 0), len(pods))
	if n == 0 {
		return nil
	}
	h := make(rankHeap, 0, n)
	for _, p := range pods {
		r := rankedPod{p, rankOf(p)}
		switch {
		case len(h) < n:
			heap.Push(&h, r)
		case r.rank.compare(h[0].rank) < 0:
			h[0] = r
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, func(a, b rankedPod) int { return a.rank.compare(b.rank) })
	out := make([]*api.Pod, len(h))
	for i, r := range h {
		out[i] = r.pod
	}
	return out
}

type rankedPod struct {
	pod  *api.Pod
	rank deletionRank
}

// rankHeap is a heap of ranked pods whose root goes last in DeletionOrder.
type rankHeap []rankedPod

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return h[i].rank.compare(h[j].rank) > 0 }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(rankedPod)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
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
