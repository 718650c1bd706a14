package api

import (
	"slices"
	"strconv"
)

// This file decides whether a pod may go to a node by its node selector,
// required node affinity and tolerations, with Kubernetes' rules. The
// scheduler filters nodes with it and the DaemonSet controller picks the
// nodes that should run a daemon pod with it.

// ToleratesTaint reports whether any of tols matches taint: an empty
// effect matches every effect, an empty key with operator Exists every
// key, and Equal (the default) compares values.
func ToleratesTaint(tols []Toleration, taint Taint) bool {
	for _, t := range tols {
		if t.Effect != "" && t.Effect != taint.Effect {
			continue
		}
		if t.Key != "" && t.Key != taint.Key {
			continue
		}
		switch t.Operator {
		case TolerationOpExists:
			return true
		case "", TolerationOpEqual:
			if t.Value == taint.Value {
				return true
			}
		}
	}
	return false
}

// UntoleratedTaint returns the first taint of taints whose effect is one
// of effects and that tols do not tolerate.
func UntoleratedTaint(taints []Taint, tols []Toleration, effects ...TaintEffect) (Taint, bool) {
	for _, t := range taints {
		if slices.Contains(effects, t.Effect) && !ToleratesTaint(tols, t) {
			return t, true
		}
	}
	return Taint{}, false
}

// MatchesNodeSelector reports whether node's labels satisfy spec's
// nodeSelector and its required node affinity: terms are ORed, the
// requirements of a term ANDed, and a term without requirements matches
// nothing.
func MatchesNodeSelector(spec *PodSpec, node *Node) bool {
	for k, v := range spec.NodeSelector {
		if lv, ok := node.Labels[k]; !ok || lv != v {
			return false
		}
	}
	aff := spec.Affinity
	if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	return slices.ContainsFunc(aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms,
		func(term NodeSelectorTerm) bool { return NodeSelectorTermMatches(term, node) })
}

// NodeSelectorTermMatches reports whether node satisfies every
// requirement of term (none: false). metadata.name is the only field
// matchFields may name.
func NodeSelectorTermMatches(term NodeSelectorTerm, node *Node) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	for _, r := range term.MatchExpressions {
		v, ok := node.Labels[r.Key]
		if !requirementMatches(r, v, ok) {
			return false
		}
	}
	for _, r := range term.MatchFields {
		if r.Key != "metadata.name" || !requirementMatches(r, node.Name, true) {
			return false
		}
	}
	return true
}

// requirementMatches evaluates one requirement against a label value v
// (present says whether the label exists).
func requirementMatches(r NodeSelectorRequirement, v string, present bool) bool {
	switch r.Operator {
	case NodeSelectorOpIn:
		return present && slices.Contains(r.Values, v)
	case NodeSelectorOpNotIn:
		return !present || !slices.Contains(r.Values, v)
	case NodeSelectorOpExists:
		return present
	case NodeSelectorOpDoesNotExist:
		return !present
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if !present || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == NodeSelectorOpGt {
			return have > want
		}
		return have < want
	}
	return false
}
