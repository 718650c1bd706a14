package structural

import (
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api/field"
)

// TestRules: x-kubernetes-validations rules with Kubernetes' messages,
// reasons, field paths, transition rules and ratcheting.
func TestRules(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"spec":{"type":"object",
		"x-kubernetes-validations":[
			{"rule":"self.min <= self.max","message":"min must not exceed max"},
			{"rule":"!has(self.forbidden)","reason":"FieldValueForbidden","fieldPath":".forbidden","message":"must not be set"},
			{"rule":"self.size() < 5","messageExpression":"'has ' + string(self.size()) + ' fields'"}],
		"properties":{
			"min":{"type":"integer"},"max":{"type":"integer"},"forbidden":{"type":"string"},"a":{"type":"string"},"b":{"type":"string"},
			"name":{"type":"string","x-kubernetes-validations":[{"rule":"self.startsWith('w-')"}]},
			"immutable":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"is immutable"}]}}}}}`)
	tests := []struct {
		name, obj, old string
		want           []string
	}{
		{name: "valid", obj: `{"spec":{"min":1,"max":2,"name":"w-1","immutable":"x"}}`},
		{name: "failures", obj: `{"spec":{"min":3,"max":2,"forbidden":"y","name":"x","a":"1","b":"2"}}`, want: []string{
			`spec.forbidden: Forbidden: must not be set`,
			`spec.name: Invalid value: "x": failed rule: self.startsWith('w-')`,
			`spec: Invalid value: has 6 fields`,
			`spec: Invalid value: min must not exceed max`,
		}},
		{name: "missing field", obj: `{"spec":{"max":1}}`, want: []string{
			`spec: Invalid value: "object": no such key: min evaluating rule: min must not exceed max`,
		}},
		{name: "transition rule", obj: `{"spec":{"min":1,"max":2,"name":"w-a","immutable":"y"}}`, old: `{"spec":{"min":1,"max":2,"name":"w-a","immutable":"x"}}`, want: []string{
			`spec.immutable: Invalid value: "y": is immutable`,
		}},
		{name: "ratcheted", obj: `{"spec":{"min":1,"max":2,"name":"bad","immutable":"x"}}`, old: `{"spec":{"min":1,"max":2,"name":"bad","immutable":"x"}}`},
		{name: "blocked by a type error", obj: `{"spec":{"min":"x","max":2}}`, want: []string{
			`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
			`spec.min: Invalid value: "string": spec.min in body must be of type integer: "string"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs field.ErrorList
			if tt.old == "" {
				errs = s.Validate(decodeMap(t, tt.obj))
			} else {
				errs = s.ValidateUpdate(decodeMap(t, tt.obj), decodeMap(t, tt.old))
			}
			if got := messages(errs); !equalStrings(got, sorted(tt.want)) {
				t.Errorf("\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(sorted(tt.want), "\n      "))
			}
		})
	}
	// A rule that does not compile refuses the CRD.
	_, errs, _ := New(decodeMap(t, `{"type":"object","x-kubernetes-validations":[{"rule":"self.a >"}],"properties":{"a":{"type":"integer"}}}`), field.NewPath("openAPIV3Schema"), Options{})
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `openAPIV3Schema.x-kubernetes-validations[0].rule: Invalid value: {"rule":"self.a \u003e"}: compilation failed: ERROR: <input>:1:9: Syntax error`) {
		t.Errorf("bad rule: %v", errs)
	}
}
