package structural

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"

	"github.com/minik8s/minik8s/api/field"
)

// celRule is one compiled x-kubernetes-validations rule.
type celRule struct {
	rule, message, reason, fieldPath string
	prog, messageProg                cel.Program
	usesOldSelf                      bool
}

// perCallLimit bounds the cost of one evaluation, as Kubernetes'
// PerCallLimit does, so that no rule can spin the API server.
const perCallLimit = 1000000

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
)

// env is the CEL environment of validation rules: self and oldSelf, with
// the standard library, strings and sets extensions, optionals and
// comparisons across numeric types, as Kubernetes' base environment has.
// Values are dynamically typed: a reference to a field the schema does not
// declare fails when evaluated rather than when the CRD is created.
// Kubernetes' own libraries (quantity, url, ip, ...) are not there: a rule
// that calls them does not compile, and its CRD is refused.
func env() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			cel.Variable("self", cel.DynType),
			cel.Variable("oldSelf", cel.DynType),
			cel.CrossTypeNumericComparisons(true),
			cel.OptionalTypes(),
			ext.Strings(ext.StringsVersion(2)),
			ext.Sets(),
		)
	})
	return celEnv, celEnvErr
}

// compileRules compiles the x-kubernetes-validations of every structural
// node of s, reporting rules that do not compile as Kubernetes does.
func compileRules(s *Schema, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	if len(s.Validations) > 0 {
		e, err := env()
		if err != nil {
			return field.ErrorList{field.Invalid(p.Child("x-kubernetes-validations"), "", fmt.Sprintf("rule compiler initialization error: %v", err))}
		}
		for i, raw := range s.Validations {
			m, _ := raw.(map[string]any)
			str := func(k string) string { v, _ := m[k].(string); return v }
			r := &celRule{rule: str("rule"), message: str("message"), reason: str("reason"), fieldPath: str("fieldPath")}
			rp := p.Child("x-kubernetes-validations").Index(i)
			if strings.TrimSpace(r.rule) == "" {
				continue // reported by validationRules
			}
			prog, usesOld, err := compile(e, r.rule)
			if err != "" {
				errs = append(errs, field.Invalid(rp.Child("rule"), canonical(raw), "compilation failed: "+err))
				continue
			}
			r.prog, r.usesOldSelf = prog, usesOld
			if me := strings.TrimSpace(str("messageExpression")); me != "" {
				mp, _, err := compile(e, me)
				if err != "" {
					errs = append(errs, field.Invalid(rp.Child("messageExpression"), canonical(raw), "messageExpression compilation failed: "+err))
					continue
				}
				r.messageProg = mp
			}
			s.rules = append(s.rules, r)
		}
	}
	errs = append(errs, compileRules(s.Items, p.Child("items"))...)
	for _, k := range sortedKeys(s.Properties) {
		errs = append(errs, compileRules(s.Properties[k], p.Child("properties").Key(k))...)
	}
	if s.AdditionalProperties != nil {
		errs = append(errs, compileRules(s.AdditionalProperties.Schema, p.Child("additionalProperties"))...)
	}
	return errs
}

// compile compiles one expression; it reports whether it refers to oldSelf
// (a transition rule), or what is wrong with it.
func compile(e *cel.Env, expr string) (cel.Program, bool, string) {
	ast, iss := e.Compile(expr)
	if iss.Err() != nil {
		return nil, false, iss.Err().Error()
	}
	usesOld := false
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == "oldSelf" {
			usesOld = true
		}
	}
	prog, err := e.Program(ast, cel.CostLimit(perCallLimit))
	if err != nil {
		return nil, false, err.Error()
	}
	return prog, usesOld, ""
}

// evalRules evaluates the rules of every node of s over x (and its old
// value, on an update), as Kubernetes' CEL validator does: a rule that
// is not true is an error at the node (or its fieldPath) with the rule's
// message, messageExpression or "failed rule: <rule>"; transition rules
// (those using oldSelf) run only where the old value correlates; an
// unchanged value's failures are ratcheted.
func evalRules(p *field.Path, x, old any, correlated bool, s *Schema) field.ErrorList {
	if s == nil || x == nil {
		return nil
	}
	var errs field.ErrorList
	for _, r := range s.rules {
		if r.usesOldSelf && (!correlated || old == nil) {
			continue
		}
		act := map[string]any{"self": x}
		if r.usesOldSelf {
			act["oldSelf"] = old
		}
		out, _, err := r.prog.Eval(act)
		if err != nil {
			errs = append(errs, field.Invalid(p, s.Type, fmt.Sprintf("%v evaluating rule: %v", err, r.errorString())))
			continue
		}
		if out == types.True {
			continue
		}
		if !r.usesOldSelf && correlated && equalOld(x, old, s) {
			continue // ratcheting: Kubernetes warns instead
		}
		detail := ""
		if r.messageProg != nil {
			if m, _, err := r.messageProg.Eval(act); err == nil {
				if str, ok := m.Value().(string); ok && strings.TrimSpace(str) != "" && !strings.ContainsAny(str, "\n\r") {
					detail = str
				}
			}
		}
		if detail == "" {
			detail = r.messageOrDefault()
		}
		fp := p
		if f := strings.TrimPrefix(strings.TrimSpace(r.fieldPath), "."); f != "" {
			fp = childPath(p, f)
		}
		var value any = x
		if s.Type == "object" || s.Type == "array" {
			value = field.OmitValue
		}
		switch r.reason {
		case "FieldValueForbidden":
			errs = append(errs, field.Forbidden(fp, detail))
		case "FieldValueRequired":
			errs = append(errs, field.Required(fp, detail))
		case "FieldValueDuplicate":
			errs = append(errs, field.Duplicate(fp, value))
		default:
			errs = append(errs, field.Invalid(fp, value, detail))
		}
	}
	switch v := x.(type) {
	case map[string]any:
		om, _ := old.(map[string]any)
		for _, k := range sortedKeys(v) {
			fs := s.fieldSchema(k)
			if fs == nil {
				continue
			}
			var cp *field.Path
			if _, ok := s.Properties[k]; ok {
				cp = childPath(p, k)
			} else {
				cp = p.Key(k)
			}
			o, ok := om[k]
			errs = append(errs, evalRules(cp, v[k], o, correlated && ok, fs)...)
		}
	case []any:
		ol, _ := old.([]any)
		for i, e := range v {
			var o any
			ok := false
			if correlated && s.ListType == "map" {
				o, ok = findByKeys(ol, e, s.ListMapKeys)
			}
			errs = append(errs, evalRules(p.Index(i), e, o, ok, s.Items)...)
		}
	}
	return errs
}

func (r *celRule) errorString() string {
	if m := strings.TrimSpace(r.message); m != "" {
		return m
	}
	return strings.TrimSpace(r.rule)
}

func (r *celRule) messageOrDefault() string {
	if m := strings.TrimSpace(r.message); m != "" {
		return m
	}
	return "failed rule: " + r.errorString()
}

// hasRules reports whether any node of s has a rule.
func hasRules(s *Schema) bool {
	found := false
	walk(s, func(n *Schema) {
		if len(n.rules) > 0 {
			found = true
		}
	})
	return found
}

// blocking reports errors after which Kubernetes does not evaluate rules
// (their inputs may be of the wrong type or missing).
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// celErrors runs the rules after the other checks, as Kubernetes does.
func celErrors(s *Schema, errs field.ErrorList, obj, old any, update bool) field.ErrorList {
	if !hasRules(s) {
		return nil
	}
	if blocking(errs) {
		return field.ErrorList{field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")}
	}
	return evalRules(nil, canonical(obj), canonical(old), update, s)
}
