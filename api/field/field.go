// Package field describes field-level validation errors, the causes of a
// 422 Invalid Status, in the form Kubernetes reports them.
package field

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ErrorType is the kind of a field error; its string is the Status cause's
// reason ("FieldValueInvalid", ...).
type ErrorType string

const (
	ErrorTypeNotFound     ErrorType = "FieldValueNotFound"
	ErrorTypeRequired     ErrorType = "FieldValueRequired"
	ErrorTypeDuplicate    ErrorType = "FieldValueDuplicate"
	ErrorTypeInvalid      ErrorType = "FieldValueInvalid"
	ErrorTypeNotSupported ErrorType = "FieldValueNotSupported"
	ErrorTypeForbidden    ErrorType = "FieldValueForbidden"
	ErrorTypeTooLong      ErrorType = "FieldValueTooLong"
	ErrorTypeTypeInvalid  ErrorType = "FieldValueTypeInvalid"
	ErrorTypeTooMany      ErrorType = "FieldValueTooMany"
)

// Path is a field path such as spec.containers[0].image.
type Path struct {
	parent *Path
	name   string // a field name, or "" for an index/key step
	index  string
}

// NewPath starts a path at a top-level field.
func NewPath(name string, more ...string) *Path {
	p := &Path{name: name}
	for _, m := range more {
		p = p.Child(m)
	}
	return p
}

// Child returns the path of a sub-field.
func (p *Path) Child(name string, more ...string) *Path {
	c := &Path{parent: p, name: name}
	for _, m := range more {
		c = c.Child(m)
	}
	return c
}

// Index returns the path of a list element.
func (p *Path) Index(i int) *Path { return &Path{parent: p, index: fmt.Sprint(i)} }

// Key returns the path of a map entry.
func (p *Path) Key(k string) *Path { return &Path{parent: p, index: k} }

// String renders the path as Kubernetes does: a.b[0].c[key].
func (p *Path) String() string {
	if p == nil {
		return "<nil>"
	}
	var elems []*Path
	for q := p; q != nil; q = q.parent {
		elems = append(elems, q)
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		if e.name != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.name)
		} else {
			b.WriteString("[" + e.index + "]")
		}
	}
	return b.String()
}

// Error is one field-level problem.
type Error struct {
	Type     ErrorType
	Field    string
	BadValue any
	Detail   string
}

func (e *Error) Error() string { return e.Field + ": " + e.ErrorBody() }

// ErrorBody is the error text without the field name, as Kubernetes words it.
func (e *Error) ErrorBody() string {
	var s string
	switch e.Type {
	case ErrorTypeRequired:
		s = "Required value"
	case ErrorTypeForbidden:
		s = "Forbidden"
	case ErrorTypeDuplicate:
		s = "Duplicate value"
		if _, omit := e.BadValue.(omitValue); !omit {
			s += ": " + quote(e.BadValue)
		}
	case ErrorTypeNotSupported:
		s = fmt.Sprintf("Unsupported value: %s", quote(e.BadValue))
	case ErrorTypeNotFound:
		s = fmt.Sprintf("Not found: %s", quote(e.BadValue))
	case ErrorTypeTooLong:
		s = "Too long"
	case ErrorTypeTooMany:
		s = fmt.Sprintf("Too many: %s", quote(e.BadValue))
	default:
		s = "Invalid value"
		if _, omit := e.BadValue.(omitValue); !omit { // (a map cannot be compared)
			s += ": " + quote(e.BadValue)
		}
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// omitValue is the BadValue of an error whose value is not shown.
type omitValue struct{}

// OmitValue as an error's BadValue leaves the value out of the message
// ("Invalid value: detail"), as Kubernetes does for objects and lists.
var OmitValue any = omitValue{}

// quote renders a bad value as Kubernetes does: strings quoted, simple
// values as they are, anything else as JSON.
func quote(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case int, int32, int64, float32, float64, bool, json.Number:
		return fmt.Sprintf("%v", x)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%v", v)
}

// ErrorList is every problem found in one object.
type ErrorList []*Error

// ToAggregate joins the list's messages (nil for an empty list).
func (l ErrorList) ToAggregate() error {
	if len(l) == 0 {
		return nil
	}
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	if len(msgs) == 1 {
		return fmt.Errorf("%s", msgs[0])
	}
	return fmt.Errorf("[%s]", strings.Join(msgs, ", "))
}

func Required(p *Path, detail string) *Error {
	return &Error{Type: ErrorTypeRequired, Field: p.String(), Detail: detail}
}
func Invalid(p *Path, v any, detail string) *Error {
	return &Error{Type: ErrorTypeInvalid, Field: p.String(), BadValue: v, Detail: detail}
}
func Forbidden(p *Path, detail string) *Error {
	return &Error{Type: ErrorTypeForbidden, Field: p.String(), Detail: detail}
}
func Duplicate(p *Path, v any) *Error {
	return &Error{Type: ErrorTypeDuplicate, Field: p.String(), BadValue: v}
}
func NotSupported(p *Path, v any, valid []string) *Error {
	d := ""
	if len(valid) > 0 {
		d = "supported values: \"" + strings.Join(valid, "\", \"") + "\""
	}
	return &Error{Type: ErrorTypeNotSupported, Field: p.String(), BadValue: v, Detail: d}
}

// TypeInvalid reports a value of the wrong type; Kubernetes words it as
// Invalid, with its own reason.
func TypeInvalid(p *Path, v any, detail string) *Error {
	return &Error{Type: ErrorTypeTypeInvalid, Field: p.String(), BadValue: v, Detail: detail}
}

// TooMany reports a list or map with more than max entries (it has
// actual).
func TooMany(p *Path, actual, max int) *Error {
	is := "items"
	if max == 1 {
		is = "item"
	}
	return &Error{Type: ErrorTypeTooMany, Field: p.String(), BadValue: actual, Detail: fmt.Sprintf("must have at most %d %s", max, is)}
}

// TooLong reports a value longer than maxLength bytes, as Kubernetes
// 1.32 words it; the value itself is not repeated.
func TooLong(p *Path, maxLength int) *Error {
	return &Error{Type: ErrorTypeTooLong, Field: p.String(), Detail: fmt.Sprintf("may not be more than %d bytes", maxLength)}
}
