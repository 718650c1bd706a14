package structural

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/minik8s/minik8s/api/field"
)

// Validate checks a custom resource (its JSON as map[string]any, numbers
// as json.Number, float64 or integers) against the schema, as
// kube-apiserver's custom resource strategy does on create and update:
// the OpenAPI value validation (kube-openapi's validator, with its
// messages), the metadata of embedded resources, and the uniqueness of
// x-kubernetes-list-type set and map lists. The root's metadata is not
// looked at: that is ObjectMeta, which the pipeline validates as for any
// kind. Errors come out in a stable order (fields sorted), where
// Kubernetes' order follows map iteration.
func (s *Schema) Validate(obj map[string]any) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := s.ValidateValue(nil, obj)
	errs = append(errs, validateEmbedded(nil, obj, s, true)...)
	errs = append(errs, listSetsAndMaps(nil, s, obj)...)
	return append(errs, celErrors(s, errs, obj, nil, false)...)
}

// ValidateUpdate is Validate for an update of old to obj, with
// Kubernetes' validation ratcheting (CRDValidationRatcheting, on by
// default): errors in a part of the object that the update leaves as it
// was are not reported, so that objects stored before a schema was
// tightened can still be updated. Objects correlate field by field and
// x-kubernetes-list-type map lists by key; other lists as wholes. List
// set/map uniqueness is checked only if old had no duplicates.
func (s *Schema) ValidateUpdate(obj, old map[string]any) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := newValidator(s, "").withOld(canonical(old)).validate(canonical(obj)).fieldErrors(nil)
	errs = append(errs, validateEmbedded(nil, obj, s, true)...)
	if len(listSetsAndMaps(nil, s, old)) == 0 {
		errs = append(errs, listSetsAndMaps(nil, s, obj)...)
	}
	return append(errs, celErrors(s, errs, obj, old, true)...)
}

// ValidateStatusUpdate is ValidateStatus with ratcheting against the old
// object's status.
func (s *Schema) ValidateStatusUpdate(obj, old map[string]any) field.ErrorList {
	if s == nil {
		return nil
	}
	status, ok := obj["status"]
	ss := s.Properties["status"]
	if !ok || ss == nil {
		return nil
	}
	v := newValidator(ss, "")
	if os, ok := old["status"]; ok {
		v.withOld(canonical(os))
	}
	return v.validate(canonical(status)).fieldErrors(field.NewPath("status"))
}

// ValidateStatus checks the status of an object written through /status:
// only properties[status] is validated, at path "status", as Kubernetes
// does.
func (s *Schema) ValidateStatus(obj map[string]any) field.ErrorList {
	if s == nil {
		return nil
	}
	status, ok := obj["status"]
	if !ok {
		return nil
	}
	ss := s.Properties["status"]
	if ss == nil {
		return nil
	}
	return ss.ValidateValue(field.NewPath("status"), status)
}

// ValidateValue runs the OpenAPI value validation alone on v, with errors
// rooted at fldPath (nil for a whole object).
func (s *Schema) ValidateValue(fldPath *field.Path, v any) field.ErrorList {
	r := newValidator(s, "").validate(canonical(v))
	return r.fieldErrors(fldPath)
}

// vcode is the kind of a value validation failure, which decides the
// field error it becomes.
type vcode int

const (
	codeOther    vcode = iota // field.Invalid with the value
	codeType                  // field.TypeInvalid
	codeRequired              // field.Required
	codeEnum                  // field.NotSupported
	codeTooLong               // field.TooLong
	codeTooMany               // field.TooMany (items and properties)
	codePlain                 // not tied to a field: Invalid at the root with ""
)

// verr is one failure, as kube-openapi's validate package reports it.
type verr struct {
	code   vcode
	name   string // the value's path: "spec.replicas", ".foo" at the root
	value  any
	valid  int64 // the limit, for TooLong and TooMany
	values []any // enum values
	msg    string
}

// result mirrors kube-openapi's validate.Result: errors, deduplicated by
// message, and a match count that decides which anyOf/oneOf branch's
// errors are reported when all fail.
type result struct {
	errs  []verr
	count int
}

func (r *result) add(e ...verr) {
	for _, n := range e {
		dup := false
		for _, o := range r.errs {
			if o.msg == n.msg {
				dup = true
				break
			}
		}
		if !dup {
			r.errs = append(r.errs, n)
		}
	}
}

