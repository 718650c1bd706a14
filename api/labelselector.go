package api

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// LabelSelector selects objects by their labels (meta/v1). The requirements
// of MatchLabels and MatchExpressions are ANDed. An empty selector matches
// every object; a nil selector matches none.
type LabelSelector struct {
	// MatchLabels requires each key to have the given value.
	MatchLabels map[string]string `json:"matchLabels,omitempty" protobuf:"bytes,1,rep,name=matchLabels"`
	// MatchExpressions are further requirements.
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty" protobuf:"bytes,2,rep,name=matchExpressions"`
}

// LabelSelectorRequirement relates a label key to values with an operator.
type LabelSelectorRequirement struct {
	// Key is the label key.
	Key string `json:"key" patchStrategy:"merge" patchMergeKey:"key" protobuf:"bytes,1,opt,name=key"`
	// Operator: In, NotIn, Exists or DoesNotExist.
	Operator LabelSelectorOperator `json:"operator" protobuf:"bytes,2,opt,name=operator"`
	// Values: non-empty for In and NotIn, empty for Exists and DoesNotExist.
	Values []string `json:"values,omitempty" protobuf:"bytes,3,rep,name=values"`
}

// LabelSelectorOperator relates a label key to values.
type LabelSelectorOperator string

// Label selector operators.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// Matches reports whether labels satisfy the selector. A nil selector
// matches nothing, an empty one everything. It returns an error for an
// unknown operator or an In/NotIn requirement without values.
func (s *LabelSelector) Matches(labels map[string]string) (bool, error) {
	if s == nil {
		return false, nil
	}
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false, nil
		}
	}
	for _, r := range s.MatchExpressions {
		v, ok := labels[r.Key]
		switch r.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				return false, fmt.Errorf("match label selector: operator %s of key %q needs values", r.Operator, r.Key)
			}
			in := ok && slices.Contains(r.Values, v)
			if in != (r.Operator == LabelSelectorOpIn) {
				return false, nil
			}
		case LabelSelectorOpExists:
			if !ok {
				return false, nil
			}
		case LabelSelectorOpDoesNotExist:
			if ok {
				return false, nil
			}
		default:
			return false, fmt.Errorf("match label selector: unknown operator %q", r.Operator)
		}
	}
	return true, nil
}

// String renders the selector in the string form of the labelSelector
// query parameter and of Scale.Status.Selector: "a=b,c in (d,e),!f", with
// requirements sorted by key. A nil selector renders as "".
func (s *LabelSelector) String() string {
	if s == nil {
		return ""
	}
	type req struct{ key, text string }
	var reqs []req
	for k, v := range s.MatchLabels {
		reqs = append(reqs, req{k, k + "=" + v})
	}
	for _, r := range s.MatchExpressions {
		vals := slices.Clone(r.Values)
		sort.Strings(vals)
		var t string
		switch r.Operator {
		case LabelSelectorOpIn:
			t = r.Key + " in (" + strings.Join(vals, ",") + ")"
		case LabelSelectorOpNotIn:
			t = r.Key + " notin (" + strings.Join(vals, ",") + ")"
		case LabelSelectorOpExists:
			t = r.Key
		case LabelSelectorOpDoesNotExist:
			t = "!" + r.Key
		default:
			t = r.Key + " " + string(r.Operator) + " (" + strings.Join(vals, ",") + ")"
		}
		reqs = append(reqs, req{r.Key, t})
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].key < reqs[j].key })
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		parts[i] = r.text
	}
	return strings.Join(parts, ",")
}
