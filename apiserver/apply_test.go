package apiserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// applied is what these tests read of an object.
type applied struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
		ManagedFields   []struct {
			Manager, Operation, APIVersion, Subresource, Time string
			FieldsV1                                          json.RawMessage
		} `json:"managedFields"`
	} `json:"metadata"`
}

// entry is the managedFields entry of manager.
func entry(a applied, manager string) (e struct {
	Manager, Operation, APIVersion, Subresource, Time string
	FieldsV1                                          json.RawMessage
}, ok bool) {
	for _, e := range a.Metadata.ManagedFields {
		if e.Manager == manager {
			return e, true
		}
	}
	return e, false
}

func readApplied(t *testing.T, r *testenv.Response) applied {
	t.Helper()
	var a applied
	r.JSON(t, &a)
	return a
}

// TestApplyAndManagedFields checks server-side apply and managedFields
// over HTTP: what each write records, a no-op apply, the status
// subresource, and that bad input gets Kubernetes' Status, never a 500.
func TestApplyAndManagedFields(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const cms = "/api/v1/namespaces/default/configmaps"
	const applyType = "application/apply-patch+yaml"
	cfg := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n"

	// Create by apply: 201, one Apply entry.
	r := s.Do(t, "PATCH", cms+"/c?fieldManager=alice", cfg, "Content-Type", applyType)
	expect(t, r, http.StatusCreated)
	a := readApplied(t, r)
	if len(a.Metadata.ManagedFields) != 1 || a.Metadata.ManagedFields[0].Manager != "alice" ||
		a.Metadata.ManagedFields[0].Operation != "Apply" || string(a.Metadata.ManagedFields[0].FieldsV1) != `{"f:data":{"f:a":{}}}` {
		t.Fatalf("managedFields after apply: %s", r.Body)
	}
	// The same again: nothing written.
	r = s.Do(t, "PATCH", cms+"/c?fieldManager=alice", cfg, "Content-Type", applyType)
	expect(t, r, http.StatusOK)
	if rv := readApplied(t, r).Metadata.ResourceVersion; rv != a.Metadata.ResourceVersion {
		t.Fatalf("a no-op apply wrote: resourceVersion %s -> %s", a.Metadata.ResourceVersion, rv)
	}
	// A merge patch by another client is an Update, named after its
	// user agent when it names no manager.
	r = s.Do(t, "PATCH", cms+"/c", `{"data":{"b":"2"}}`, "Content-Type", "application/merge-patch+json", "User-Agent", "tool/1.0 (linux)")
	expect(t, r, http.StatusOK)
	if e, ok := entry(readApplied(t, r), "tool"); !ok || e.Operation != "Update" || e.APIVersion != "v1" || e.Time == "" ||
		string(e.FieldsV1) != `{"f:data":{"f:b":{}}}` {
		t.Fatalf("managedFields after a merge patch: %s", r.Body)
	}
	// A JSON patch setting managedFields is how kubectl migrates
	// client-side apply's; they are taken as sent.
	r = s.Do(t, "PATCH", cms+"/c?fieldManager=migrator", `[{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"bob","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{},"f:b":{}}}}]}]`,
		"Content-Type", "application/json-patch+json")
	expect(t, r, http.StatusOK)
	if mf := readApplied(t, r).Metadata.ManagedFields; len(mf) != 1 || mf[0].Manager != "bob" {
		t.Fatalf("managedFields set by a JSON patch: %s", r.Body)
	}
	// Reset: an empty list.
	r = s.Do(t, "PATCH", cms+"/c", `{"metadata":{"managedFields":[]}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	if mf := readApplied(t, r).Metadata.ManagedFields; len(mf) != 0 {
		t.Fatalf("managedFields after a reset: %s", r.Body)
	}

	// Status: a pod's status applied through /status is owned with the
	// subresource named.
	const pods = "/api/v1/namespaces/default/pods"
	expect(t, s.Do(t, "POST", pods, podJSON), http.StatusCreated)
	r = s.Do(t, "PATCH", pods+"/web/status?fieldManager=kubelet", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nstatus:\n  phase: Running\n", "Content-Type", applyType)
	expect(t, r, http.StatusOK)
	if e, ok := entry(readApplied(t, r), "kubelet"); !ok || e.Operation != "Apply" || e.Subresource != "status" ||
		string(e.FieldsV1) != `{"f:status":{"f:phase":{}}}` || !strings.Contains(string(r.Body), `"phase":"Running"`) {
		t.Fatalf("status apply: %s", r.Body)
	}

	// Bad input.
	for _, tt := range []struct {
		name, path, ctype, body string
		code                    int
		reason, msg             string
	}{
		{"YAML that does not parse", cms + "/c?fieldManager=a", applyType, "a: [", 400, "BadRequest", "error decoding YAML"},
		{"not an object", cms + "/c?fieldManager=a", applyType, "- 1\n", 400, "BadRequest", "error decoding YAML"},
		{"no apiVersion", cms + "/c?fieldManager=a", applyType, "kind: ConfigMap\n", 400, "BadRequest", "Incorrect version specified in apply patch. Specified patch version: , expected: v1"},
		{"another apiVersion", cms + "/c?fieldManager=a", applyType, "apiVersion: v2\nkind: ConfigMap\n", 400, "BadRequest", "Specified patch version: v2, expected: v1"},
		{"another kind", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: Secret\n", 400, "BadRequest", "Incorrect kind specified in apply patch"},
		{"another name", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n", 400, "BadRequest", "the name of the object (d) does not match the name on the URL (c)"},
		{"another namespace", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: kube-system\n", 400, "BadRequest", "the namespace of the provided object does not match"},
		{"managedFields in an apply", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  managedFields: [{manager: x}]\n", 400, "BadRequest", "metadata.managedFields must be nil"},
		{"metadata not an object", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: ConfigMap\nmetadata: 7\n", 400, "BadRequest", ""},
		{"a value of the wrong type", cms + "/c?fieldManager=a", applyType, "apiVersion: v1\nkind: ConfigMap\ndata: [1]\n", 400, "BadRequest", "failed to create typed patch object"},
		{"duplicate keys of a list map", pods + "/web?fieldManager=a", applyType,
			"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: c, image: x}\n  - {name: c, image: y}\n", 400, "BadRequest", "duplicate entries"},
		{"a field manager too long", cms + "/c?fieldManager=" + strings.Repeat("m", 129), applyType, cfg, 422, "Invalid", "fieldManager: Too long"},
		{"a field manager not printable", cms + "/c?fieldManager=a%01b", applyType, cfg, 422, "Invalid", "fieldManager: Invalid value"},
		{"force not a boolean", cms + "/c?fieldManager=a&force=maybe", applyType, cfg, 400, "BadRequest", "force"},
		{"managedFields with an unknown operation", cms + "/c", "application/merge-patch+json",
			`{"metadata":{"managedFields":[{"manager":"x","operation":"Sideways","fieldsType":"FieldsV1","fieldsV1":{}}]}}`, 422, "Invalid", "metadata.managedFields[0].operation: Invalid value: \"Sideways\": must be `Apply` or `Update`"},
		{"managedFields with an unknown fieldsType", cms + "/c", "application/merge-patch+json",
			`{"metadata":{"managedFields":[{"manager":"x","operation":"Update","fieldsType":"FieldsV9"}]}}`, 422, "Invalid", "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV9\": must be `FieldsV1`"},
		{"managedFields not a list", cms + "/c", "application/merge-patch+json", `{"metadata":{"managedFields":"x"}}`, 422, "Invalid", "metadata.managedFields"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "PATCH", tt.path, tt.body, "Content-Type", tt.ctype)
			expectStatus(t, r, tt.code, tt.reason, tt.msg)
		})
	}
	// managedFields that name fields the object lacks, or that cannot be
	// read, do not break later writes.
	r = s.Do(t, "PATCH", cms+"/c", `{"metadata":{"managedFields":[{"manager":"x","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:nothing":{"f:here":{}}}}]}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	r = s.Do(t, "PATCH", cms+"/c", `{"metadata":{"managedFields":[{"manager":"x","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":7}}]}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	expect(t, s.Do(t, "PATCH", cms+"/c?fieldManager=alice&force=true", cfg, "Content-Type", applyType), http.StatusOK)
}
