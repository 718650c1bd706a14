package registry

import (
	"strings"
	"testing"
)

func TestValidatePriorityClass(t *testing.T) {
	for _, tc := range []struct{ name, obj, old, want string }{
		{"ok", `{"metadata":{"name":"high"},"value":1000}`, "", ""},
		{"highest user value", `{"metadata":{"name":"high"},"value":1000000000}`, "", ""},
		{"too high", `{"metadata":{"name":"high"},"value":1000000001}`, "",
			"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"},
		{"system class", `{"metadata":{"name":"system-node-critical"},"value":2000001000}`, "", ""},
		{"system class, wrong value", `{"metadata":{"name":"system-node-critical"},"value":5}`, "",
			"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000"},
		{"reserved prefix", `{"metadata":{"name":"system-mine"},"value":5}`, "",
			"error: system-mine is not a known system priority class"},
		{"policy", `{"metadata":{"name":"p"},"value":1,"preemptionPolicy":"Sometimes"}`, "",
			`preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`},
		{"value immutable", `{"metadata":{"name":"p"},"value":2}`, `{"metadata":{"name":"p"},"value":1}`,
			"value: Forbidden: may not be changed in an update."},
		{"policy immutable", `{"metadata":{"name":"p"},"value":1,"preemptionPolicy":"Never"}`,
			`{"metadata":{"name":"p"},"value":1,"preemptionPolicy":"PreemptLowerPriority"}`, `preemptionPolicy: Invalid value: "Never": field is immutable`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorsOf(t, "PriorityClass", tc.obj, tc.old)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
		})
	}
	for _, b := range resource(t, "PriorityClass").Bootstrap {
		if got := errorsOf(t, "PriorityClass", mustJSON(t, b), ""); got != "" {
			t.Errorf("bootstrap class %v is invalid: %s", b, got)
		}
	}
}
