package hpa

import (
	"math"
	"time"

	"github.com/minik8s/minik8s/api"
)

// Scaling policy names of spec.behavior.
const (
	policyPods    = "Pods"
	policyPercent = "Percent"
	selectMax     = "Max"
	selectMin     = "Min"
	selectOff     = "Disabled"
)

// rules are one direction's behavior with every default filled in.
type rules struct {
	window   time.Duration
	policy   string // selectPolicy
	policies []api.HPAScalingPolicy
}

// behaviorOf returns the HPA's scale-up and scale-down rules with
// Kubernetes' defaults for what the spec leaves out; downWindow is the
// default scale-down stabilisation window.
func behaviorOf(b *api.HorizontalPodAutoscalerBehavior, downWindow time.Duration) (up, down rules) {
	up = rules{policy: selectMax, policies: []api.HPAScalingPolicy{
		{Type: policyPods, Value: 4, PeriodSeconds: 15}, {Type: policyPercent, Value: 100, PeriodSeconds: 15}}}
	down = rules{window: downWindow, policy: selectMax, policies: []api.HPAScalingPolicy{
		{Type: policyPercent, Value: 100, PeriodSeconds: 15}}}
	if b == nil {
		return up, down
	}
	apply := func(r *rules, s *api.HPAScalingRules) {
		if s == nil {
			return
		}
		if s.StabilizationWindowSeconds != nil {
			r.window = time.Duration(*s.StabilizationWindowSeconds) * time.Second
		}
		if s.SelectPolicy != nil {
			r.policy = *s.SelectPolicy
		}
		if len(s.Policies) > 0 {
			r.policies = s.Policies
		}
	}
	apply(&up, b.ScaleUp)
	apply(&down, b.ScaleDown)
	return up, down
}

type recommendation struct {
	replicas int32
	at       time.Time
}

type scaleEvent struct {
	change int32 // replicas added or removed (positive)
	at     time.Time
}

// history is what one HPA's stabilisation and rate limits remember.
type history struct {
	recommendations  []recommendation
	upEvents, downEv []scaleEvent
}

// stabilize is Kubernetes' stabilizeRecommendationWithBehaviors: the
// proposal is bounded by the lowest recommendation of the scale-up window
// and the highest of the scale-down window, then remembered.
func (h *history) stabilize(current, proposal int32, up, down rules, now time.Time) (int32, string, string) {
	upRec, downRec := proposal, proposal
	for _, r := range h.recommendations {
		if r.at.After(now.Add(-up.window)) {
			upRec = min(upRec, r.replicas)
		}
		if r.at.After(now.Add(-down.window)) {
			downRec = max(downRec, r.replicas)
		}
	}
	rec := current
	if rec < upRec {
		rec = upRec
	}
	if rec > downRec {
		rec = downRec
	}
	keep := max(up.window, down.window)
	kept := h.recommendations[:0]
	for _, r := range h.recommendations {
		if r.at.After(now.Add(-keep)) {
			kept = append(kept, r)
		}
	}
	h.recommendations = append(kept, recommendation{replicas: proposal, at: now})
	switch {
	case rec == proposal:
		return rec, "ReadyForNewScale", "recommended size matches current size"
	case rec < proposal:
		return rec, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
	default:
		return rec, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
	}
}

// changeIn sums the changes of events within the last period seconds.
func changeIn(events []scaleEvent, period int32, now time.Time) int32 {
	var n int32
	for _, e := range events {
		if e.at.After(now.Add(-time.Duration(period) * time.Second)) {
			n += e.change
		}
	}
	return n
}

// limit is Kubernetes' convertDesiredReplicasWithBehaviorRate: the
// stabilised recommendation bounded by the scale rate policies and by
// min and max replicas, with the ScalingLimited reason and message.
func (h *history) limit(current, desired, minR, maxR int32, up, down rules, now time.Time) (int32, string, string) {
	switch {
	case desired > current:
		lim := h.upLimit(current, up, now)
		if lim < current {
			lim = current
		}
		reason, msg := "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		if maxR <= lim {
			lim, reason, msg = maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		}
		if desired > lim {
			return lim, reason, msg
		}
	case desired < current:
		lim := h.downLimit(current, down, now)
		if lim > current {
			lim = current
		}
		reason, msg := "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		if minR >= lim {
			lim, reason, msg = minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		}
		if desired < lim {
			return lim, reason, msg
		}
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

func (h *history) upLimit(current int32, r rules, now time.Time) int32 {
	if r.policy == selectOff {
		return current
	}
	result, pick := int32(math.MinInt32), func(a, b int32) int32 { return max(a, b) }
	if r.policy == selectMin {
		result, pick = math.MaxInt32, func(a, b int32) int32 { return min(a, b) }
	}
	for _, p := range r.policies {
		start := current - changeIn(h.upEvents, p.PeriodSeconds, now) + changeIn(h.downEv, p.PeriodSeconds, now)
		var proposed int32
		if p.Type == policyPods {
			proposed = start + p.Value
		} else {
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

func (h *history) downLimit(current int32, r rules, now time.Time) int32 {
	if r.policy == selectOff {
		return current
	}
	// Max picks the biggest change, so the fewest replicas.
	result, pick := int32(math.MaxInt32), func(a, b int32) int32 { return min(a, b) }
	if r.policy == selectMin {
		result, pick = math.MinInt32, func(a, b int32) int32 { return max(a, b) }
	}
	for _, p := range r.policies {
		start := current - changeIn(h.upEvents, p.PeriodSeconds, now) + changeIn(h.downEv, p.PeriodSeconds, now)
		var proposed int32
		if p.Type == policyPods {
			proposed = start - p.Value
		} else {
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// record remembers a rescale from current to desired, forgetting events
// older than the longest policy period.
func (h *history) record(current, desired int32, up, down rules, now time.Time) {
	longest := int32(0)
	for _, p := range append(append([]api.HPAScalingPolicy{}, up.policies...), down.policies...) {
		longest = max(longest, p.PeriodSeconds)
	}
	trim := func(ev []scaleEvent) []scaleEvent {
		kept := ev[:0]
		for _, e := range ev {
			if e.at.After(now.Add(-time.Duration(longest) * time.Second)) {
				kept = append(kept, e)
			}
		}
		return kept
	}
	h.upEvents, h.downEv = trim(h.upEvents), trim(h.downEv)
	if desired > current {
		h.upEvents = append(h.upEvents, scaleEvent{change: desired - current, at: now})
	} else if desired < current {
		h.downEv = append(h.downEv, scaleEvent{change: current - desired, at: now})
	}
}