func (r *result) merge(o *result) {
	if o == nil {
		return
	}
	r.add(o.errs...)
	r.count += o.count
}

func (r *result) valid() bool { return r == nil || len(r.errs) == 0 }

func errResult(e verr) *result { return &result{errs: []verr{e}} }

// fieldErrors turns failures into field errors as apiextensions-apiserver
// does (kubeOpenAPIResultToFieldErrors).
func (r *result) fieldErrors(fldPath *field.Path) field.ErrorList {
	var out field.ErrorList
	for _, e := range r.errs {
		p := fldPath
		if n := e.name; n != "" && n != "." {
			p = childPath(fldPath, strings.TrimPrefix(n, "."))
		}
		value := e.value
		if value == nil {
			value = ""
		}
		switch e.code {
		case codeRequired:
			out = append(out, field.Required(p, ""))
		case codeEnum:
			vals := make([]string, 0, len(e.values))
			for _, v := range e.values {
				if s, ok := v.(string); ok {
					vals = append(vals, s)
				} else {
					b, _ := json.Marshal(v)
					vals = append(vals, string(b))
				}
			}
			out = append(out, field.NotSupported(p, e.value, vals))
		case codeTooLong:
			out = append(out, field.TooLong(p, int(e.valid)))
		case codeTooMany:
			out = append(out, field.TooMany(p, int(e.value.(int64)), int(e.valid)))
		case codeType:
			out = append(out, field.TypeInvalid(p, value, e.msg))
		case codePlain:
			out = append(out, field.Invalid(fldPath, "", e.msg))
		default:
			out = append(out, field.Invalid(p, value, e.msg))
		}
	}
	return out
}

func childPath(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

// validator validates values against one schema node at one path.
type validator struct {
	s    *Schema
	path string
	// types is the node's type as kube-openapi sees it: int-or-string is
	// ["integer", "string"].
	types []string
	// format is the node's format, or "" where Kubernetes strips it (a
	// format it does not know, or one that does not fit the type).
	format string
	// old is the value this one replaces on an update, when it can be
	// correlated to it (ratcheting: see ValidateUpdate).
	old        any
	correlated bool
}

// withOld returns v correlated to an old value.
func (v *validator) withOld(old any) *validator {
	v.old, v.correlated = old, true
	return v
}

func newValidator(s *Schema, path string) *validator {
	v := &validator{s: s, path: path}
	if s.Type != "" {
		v.types = []string{s.Type}
	}
	if s.IntOrString {
		v.types = []string{"integer", "string"}
	}
	v.format = supportedFormat(v.types, s.Format)
	return v
}

func (v *validator) hasType(t string) bool { return contains(v.types, t) }

// canonical returns a copy of v with JSON numbers as Kubernetes' JSON
// decoding gives them: int64 when the number is an integer that fits,
// float64 otherwise. Validation compares and prints values in that form.
func canonical(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonical(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(e)
		}
		return out
	}
	return v
}

// schemaType is the JSON type of a canonical value, and the format
// kube-openapi infers for it.
func schemaType(d any) (string, string) {
	switch d.(type) {
	case bool:
		return "boolean", ""
	case string:
		return "string", ""
	case int64:
		return "integer", "int64"
	case float64:
		return "number", "float64"
	case []any:
		return "array", ""
	case map[string]any:
		return "object", ""
	}
	return "", ""
}

// validate is kube-openapi's SchemaValidator.Validate.
func (v *validator) validate(d any) *result {
	r := &result{}
	if d == nil {
		if len(v.types) > 0 || v.format != "" {
			r.merge(v.typeCheck(d))
		}
		r.merge(v.enum(d))
		if v.correlated && v.old == nil {
			return &result{count: r.count}
		}
		return r
	}
	_, isString := d.(string)
	_, isSlice := d.([]any)
	_, isMap := d.(map[string]any)
	_, isInt := d.(int64)
	_, isFloat := d.(float64)
	step := func(o *result) {
		r.merge(o)
		r.count++
	}
	if len(v.types) > 0 || v.format != "" {
		step(v.typeCheck(d))
	}
	step(v.junctors(d))
	if isString {
		step(v.stringCheck(d.(string)))
		if v.format != "" {
			step(v.formatCheck(d.(string)))
		}
	}
	if isInt || isFloat {
		step(v.numberCheck(d))
	}
	if isSlice {
		step(v.sliceCheck(d.([]any)))
	}
	step(v.enum(d))
	if isMap {
		step(v.objectCheck(d.(map[string]any)))
	}
	r.count++
	if v.correlated && !r.valid() && equalOld(d, canonical(v.old), v.s) {
		// Ratcheting: a value the update leaves as it was keeps its
		// errors to itself.
		return &result{count: r.count}
	}
	return r
}

