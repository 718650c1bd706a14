package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// Event reason and preemption messages, as kube-scheduler's.
const (
	EventPreempted          = "Preempted"
	reasonNoVictims         = "No preemption victims found for incoming pod"
	reasonNotHelpful        = "Preemption is not helpful for scheduling"
	messagePreemptNever     = "preemption: not eligible due to preemptionPolicy=Never."
	messageTerminatingOnNom = "preemption: not eligible due to a terminating pod on the nominated node."
)

// Preempter evicts the victims of a preemption and nominates the node for
// the preempting pod (APIWriter does).
type Preempter interface {
	// Evict deletes victim with its default grace period (it terminates
	// gracefully), provided it is still the same pod (its UID).
	Evict(ctx context.Context, victim *api.Pod) error
	// Nominate sets the pod's status.nominatedNodeName.
	Nominate(ctx context.Context, pod *api.Pod, node string) error
}

var _ Preempter = (*APIWriter)(nil)

// Evict implements Preempter.
func (w *APIWriter) Evict(ctx context.Context, victim *api.Pod) error {
	uid := victim.UID
	return w.c.Pods(victim.Namespace).Delete(ctx, victim.Name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

// Nominate implements Preempter with a merge patch of the pod's status.
func (w *APIWriter) Nominate(ctx context.Context, pod *api.Pod, node string) error {
	body, err := json.Marshal(map[string]any{"status": map[string]any{"nominatedNodeName": node}})
	if err != nil {
		return fmt.Errorf("encode nomination: %w", err)
	}
	err = w.c.Pods(pod.Namespace).PatchDiscard(ctx, pod.Name, client.MergePatchType, body, "status")
	return err
}

// preemption is the outcome of a successful preemption: the node and the
// pods to evict there.
type preemption struct {
	node    string
	victims []*api.Pod
}

// unresolvable reports whether removing pods cannot make a node that
// failed with reason fit (kube-scheduler's UnschedulableAndUnresolvable).
func unresolvable(reason string) bool {
	switch reason {
	case ReasonInsufficientCPU, ReasonInsufficientMemory, ReasonTooManyPods,
		ReasonAntiAffinityRules, ReasonExistingAntiAffinityRules, ReasonSpreadConstraints:
		return false
	}
	return true
}

// preempt looks, as kube-scheduler's DefaultPreemption does, for a node
// where evicting pods of lower priority than pi's lets it fit: on each
// node whose rejection evicting pods can resolve, it removes every lower-
// priority pod, checks that pi fits, then puts back as many as it can,
// first those whose eviction would violate a PodDisruptionBudget, then the
// others, most important first within each; among the nodes that work it
// picks the one with the fewest victims violating a budget, then whose
// most important victim has the lowest priority, then the lowest sum of
// priorities, the fewest victims, the latest started most important
// victim. It returns that, or the message kube-scheduler appends to the
// failure ("preemption: …"). The cache lock must be held; the victims'
// removal from affinity counts by domain other than the node is not
// simulated.
func (s *Scheduler) preemptLocked(pi *PodInfo) (*preemption, string) {
	p := pi.Pod
	if p.Spec.PreemptionPolicy != nil && *p.Spec.PreemptionPolicy == string(api.PreemptNever) {
		return nil, messagePreemptNever
	}
	c := s.cache
	prio := priority(p)
	// Lower-priority bound pods per node.
	lower := make(map[string][]*cachedPod)
	for _, cp := range c.pods {
		if cp.nominated {
			continue
		}
		if cp.assumed || cp.info.Pod.DeletionTimestamp != nil {
			if nom := p.Status.NominatedNodeName; nom != "" && cp.node == nom &&
				cp.info.Pod.DeletionTimestamp != nil && priority(cp.info.Pod) < prio {
				return nil, messageTerminatingOnNom
			}
			continue
		}
		if priority(cp.info.Pod) < prio {
			lower[cp.node] = append(lower[cp.node], cp)
		}
	}
	pdbs := s.budgets()
	reasons := make(map[string]int)
	var best *preemption
	var bestKey [5]int64
	for _, n := range c.order {
		rs := s.runFilters(n, pi)
		if len(rs) == 0 {
			continue // it fits now (the cluster changed since place)
		}
		if slices.ContainsFunc(rs, unresolvable) {
			reasons[reasonNotHelpful]++
			continue
		}
		victims, violating := s.victimsLocked(n, pi, lower[n.Name()], pdbs)
		if victims == nil {
			reasons[reasonNoVictims]++
			continue
		}
		key := preemptionKey(victims, violating)
		if best == nil || slices.Compare(key[:], bestKey[:]) < 0 {
			best, bestKey = &preemption{node: n.Name()}, key
			for _, v := range victims {
				best.victims = append(best.victims, v.info.Pod)
			}
		}
	}
	if best != nil {
		return best, ""
	}
	fe := &FitError{NumNodes: len(c.order), Reasons: reasons}
	return nil, "preemption: " + fe.Error()
}

// budgets returns the PodDisruptionBudgets the informer holds (none
// without one).
func (s *Scheduler) budgets() []*api.PodDisruptionBudget {
	if s.pdbs == nil {
		return nil
	}
	return s.pdbs.List()
}

// victimsLocked returns the fewest pods of candidates (on n, of lower
// priority) whose eviction lets pi fit on n, or nil if evicting all of
// them does not, and how many of them violate a budget of pdbs. Those
// that would violate one are reprieved first, as kube-scheduler's
// selectVictimsOnNode does. n is restored before it returns.
func (s *Scheduler) victimsLocked(n *NodeInfo, pi *PodInfo, candidates []*cachedPod, pdbs []*api.PodDisruptionBudget) ([]*cachedPod, int) {
	if len(candidates) == 0 {
		return nil, 0
	}
	c := s.cache
	for _, cp := range candidates {
		n.removePod(cp.info)
		c.removeFromGroup(cp.info, n)
	}
	restore := func(cps []*cachedPod) {
		for _, cp := range cps {
			n.addPod(cp.info)
			c.addToGroup(cp.info, n)
		}
	}
	if len(s.runFilters(n, pi)) > 0 {
		restore(candidates)
		return nil, 0
	}
	// Reprieve the most important first: higher priority, then started
	// earlier; those whose eviction would violate a budget before the
	// others.
	order := slices.Clone(candidates)
	slices.SortStableFunc(order, moreImportant)
	violating, others := splitByBudget(order, pdbs)
	var victims []*cachedPod
	numViolating := 0
	reprieve := func(cp *cachedPod) bool {
		n.addPod(cp.info)
		c.addToGroup(cp.info, n)
		if len(s.runFilters(n, pi)) > 0 {
			n.removePod(cp.info)
			c.removeFromGroup(cp.info, n)
			victims = append(victims, cp)
			return false
		}
		return true
	}
	for _, cp := range violating {
		if !reprieve(cp) {
			numViolating++
		}
	}
	for _, cp := range others {
		reprieve(cp)
	}
	restore(victims)
	// Most important first, whatever the group it came from.
	slices.SortStableFunc(victims, moreImportant)
	return victims, numViolating
}

// splitByBudget splits pods, keeping their order, into those whose
// eviction, together with the evictions of the pods before them, would
// take a budget's status.disruptionsAllowed below zero, and the others, as
// kube-scheduler's filterPodsWithPDBViolation does: a budget counts for
// the labelled pods of its namespace its selector matches (an empty or
// missing selector matches none there), except those it lists as already
// disrupted.
func splitByBudget(pods []*cachedPod, pdbs []*api.PodDisruptionBudget) (violating, others []*cachedPod) {
	if len(pdbs) == 0 {
		return nil, pods
	}
	allowed := make([]int32, len(pdbs))
	for i, b := range pdbs {
		allowed[i] = b.Status.DisruptionsAllowed
	}
	for _, cp := range pods {
		p := cp.info.Pod
		violates := false
		if len(p.Labels) > 0 {
			for i, b := range pdbs {
				sel := b.Spec.Selector
				if b.Namespace != p.Namespace || sel == nil || len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
					continue
				}
				if ok, err := sel.Matches(p.Labels); err != nil || !ok {
					continue
				}
				if _, gone := b.Status.DisruptedPods[p.Name]; gone {
					continue
				}
				allowed[i]--
				if allowed[i] < 0 {
					violates = true
				}
			}
		}
		if violates {
			violating = append(violating, cp)
		} else {
			others = append(others, cp)
		}
	}
	return violating, others
}

// preemptionKey orders candidate nodes, lowest best: the number of victims
// violating a budget, the highest victim priority, the sum of victim
// priorities (each shifted to be positive, as kube-scheduler does, so more
// victims weigh more), the number of victims, and minus the start time of
// the most important victim (later is better). victims is sorted most
// important first.
func preemptionKey(victims []*cachedPod, violating int) [5]int64 {
	var sum int64
	for _, v := range victims {
		sum += int64(priority(v.info.Pod)) + math.MaxInt32 + 1
	}
	first := victims[0].info.Pod
	return [5]int64{int64(violating), int64(priority(first)), sum, int64(len(victims)), -startTime(first).UnixNano()}
}

// moreImportant orders pods most important first: higher priority, then
// started earlier (kube-scheduler's MoreImportantPod).
func moreImportant(a, b *cachedPod) int {
	if pa, pb := priority(a.info.Pod), priority(b.info.Pod); pa != pb {
		return int(pb) - int(pa)
	}
	return startTime(a.info.Pod).Time.Compare(startTime(b.info.Pod).Time)
}

func startTime(p *api.Pod) api.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.CreationTimestamp
}

// carryOut nominates the node for pod and evicts the victims, with the
// events Kubernetes writes; it runs in the background.
func (s *Scheduler) carryOut(ctx context.Context, pod *api.Pod, pr *preemption, log zerolog.Logger) {
	if err := s.deps.Preempter.Nominate(ctx, pod, pr.node); err != nil && ctx.Err() == nil {
		log.Debug().Err(err).Msg("nominate node")
	}
	for _, v := range pr.victims {
		err := s.deps.Preempter.Evict(ctx, v)
		switch {
		case err == nil:
			s.deps.Events.Eventf(podRef(v), api.EventTypeNormal, EventPreempted,
				"Preempted by pod %s on node %s", pod.UID, pr.node)
		case ctx.Err() != nil:
			return
		case client.IsNotFound(err), client.IsConflict(err):
		default:
			log.Warn().Err(err).Str("victim", v.Namespace+"/"+v.Name).Msg("evict")
		}
	}
}
