package fields

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Operator compares a field with a value.
type Operator string

// Operators of field selectors. "==" parses as Equals.
const (
	Equals    Operator = "="
	NotEquals Operator = "!="
)

// Requirement is one term of a selector.
type Requirement struct {
	Field    string
	Operator Operator
	Value    string
}

// String renders the term, escaping the value.
func (r Requirement) String() string { return r.Field + string(r.Operator) + EscapeValue(r.Value) }

// Selector is a conjunction of requirements, sorted by field. The zero value
// selects everything.
type Selector struct {
	reqs []Requirement
}

// Everything returns the selector that matches every object.
func Everything() Selector { return Selector{} }

// OneTermEqualSelector returns the selector "field=value".
func OneTermEqualSelector(field, value string) Selector {
	return Selector{reqs: []Requirement{{Field: field, Operator: Equals, Value: value}}}
}

// SelectorFromSet returns the selector requiring each field of set to
// have its value; an empty set gives Everything.
func SelectorFromSet(set map[string]string) Selector {
	var s Selector
	for f, v := range set {
		s.reqs = append(s.reqs, Requirement{Field: f, Operator: Equals, Value: v})
	}
	sortReqs(s.reqs)
	return s
}

func sortReqs(reqs []Requirement) {
	slices.SortStableFunc(reqs, func(a, b Requirement) int { return strings.Compare(a.Field, b.Field) })
}

// Parse parses a field selector (see the package documentation). Blanks
// around field names are ignored; values are taken literally after
// unescaping. Errors start with "invalid field selector:" and quote the
// offending term.
func Parse(s string) (Selector, error) {
	if strings.TrimSpace(s) == "" {
		return Everything(), nil
	}
	var sel Selector
	for _, term := range splitTerms(s) {
		f, op, raw, ok := splitTerm(term)
		if !ok {
			return Selector{}, fmt.Errorf("invalid field selector: %q: expected field=value, field==value or field!=value", term)
		}
		f = strings.TrimSpace(f)
		if f == "" {
			return Selector{}, fmt.Errorf("invalid field selector: %q: empty field name", term)
		}
		if strings.Contains(f, "!") {
			// No field path has one; "a ! = b" is a mistyped "!=".
			return Selector{}, fmt.Errorf("invalid field selector: %q: '!' in field name %q (not equal is written '!=')", term, f)
		}
		v, err := unescapeValue(raw)
		if err != nil {
			return Selector{}, fmt.Errorf("invalid field selector: %q: %w", term, err)
		}
		sel.reqs = append(sel.reqs, Requirement{Field: f, Operator: op, Value: v})
	}
	sortReqs(sel.reqs)
	return sel, nil
}

// splitTerms splits s at commas not escaped by a backslash.
func splitTerms(s string) []string {
	var terms []string
	start, escaped := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == ',':
			terms = append(terms, s[start:i])
			start = i + 1
		}
	}
	return append(terms, s[start:])
}

// splitTerm splits a term at its first operator; "!=" and "==" win over
// "=" at the same position.
func splitTerm(term string) (field string, op Operator, value string, ok bool) {
	for i := 0; i < len(term); i++ {
		rest := term[i:]
		switch {
		case strings.HasPrefix(rest, "!="):
			return term[:i], NotEquals, rest[2:], true
		case strings.HasPrefix(rest, "=="):
			return term[:i], Equals, rest[2:], true
		case strings.HasPrefix(rest, "="):
			return term[:i], Equals, rest[1:], true
		}
	}
	return "", "", "", false
}

// EscapeValue escapes backslashes, commas and equals signs so that v can be
// used as a value in a selector string.
func EscapeValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`).Replace(v)
}

func unescapeValue(v string) (string, error) {
	if !strings.ContainsAny(v, `\,=`) {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			if i+1 == len(v) || !strings.ContainsRune(`\,=`, rune(v[i+1])) {
				return "", errors.New(`invalid escape sequence (only \\, \, and \= are allowed)`)
			}
			i++
			b.WriteByte(v[i])
		case ',', '=':
			return "", fmt.Errorf("unescaped %q in value", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// Matches reports whether an object satisfies every term. get returns an
// object's value of a field; a field reported absent reads as "".
func (s Selector) Matches(get func(field string) (value string, ok bool)) bool {
	for _, r := range s.reqs {
		v, _ := get(r.Field)
		if (v == r.Value) != (r.Operator == Equals) {
			return false
		}
	}
	return true
}

// Empty reports whether the selector matches everything.
func (s Selector) Empty() bool { return len(s.reqs) == 0 }

// Requirements returns the terms, sorted by field; the caller must not
// modify them.
func (s Selector) Requirements() []Requirement { return s.reqs }

// CheckFields returns an error naming the first field of the selector that
// is not in allowed: "field label not supported: FIELD".
func (s Selector) CheckFields(allowed ...string) error {
	for _, r := range s.reqs {
		if !slices.Contains(allowed, r.Field) {
			return fmt.Errorf("field label not supported: %s", r.Field)
		}
	}
	return nil
}

// Equal returns the value that one of the selector's terms requires field
// to equal ("field=value" or "field==value"), if it has such a term: only
// objects whose field has that value can match.
func (s Selector) Equal(field string) (value string, ok bool) {
	for _, r := range s.reqs {
		if r.Field == field && r.Operator == Equals {
			return r.Value, true
		}
	}
	return "", false
}

// String renders the selector so that Parse gives it back.
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}