func invalidType(name, typ string, value any) verr {
	var msg string
	switch value.(type) {
	case string:
		msg = fmt.Sprintf("%s in body must be of type %s: %q", name, typ, value)
	default:
		msg = fmt.Sprintf("%s in body must be of type %s", name, typ)
	}
	return verr{code: codeType, name: name, value: value, msg: msg}
}

// typeCheck is kube-openapi's typeValidator, quirks included: a string
// schema with a format accepts any string or array, and an integer
// accepts a number without a fraction.
func (v *validator) typeCheck(d any) *result {
	if d == nil {
		if len(v.types) > 0 && !v.hasType("null") && !v.s.Nullable {
			return errResult(invalidType(v.path, strings.Join(v.types, ","), "null"))
		}
		return &result{count: 1}
	}
	schType, format := schemaType(d)
	_, isString := d.(string)
	_, isSlice := d.([]any)
	f, isFloat := d.(float64)
	isFloatInt := isFloat && isJSONInteger(f) && v.hasType("integer")
	isIntFloat := schType == "integer" && v.hasType("number")
	if !isString && !isSlice && v.format != "" && !(v.hasType(schType) || format == v.format || isFloatInt || isIntFloat) {
		return errResult(invalidType(v.path, v.format, format))
	}
	if !(v.hasType("number") || v.hasType("integer")) && v.format != "" && (isString || isSlice) {
		return &result{count: 1}
	}
	if !(v.hasType(schType) || isFloatInt || isIntFloat) {
		return errResult(invalidType(v.path, strings.Join(v.types, ","), schType))
	}
	return &result{count: 1}
}

// isJSONInteger is go-openapi's IsFloat64AJSONInteger.
func isJSONInteger(f float64) bool {
	const maxJSONFloat = float64(1<<53 - 1)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < -maxJSONFloat || f > maxJSONFloat {
		return false
	}
	g := math.Trunc(f)
	if f == g {
		return true
	}
	diff := math.Abs(f - g)
	return diff/math.Min(math.Abs(f)+math.Abs(g), math.MaxFloat64) < 1e-9
}

// junctors is kube-openapi's schemaPropsValidator: allOf, anyOf, oneOf,
// not, each branch validated at the same path.
func (v *validator) junctors(d any) *result {
	s := v.s
	main := &result{}
	if len(s.AnyOf) > 0 {
		var best, firstSuccess *result
		ok := false
		for _, b := range s.AnyOf {
			r := v.branch(b).validate(d)
			if r.valid() {
				best, ok = nil, true
				firstSuccess = r
				break
			}
			if best == nil || r.count > best.count {
				best = r
			}
		}
		if !ok {
			main.add(verr{code: codePlain, msg: fmt.Sprintf("%q must validate at least one schema (anyOf)", v.path)})
		}
		if best != nil {
			main.merge(best)
		} else {
			main.merge(firstSuccess)
		}
	}
	if len(s.OneOf) > 0 {
		var best, firstSuccess *result
		validated := 0
		for _, b := range s.OneOf {
			r := v.branch(b).validate(d)
			if r.valid() {
				validated++
				best = nil
				if firstSuccess == nil {
					firstSuccess = r
				}
				continue
			}
			if validated == 0 && (best == nil || r.count > best.count) {
				best = r
			}
		}
		if validated != 1 {
			more := "Found none valid"
			if validated > 1 {
				more = fmt.Sprintf("Found %d valid alternatives", validated)
			}
			main.add(verr{code: codePlain, msg: fmt.Sprintf("%q must validate one and only one schema (oneOf). %s", v.path, more)})
			main.merge(best)
		} else {
			main.merge(firstSuccess)
		}
	}
	if len(s.AllOf) > 0 {
		validated := 0
		for _, b := range s.AllOf {
			r := v.branch(b).validate(d)
			if r.valid() {
				validated++
			}
			main.merge(r)
		}
		if validated != len(s.AllOf) {
			more := ""
			if validated == 0 {
				more = ". None validated"
			}
			main.add(verr{code: codePlain, msg: fmt.Sprintf("%q must validate all the schemas (allOf)%s", v.path, more)})
		}
	}
	if s.Not != nil {
		if v.branch(s.Not).validate(d).valid() {
			main.add(verr{code: codePlain, msg: fmt.Sprintf("%q must not validate the schema (not)", v.path)})
		}
	}
	main.count++
	return main
}

