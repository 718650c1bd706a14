package labels

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// Operator relates a label key to a requirement's values.
type Operator string

// Operators of the selector syntax. "==" parses as Equals.
const (
	Equals       Operator = "="
	NotEquals    Operator = "!="
	In           Operator = "in"
	NotIn        Operator = "notin"
	Exists       Operator = "exists"
	DoesNotExist Operator = "!"
	GreaterThan  Operator = "gt"
	LessThan     Operator = "lt"
)

// Requirement is one condition of a selector. Build it with NewRequirement,
// which validates it; Values is sorted and must not be modified.
type Requirement struct {
	Key      string
	Operator Operator
	Values   []string
}

// NewRequirement validates key, operator and values and returns the
// requirement. Equals and NotEquals take exactly one value, In and NotIn at
// least one, Exists and DoesNotExist none, GreaterThan and LessThan one
// integer. The error is prefixed "unable to parse requirement:".
func NewRequirement(key string, op Operator, values []string) (Requirement, error) {
	var errs field.ErrorList
	if err := ValidateKey(key); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("key"), key, err.Error()))
	}
	vp := field.NewPath("values")
	switch op {
	case Equals, NotEquals:
		if len(values) != 1 {
			errs = append(errs, field.Invalid(vp, values, "exact-match compatibility requires one single value"))
		}
	case In, NotIn:
		if len(values) == 0 {
			errs = append(errs, field.Invalid(vp, values, "for 'in', 'notin' operators, values set can't be empty"))
		}
	case Exists, DoesNotExist:
		if len(values) != 0 {
			errs = append(errs, field.Invalid(vp, values, "values set must be empty for exists and does not exist"))
		}
	case GreaterThan, LessThan:
		if len(values) != 1 {
			errs = append(errs, field.Invalid(vp, values, "for 'gt', 'lt' operators, exactly one value is required"))
		} else if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			errs = append(errs, field.Invalid(vp.Index(0), values[0], "for 'gt', 'lt' operators, the value must be an integer"))
		}
	default:
		errs = append(errs, field.NotSupported(field.NewPath("operator"), string(op),
			[]string{"=", "!=", "in", "notin", "exists", "!", "gt", "lt"}))
	}
	for i, v := range values {
		if err := ValidateValue(v); err != nil {
			errs = append(errs, field.Invalid(vp.Index(i), v, err.Error()))
		}
	}
	if err := errs.ToAggregate(); err != nil {
		return Requirement{}, fmt.Errorf("unable to parse requirement: %w", err)
	}
	vals := slices.Clone(values)
	slices.Sort(vals)
	return Requirement{Key: key, Operator: op, Values: slices.Compact(vals)}, nil
}

// Matches reports whether the labels satisfy the requirement. NotEquals and
// NotIn match labels without the key; GreaterThan and LessThan require the
// label's value to be an integer.
func (r Requirement) Matches(l Labels) bool {
	v, ok := l[r.Key]
	switch r.Operator {
	case Equals, In:
		return ok && slices.Contains(r.Values, v)
	case NotEquals, NotIn:
		return !ok || !slices.Contains(r.Values, v)
	case Exists:
		return ok
	case DoesNotExist:
		return !ok
	case GreaterThan, LessThan:
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == GreaterThan {
			return have > want
		}
		return have < want
	}
	return false
}

// String renders the requirement in selector syntax: "a=b", "a in (x,y)",
// "!a", ...
func (r Requirement) String() string {
	vals := strings.Join(r.Values, ",")
	switch r.Operator {
	case Equals, NotEquals:
		return r.Key + string(r.Operator) + vals
	case In, NotIn:
		if vals == "" {
			// The values are [""]: "()" would read as no values at all.
			vals = ","
		}
		return r.Key + " " + string(r.Operator) + " (" + vals + ")"
	case Exists:
		return r.Key
	case DoesNotExist:
		return "!" + r.Key
	case GreaterThan:
		return r.Key + ">" + vals
	case LessThan:
		return r.Key + "<" + vals
	}
	return r.Key + " " + string(r.Operator) + " (" + vals + ")"
}

// Selector is a conjunction of requirements, kept sorted by key. The zero
// value matches everything.
type Selector struct {
	reqs    []Requirement
	nothing bool
}

// Everything returns the selector that matches all labels.
func Everything() Selector { return Selector{} }

// Nothing returns the selector that matches no labels.
func Nothing() Selector { return Selector{nothing: true} }

// NewSelector returns the conjunction of reqs, which should come from
// NewRequirement.
func NewSelector(reqs ...Requirement) Selector {
	s := Selector{reqs: slices.Clone(reqs)}
	slices.SortStableFunc(s.reqs, func(a, b Requirement) int { return strings.Compare(a.Key, b.Key) })
	return s
}

// SelectorFromSet returns the selector requiring every key of set to have
// its value. The set is not validated (it normally comes from an object
// already validated); an empty set gives Everything.
func SelectorFromSet(set map[string]string) Selector {
	reqs := make([]Requirement, 0, len(set))
	for k, v := range set {
		reqs = append(reqs, Requirement{Key: k, Operator: Equals, Values: []string{v}})
	}
	return NewSelector(reqs...)
}

// FromLabelSelector converts a structured selector as metav1's
// LabelSelectorAsSelector does: nil gives Nothing, a selector without
// matchLabels and matchExpressions gives Everything, and every key, value
// and operator is validated.
func FromLabelSelector(ls *api.LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	reqs := make([]Requirement, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	for k, v := range ls.MatchLabels {
		r, err := NewRequirement(k, Equals, []string{v})
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		var op Operator
		switch e.Operator {
		case api.LabelSelectorOpIn:
			op = In
		case api.LabelSelectorOpNotIn:
			op = NotIn
		case api.LabelSelectorOpExists:
			op = Exists
		case api.LabelSelectorOpDoesNotExist:
			op = DoesNotExist
		default:
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	return NewSelector(reqs...), nil
}

// Matches reports whether the labels satisfy every requirement.
func (s Selector) Matches(l Labels) bool {
	if s.nothing {
		return false
	}
	for _, r := range s.reqs {
		if !r.Matches(l) {
			return false
		}
	}
	return true
}

// Empty reports whether the selector matches everything.
func (s Selector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

// Requirements returns the requirements, sorted by key; the caller must
// not modify them. Nothing has none, yet is not Empty.
func (s Selector) Requirements() []Requirement { return s.reqs }

// String renders the selector so that Parse gives it back. Everything and,
// as in Kubernetes, Nothing render as "": a caller that sends Nothing over
// the wire must special-case it.
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}
