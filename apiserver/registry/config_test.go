package registry

import (
	"reflect"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestDefaultSecret(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"type", `{}`, `{"type":"Opaque"}`},
		{"kept type", `{"type":"kubernetes.io/tls"}`, `{"type":"kubernetes.io/tls"}`},
		{"stringData folded", `{"stringData":{"u":"admin"}}`, `{"data":{"u":"YWRtaW4="},"type":"Opaque"}`},
		{"stringData wins", `{"data":{"u":"eA==","k":"eQ=="},"stringData":{"u":"admin"}}`,
			`{"data":{"u":"YWRtaW4=","k":"eQ=="},"type":"Opaque"}`},
		{"not strings: left for decoding", `{"stringData":{"u":1}}`, `{"stringData":{"u":1},"type":"Opaque"}`},
		{"data not a map: left for decoding", `{"data":3,"stringData":{"u":"x"}}`, `{"data":3,"stringData":{"u":"x"},"type":"Opaque"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := obj(t, tc.in)
			defaultSecret(o)
			if want := obj(t, tc.want); !reflect.DeepEqual(o, want) {
				t.Errorf("got %v, want %v", o, want)
			}
		})
	}
}

// errorsOf runs a kind's validation on JSON objects (old may be "").
func errorsOf(t *testing.T, kind, o, old string) string {
	t.Helper()
	r := resource(t, kind)
	typed, err := r.Schema.DecodeAs([]byte(o))
	if err != nil {
		t.Fatal(err)
	}
	var oldTyped any
	if old != "" {
		if oldTyped, err = r.Schema.DecodeAs([]byte(old)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Validate(typed, oldTyped).ToAggregate(); err != nil {
		return err.Error()
	}
	return ""
}

func TestValidateConfigMapAndSecret(t *testing.T) {
	const meta = `"metadata":{"name":"x","namespace":"default"}`
	for _, tc := range []struct{ name, kind, obj, old, want string }{
		{"ok", "ConfigMap", `{` + meta + `,"data":{"a.b_c-D":"1"},"binaryData":{"bin":"AA=="}}`, "", ""},
		{"bad key", "ConfigMap", `{` + meta + `,"data":{"a b":"1"}}`, "",
			`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`},
		{"dot dot", "ConfigMap", `{` + meta + `,"binaryData":{"..a":"AA=="}}`, "", `binaryData[..a]: Invalid value: "..a": must not start with '..'`},
		{"long key", "ConfigMap", `{` + meta + `,"data":{"` + strings.Repeat("k", 254) + `":"1"}}`, "", "must be no more than 253 characters"},
		{"duplicate", "ConfigMap", `{` + meta + `,"data":{"a":"1"},"binaryData":{"a":"AA=="}}`, "", `data[a]: Invalid value: "a": duplicate of key present in binaryData`},
		{"immutable data", "ConfigMap", `{` + meta + `,"immutable":true,"data":{"a":"2"}}`, `{` + meta + `,"immutable":true,"data":{"a":"1"}}`,
			"data: Forbidden: field is immutable when `immutable` is set"},
		{"immutable back to false", "ConfigMap", `{` + meta + `,"immutable":false,"data":{"a":"1"}}`, `{` + meta + `,"immutable":true,"data":{"a":"1"}}`,
			"immutable: Forbidden: field is immutable when `immutable` is set"},
		{"immutable labels may change", "ConfigMap", `{"metadata":{"name":"x","namespace":"default","labels":{"a":"b"}},"immutable":true,"data":{"a":"1"}}`,
			`{` + meta + `,"immutable":true,"data":{"a":"1"}}`, ""},
		{"secret ok", "Secret", `{` + meta + `,"type":"Opaque","data":{"a":"AA=="}}`, "", ""},
		{"tls", "Secret", `{` + meta + `,"type":"kubernetes.io/tls","data":{"tls.crt":"AA=="}}`, "", `data[tls.key]: Required value`},
		{"basic-auth", "Secret", `{` + meta + `,"type":"kubernetes.io/basic-auth"}`, "", `[data[username]: Required value, data[password]: Required value]`},
		{"basic-auth password only", "Secret", `{` + meta + `,"type":"kubernetes.io/basic-auth","data":{"password":"AA=="}}`, "", ""},
		{"ssh", "Secret", `{` + meta + `,"type":"kubernetes.io/ssh-auth"}`, "", `data[ssh-privatekey]: Required value`},
		{"dockerconfigjson", "Secret", `{` + meta + `,"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"bm90IGpzb24="}}`, "",
			`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid JSON`},
		{"sa token", "Secret", `{` + meta + `,"type":"kubernetes.io/service-account-token"}`, "",
			`metadata.annotations[kubernetes.io/service-account.name]: Required value`},
		{"type immutable", "Secret", `{` + meta + `,"type":"Other"}`, `{` + meta + `,"type":"Opaque"}`,
			`type: Invalid value: "Other": field is immutable`},
		{"immutable secret", "Secret", `{` + meta + `,"type":"Opaque","immutable":true,"data":{"a":"AQ=="}}`,
			`{` + meta + `,"type":"Opaque","immutable":true,"data":{"a":"AA=="}}`, "data: Forbidden: field is immutable when `immutable` is set"},
		{"bad sa name", "ServiceAccount", `{"metadata":{"name":"Bad_Name","namespace":"default"}}`, "", `metadata.name: Invalid value: "Bad_Name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorsOf(t, tc.kind, tc.obj, tc.old)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
		})
	}
	big := strings.Repeat("x", api.MaxSecretSize/2+1)
	got := errorsOf(t, "ConfigMap", `{`+meta+`,"data":{"a":"`+big+`"},"binaryData":{"b":"`+strings.Repeat("QUFB", api.MaxSecretSize/5)+`"}}`, "")
	if got != "[]: Too long: may not be more than 1048576 bytes" { // as Kubernetes words it
		t.Errorf("1 MiB: %q", got)
	}
}

func TestConfigTables(t *testing.T) {
	if got := cells(t, "ConfigMap", obj(t, `{"metadata":{"name":"c"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}`)); got["Data"] != 3 {
		t.Errorf("configmap cells %v", got)
	}
	got := cells(t, "Secret", obj(t, `{"metadata":{"name":"s"},"type":"Opaque","data":{"p":"c2VjcmV0"}}`))
	if got["Type"] != "Opaque" || got["Data"] != 1 || len(got) != 4 {
		t.Errorf("secret cells %v", got)
	}
	for _, v := range got {
		if v == "c2VjcmV0" {
			t.Errorf("a secret value in the table: %v", got)
		}
	}
	if got := cells(t, "ServiceAccount", obj(t, `{"metadata":{"name":"sa"},"secrets":[{"name":"t"}]}`)); got["Secrets"] != 1 {
		t.Errorf("serviceaccount cells %v", got)
	}
}

func TestQuotaAndLimitRange(t *testing.T) {
	got := cells(t, "ResourceQuota", obj(t, `{"metadata":{"name":"q"},"spec":{"hard":{"pods":"2","cpu":"1","limits.memory":"1Gi"}},
		"status":{"used":{"pods":"1"}}}`))
	if got["Request"] != "cpu: 0/1, pods: 1/2" || got["Limit"] != "limits.memory: 0/1Gi" {
		t.Errorf("quota cells %v", got)
	}
	for _, tc := range []struct{ name, kind, obj, want string }{
		{"quota ok", "ResourceQuota", `{"metadata":{"name":"q","namespace":"d"},"spec":{"hard":{"pods":"2","requests.cpu":"1"},"scopes":["BestEffort"]}}`, ""},
		{"negative", "ResourceQuota", `{"metadata":{"name":"q","namespace":"d"},"spec":{"hard":{"pods":"-1"}}}`,
			`spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0`},
		{"bad name", "ResourceQuota", `{"metadata":{"name":"q","namespace":"d"},"spec":{"hard":{"a b":"1"}}}`, `spec.hard[a b]: Invalid value: "a b"`},
		{"scope", "ResourceQuota", `{"metadata":{"name":"q","namespace":"d"},"spec":{"scopes":["Sometimes"]}}`, `spec.scopes[0]: Unsupported value: "Sometimes"`},
		{"limits ok", "LimitRange", `{"metadata":{"name":"l","namespace":"d"},"spec":{"limits":[{"type":"Container","max":{"cpu":"2"},"min":{"cpu":"100m"},"default":{"cpu":"1"},"defaultRequest":{"cpu":"500m"}}]}}`, ""},
		{"limits type", "LimitRange", `{"metadata":{"name":"l","namespace":"d"},"spec":{"limits":[{"type":"Node"}]}}`, `spec.limits[0].type: Unsupported value: "Node"`},
		{"min above max", "LimitRange", `{"metadata":{"name":"l","namespace":"d"},"spec":{"limits":[{"type":"Pod","max":{"cpu":"1"},"min":{"cpu":"2"}}]}}`,
			`spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorsOf(t, tc.kind, tc.obj, "")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateRBAC(t *testing.T) {
	for _, tc := range []struct{ name, kind, obj, old, want string }{
		{"role", "Role", `{"metadata":{"name":"r","namespace":"d"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}`, "", ""},
		{"no verbs", "Role", `{"metadata":{"name":"r","namespace":"d"},"rules":[{"apiGroups":[""],"resources":["pods"]}]}`, "",
			"rules[0].verbs: Required value: verbs must contain at least one value"},
		{"namespaced URLs", "Role", `{"metadata":{"name":"r","namespace":"d"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}`, "",
			"namespaced rules cannot apply to non-resource URLs"},
		{"cluster URLs", "ClusterRole", `{"metadata":{"name":"r"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}`, "", ""},
		{"name with slash", "ClusterRole", `{"metadata":{"name":"a/b"}}`, "", `metadata.name: Invalid value: "a/b": may not contain '/' or '%'`},
		{"binding", "RoleBinding", `{"metadata":{"name":"b","namespace":"d"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
			"subjects":[{"kind":"ServiceAccount","name":"sa"},{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"jane"}]}`, "", ""},
		{"roleRef kind", "ClusterRoleBinding", `{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"}}`, "",
			`roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`},
		{"sa namespace", "ClusterRoleBinding", `{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"r"},
			"subjects":[{"kind":"ServiceAccount","name":"sa"}]}`, "", "subjects[0].namespace: Required value"},
		{"roleRef immutable", "RoleBinding", `{"metadata":{"name":"b","namespace":"d"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"x"}}`,
			`{"metadata":{"name":"b","namespace":"d"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"}}`, "cannot change roleRef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorsOf(t, tc.kind, tc.obj, tc.old)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
		})
	}
}