// stringCheck is kube-openapi's stringValidator: the first failure only.
func (v *validator) stringCheck(d string) *result {
	s := v.s
	n := int64(utf8.RuneCountInString(d))
	if s.MaxLength != nil && n > *s.MaxLength {
		return errResult(verr{code: codeTooLong, name: v.path, value: d, valid: *s.MaxLength,
			msg: fmt.Sprintf("%s in body should be at most %d chars long", v.path, *s.MaxLength)})
	}
	if s.MinLength != nil && n < *s.MinLength {
		return errResult(verr{name: v.path, value: d, msg: fmt.Sprintf("%s in body should be at least %d chars long", v.path, *s.MinLength)})
	}
	if s.Pattern != "" {
		re, err := compilePattern(s.Pattern)
		if err != nil {
			return errResult(verr{name: v.path, value: d,
				msg: fmt.Sprintf("%s in body should match '%s'", v.path, fmt.Sprintf("%s, but pattern is invalid: %s", s.Pattern, err))})
		}
		if !re.MatchString(d) {
			return errResult(verr{name: v.path, value: d, msg: fmt.Sprintf("%s in body should match '%s'", v.path, s.Pattern)})
		}
	}
	return nil
}

// patterns caches compiled patterns: a schema's pattern is checked on
// every write of every object of its kind.
var patterns sync.Map // string → *regexp.Regexp

func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

func (v *validator) formatCheck(d string) *result {
	if validFormat(v.format, d) {
		return nil
	}
	return errResult(invalidType(v.path, v.format, d))
}

// numberCheck is kube-openapi's numberValidator: the value's and the
// bounds' fit for the format, multipleOf, minimum and maximum.
func (v *validator) numberCheck(d any) *result {
	s := v.s
	typeName, format := "", ""
	if len(v.types) == 1 {
		switch v.types[0] {
		case "integer":
			typeName = "integer"
			if v.s.Format == "int32" || v.s.Format == "int64" {
				format = v.s.Format
			}
		case "number":
			typeName = "number"
			if v.s.Format == "float" || v.s.Format == "double" {
				format = v.s.Format
			}
		}
	}
	r := &result{}
	if err := inRange(d, typeName, format, "Checked", v.path); err != "" {
		r.add(verr{code: codePlain, msg: err})
	}
	var multiple, minimum, maximum result
	if s.MultipleOf != nil {
		if err := inRange(*s.MultipleOf, typeName, format, "MultipleOf", v.path); err != "" {
			multiple.add(verr{code: codePlain, msg: err})
			multiple.add(multipleOfFloat(v.path, toF(d), *s.MultipleOf)...)
		} else {
			multiple.add(multipleOfNative(v.path, d, *s.MultipleOf)...)
		}
	}
	if s.Minimum != nil {
		if err := inRange(*s.Minimum, typeName, format, "Minimum boundary", v.path); err != "" {
			minimum.add(verr{code: codePlain, msg: err})
			minimum.add(bound(v.path, d, toF(d), *s.Minimum, s.ExclusiveMinimum, false, false)...)
		} else {
			minimum.add(bound(v.path, d, toF(d), *s.Minimum, s.ExclusiveMinimum, false, true)...)
		}
	}
	if s.Maximum != nil {
		if err := inRange(*s.Maximum, typeName, format, "Maximum boundary", v.path); err != "" {
			maximum.add(verr{code: codePlain, msg: err})
			maximum.add(bound(v.path, d, toF(d), *s.Maximum, s.ExclusiveMaximum, true, false)...)
		} else {
			maximum.add(bound(v.path, d, toF(d), *s.Maximum, s.ExclusiveMaximum, true, true)...)
		}
	}
	r.merge(&multiple)
	r.merge(&minimum)
	r.merge(&maximum)
	r.count++
	return r
}

func toF(d any) float64 {
	f, _ := toFloat(d)
	return f
}

// formatNumber is go-openapi's string form of a number for range checks.
func formatNumber(d any) string {
	switch n := d.(type) {
	case int64:
		return strconv.FormatInt(n, 10)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return ""
}

// inRange is kube-openapi's IsValueValidAgainstRange: "" when d fits the
// type and format.
func inRange(d any, typeName, format, prefix, path string) string {
	rep := formatNumber(d)
	var err error
	switch typeName {
	case "integer":
		if format == "int32" {
			_, err = strconv.ParseInt(rep, 10, 32)
		} else {
			_, err = strconv.ParseInt(rep, 10, 64)
		}
	default:
		if format == "float" {
			_, err = strconv.ParseFloat(rep, 32)
		}
	}
	if err == nil {
		return ""
	}
	if format != "" {
		return fmt.Sprintf("%s value must be of type %s with format %s in %s", prefix, typeName, format, path)
	}
	return fmt.Sprintf("%s value must be of type %s (default format) in %s", prefix, typeName, path)
}

func multipleOfNative(path string, d any, factor float64) []verr {
	if i, ok := d.(int64); ok {
		f := int64(factor)
		if f <= 0 {
			return []verr{{name: path, value: f, msg: fmt.Sprintf("factor MultipleOf declared for %s must be positive: %v", path, f)}}
		}
		if i/f*f != i {
			return []verr{{name: path, value: d, msg: fmt.Sprintf("%s in body should be a multiple of %v", path, f)}}
		}
		return nil
	}
	return multipleOfFloat(path, toF(d), factor)
}

func multipleOfFloat(path string, d, factor float64) []verr {
	if factor <= 0 {
		return []verr{{name: path, value: factor, msg: fmt.Sprintf("factor MultipleOf declared for %s must be positive: %v", path, factor)}}
	}
	var mult float64
	if factor < 1 {
		mult = 1 / factor * d
	} else {
		mult = d / factor
	}
	if !isJSONInteger(mult) {
		return []verr{{name: path, value: d, msg: fmt.Sprintf("%s in body should be a multiple of %v", path, factor)}}
	}
	return nil
}

// bound checks a minimum (isMax false) or maximum, on integers as
// integers when native (as kube-openapi does when the bound fits the
// type).
func bound(path string, d any, f, limit float64, exclusive, isMax, native bool) []verr {
	if i, ok := d.(int64); ok && native {
		l := int64(limit)
		if isMax && (!exclusive && i > l || exclusive && i >= l) || !isMax && (!exclusive && i < l || exclusive && i <= l) {
			return []verr{{name: path, value: d, msg: boundMessage(path, l, exclusive, isMax)}}
		}
		return nil
	}
	if isMax && (!exclusive && f > limit || exclusive && f >= limit) || !isMax && (!exclusive && f < limit || exclusive && f <= limit) {
		return []verr{{name: path, value: d, msg: boundMessage(path, limit, exclusive, isMax)}}
	}
	return nil
}

func boundMessage(path string, limit any, exclusive, isMax bool) string {
	switch {
	case isMax && exclusive:
		return fmt.Sprintf("%s in body should be less than %v", path, limit)
	case isMax:
		return fmt.Sprintf("%s in body should be less than or equal to %v", path, limit)
	case exclusive:
		return fmt.Sprintf("%s in body should be greater than %v", path, limit)
	}
	return fmt.Sprintf("%s in body should be greater than or equal to %v", path, limit)
}

// sliceCheck is kube-openapi's schemaSliceValidator.
func (v *validator) sliceCheck(d []any) *result {
	s := v.s
	r := &result{}
	if s.Items != nil {
		for i, e := range d {
			iv := newValidator(s.Items, fmt.Sprintf("%s[%d]", v.path, i))
			if old, ok := v.oldItem(e); ok {
				iv.withOld(old)
			}
			r.merge(iv.validate(e))
		}
	}
	size := int64(len(d))
	if s.MinItems != nil && size < *s.MinItems {
		r.add(verr{name: v.path, value: size, msg: fmt.Sprintf("%s in body should have at least %d items", v.path, *s.MinItems)})
	}
	if s.MaxItems != nil && size > *s.MaxItems {
		r.add(verr{code: codeTooMany, name: v.path, value: size, valid: *s.MaxItems, msg: fmt.Sprintf("%s in body should have at most %d items", v.path, *s.MaxItems)})
	}
	if s.UniqueItems {
		for i := range d {
			for j := 0; j < i; j++ {
				if reflect.DeepEqual(d[i], d[j]) {
					r.add(verr{name: v.path, msg: fmt.Sprintf("%s in body shouldn't contain duplicates", v.path)})
					break
				}
			}
		}
	}
	r.count++
	return r
}

// enum is kube-openapi's basicCommonValidator: a value matches an enum
// entry if it converts to the entry's Go type and is then equal (so 1.5
// matches 1, as there). null never matches.
func (v *validator) enum(d any) *result {
	if len(v.s.Enum) == 0 {
		return nil
	}
	values := make([]any, len(v.s.Enum))
	for i, e := range v.s.Enum {
		values[i] = canonical(e)
	}
	for _, e := range values {
		if enumMatch(d, e) {
			return nil
		}
	}
	return errResult(verr{code: codeEnum, name: v.path, value: d, values: values,
		msg: fmt.Sprintf("%s in body should be one of %v", v.path, values)})
}

func enumMatch(d, e any) bool {
	if d == nil || e == nil {
		return false
	}
	switch ev := e.(type) {
	case int64:
		switch dv := d.(type) {
		case int64:
			return dv == ev
		case float64:
			return int64(dv) == ev
		}
		return false
	case float64:
		switch dv := d.(type) {
		case int64:
			return float64(dv) == ev
		case float64:
			return dv == ev
		}
		return false
	case string:
		switch dv := d.(type) {
		case string:
			return dv == ev
		case int64:
			return string(rune(dv)) == ev // reflect's int-to-string conversion
		}
		return false
	}
	return reflect.DeepEqual(d, e)
}

// objectCheck is kube-openapi's objectValidator.
func (v *validator) objectCheck(d map[string]any) *result {
	s := v.s
	r := &result{}
	n := int64(len(d))
	if s.MinProperties != nil && n < *s.MinProperties {
		r.add(verr{name: v.path, value: n, msg: fmt.Sprintf("%s in body should have at least %d properties", v.path, *s.MinProperties)})
	}
	if s.MaxProperties != nil && n > *s.MaxProperties {
		r.add(verr{code: codeTooMany, name: v.path, value: n, valid: *s.MaxProperties, msg: fmt.Sprintf("%s in body should have at most %d properties", v.path, *s.MaxProperties)})
	}
	keys := sortedKeys(d)
	if a := s.AdditionalProperties; a != nil && !a.Allows {
		for _, k := range keys {
			if _, ok := s.Properties[k]; !ok {
				r.add(verr{name: v.path, value: k, msg: fmt.Sprintf("%s.%s in body is a forbidden property", v.path, k)})
			}
		}
	} else if a != nil && a.Schema != nil {
		for _, k := range keys {
			if _, ok := s.Properties[k]; !ok {
				r.merge(v.child(a.Schema, v.path+"."+k, k).validate(d[k]))
			}
		}
	}
	for _, k := range sortedKeys(s.Properties) {
		if e, ok := d[k]; ok {
			name := k
			if v.path != "" {
				name = v.path + "." + k
			}
			r.merge(v.child(s.Properties[k], name, k).validate(e))
		}
	}
	for _, k := range s.Required {
		if _, ok := d[k]; !ok {
			r.add(verr{code: codeRequired, name: v.path + "." + k, msg: fmt.Sprintf("%s.%s in body is required", v.path, k)})
		}
	}
	return r
}

// listSetsAndMaps checks that x-kubernetes-list-type set lists have unique
// items and map lists unique keys, with Kubernetes' Duplicate errors.
func listSetsAndMaps(p *field.Path, s *Schema, obj map[string]any) field.ErrorList {
	if s == nil || obj == nil {
		return nil
	}
	var errs field.ErrorList
	keys := sortedKeys(obj)
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		for _, k := range keys {
			errs = append(errs, listSetsAndMapsValue(p.Key(k), s.AdditionalProperties.Schema, obj[k])...)
		}
	}
	for _, k := range keys {
		if sub, ok := s.Properties[k]; ok {
			errs = append(errs, listSetsAndMapsValue(childPath(p, k), sub, obj[k])...)
		}
	}
	return errs
}

func listSetsAndMapsValue(p *field.Path, s *Schema, v any) field.ErrorList {
	switch x := v.(type) {
	case []any:
		var errs field.ErrorList
		switch s.ListType {
		case "set":
			for _, i := range nonUnique(x) {
				errs = append(errs, field.Duplicate(p.Index(i), canonical(x[i])))
			}
		case "map":
			errs = append(errs, listMapKeys(p, s, x)...)
		}
		if s.Items != nil {
			for i, e := range x {
				errs = append(errs, listSetsAndMapsValue(p.Index(i), s.Items, e)...)
			}
		}
		return errs
	case map[string]any:
		return listSetsAndMaps(p, s, x)
	}
	return nil
}

// nonUnique returns the index of the second occurrence of every value
// that occurs more than once.
func nonUnique(l []any) []int {
	seen := map[string]int{}
	var out []int
	for i, x := range l {
		b, _ := json.Marshal(canonical(x))
		k := fmt.Sprintf("%T:%s", canonical(x), b)
		seen[k]++
		if seen[k] == 2 {
			out = append(out, i)
		}
	}
	return out
}

func listMapKeys(p *field.Path, s *Schema, l []any) field.ErrorList {
	for i, x := range l {
		if _, ok := x.(map[string]any); x != nil && !ok {
			return field.ErrorList{field.Invalid(p.Index(i), canonical(x), "must be an object for an array of list-type map")}
		}
	}
	if len(l) <= 1 {
		return nil
	}
	keys := make([]any, len(l))
	for i, x := range l {
		m, _ := x.(map[string]any)
		key := map[string]any{}
		for _, k := range s.ListMapKeys {
			if e, ok := m[k]; ok {
				key[k] = canonical(e)
			}
		}
		keys[i] = key
	}
	var errs field.ErrorList
	for _, i := range nonUnique(keys) {
		errs = append(errs, field.Duplicate(p.Index(i), keys[i]))
	}
	return errs
}

// sortErrors orders errors by their text, for tests that compare lists.
func sortErrors(l field.ErrorList) {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Error() < l[j].Error() })
}

// branch is the validator of an allOf/anyOf/oneOf/not branch: the same
// value at the same path, correlated as v is.
func (v *validator) branch(b *Schema) *validator {
	n := newValidator(b, v.path)
	n.old, n.correlated = v.old, v.correlated
	return n
}

// child is the validator of field k of v's object, correlated to the old
// object's field k where both have it (not the root's apiVersion and kind,
// as in Kubernetes).
func (v *validator) child(s *Schema, path, k string) *validator {
	n := newValidator(s, path)
	if !v.correlated || v.path == "" && (k == "apiVersion" || k == "kind") {
		return n
	}
	if om, ok := v.old.(map[string]any); ok {
		if old, ok := om[k]; ok {
			n.withOld(old)
		}
	}
	return n
}

// oldItem is the old element that element e of v's list replaces: only
// x-kubernetes-list-type map lists correlate elements (by their keys).
func (v *validator) oldItem(e any) (any, bool) {
	if !v.correlated || v.s.ListType != "map" {
		return nil, false
	}
	ol, ok := v.old.([]any)
	if !ok {
		return nil, false
	}
	return findByKeys(ol, e, v.s.ListMapKeys)
}

// findByKeys finds the element of l with e's map keys.
func findByKeys(l []any, e any, keys []string) (any, bool) {
	em, ok := e.(map[string]any)
	if !ok {
		return nil, false
	}
	for _, o := range l {
		om, ok := o.(map[string]any)
		if !ok {
			continue
		}
		same := true
		for _, k := range keys {
			ev, eok := em[k]
			ov, ook := om[k]
			if eok != ook || !reflect.DeepEqual(canonical(ev), canonical(ov)) {
				same = false
				break
			}
		}
		if same {
			return o, true
		}
	}
	return nil, false
}

// equalOld is Kubernetes' ratcheting equality of a value and its old
// value: objects field by field (a field the schema does not declare
// makes them unequal), map lists element by element by key, other lists
// and scalars as wholes.
func equalOld(d, old any, s *Schema) bool {
	if d == nil || old == nil {
		return d == nil && old == nil
	}
	switch x := d.(type) {
	case map[string]any:
		om, ok := old.(map[string]any)
		if !ok || len(om) != len(x) {
			return false
		}
		for k, e := range x {
			o, ok := om[k]
			fs := s.fieldSchema(k)
			if !ok || fs == nil || !equalOld(e, o, fs) {
				return false
			}
		}
		return true
	case []any:
		ol, ok := old.([]any)
		if !ok || len(ol) != len(x) {
			return false
		}
		if s == nil || s.ListType != "map" || s.Items == nil {
			return reflect.DeepEqual(x, ol)
		}
		for _, e := range x {
			o, ok := findByKeys(ol, e, s.ListMapKeys)
			if !ok || !equalOld(e, canonical(o), s.Items) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(d, old)
}
