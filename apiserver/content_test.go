package apiserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestContentTypes checks the request body formats Kubernetes accepts
// (JSON, YAML, protobuf; JSON when Content-Type is absent), its 415 for
// any other, and its 405 for a method a path does not serve.
func TestContentTypes(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	const unknownBody = "the body of the request was in an unknown format - accepted media types include: " +
		"application/json, application/yaml, application/vnd.kubernetes.protobuf"
	const unknownPatch = "the body of the request was in an unknown format - accepted media types include: " +
		"application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
	const notAllowed = "the server does not allow this method on the requested resource"
	// As the pod is stored (ServiceAccount admission names the account and
	// would add a token volume), so that a PUT of it changes only labels.
	podYAML := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: yp\n  labels:\n    app: yp\nspec:\n  serviceAccountName: default\n  automountServiceAccountToken: false\n  containers:\n  - name: c\n    image: x\n"

	tests := []struct {
		name, method, path, ctype string
		body                      any
		code                      int
		reason, msg               string
	}{
		{"create, unknown type", "POST", pods, "text/plain", podJSON, 415, "UnsupportedMediaType", unknownBody},
		{"create, malformed type", "POST", pods, "application/", podJSON, 415, "UnsupportedMediaType", unknownBody},
		{"create, YAML", "POST", pods, "application/yaml", podYAML, 201, "", ""},
		{"create, no type: JSON", "POST", pods, "", strings.Replace(podJSON, `"web"`, `"nt"`, 1), 201, "", ""},
		{"create, JSON with charset", "POST", pods, "application/json; charset=utf-8", strings.Replace(podJSON, `"web"`, `"cs"`, 1), 201, "", ""},
		{"create, YAML that does not parse", "POST", pods, "application/yaml", "a: [", 400, "BadRequest", "Pod in version \"v1\" cannot be handled as a Pod"},
		{"update, YAML", "PUT", pods + "/yp", "application/yaml", strings.Replace(podYAML, "app: yp", "app: z", 1), 200, "", ""},
		{"update, unknown type", "PUT", pods + "/yp", "text/yaml", podYAML, 415, "UnsupportedMediaType", unknownBody},
		{"patch, unknown type, before the object is looked up", "PATCH", pods + "/none", "application/json", `{}`, 415, "UnsupportedMediaType", unknownPatch},
		{"patch, server-side apply", "PATCH", pods + "/yp?fieldManager=t&force=true", "application/apply-patch+yaml", podYAML, 200, "", ""},
		{"patch, server-side apply as JSON", "PATCH", pods + "/yp?fieldManager=t&force=true", "application/apply-patch+json",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"yp","labels":{"app":"yp"}},"spec":{"serviceAccountName":"default","automountServiceAccountToken":false,"containers":[{"name":"c","image":"x"}]}}`, 200, "", ""},
		{"patch, server-side apply without a field manager", "PATCH", pods + "/yp", "application/apply-patch+yaml", podYAML, 422, "Invalid", "fieldManager: Required value: is required for apply patch"},
		{"patch, server-side apply in CBOR", "PATCH", pods + "/yp?fieldManager=t", "application/apply-patch+cbor", podYAML, 415, "UnsupportedMediaType", unknownPatch},
		{"patch, force on a merge patch", "PATCH", pods + "/yp?force=true", "application/merge-patch+json", `{}`, 422, "Invalid", "force: Forbidden: may not be specified for non-apply patch"},
		{"scale patch, unknown type", "PATCH", "/apis/apps/v1/namespaces/default/deployments/none/scale", "text/plain", `{}`, 415, "UnsupportedMediaType", unknownPatch},
		{"binding, unknown type", "POST", pods + "/yp/binding", "text/plain", `{"target":{"name":"n"}}`, 415, "UnsupportedMediaType", unknownBody},
		{"binding, YAML", "POST", pods + "/yp/binding", "application/yaml", "target:\n  name: node1\n", 201, "", ""},
		{"PUT on a collection", "PUT", pods, "application/json", podJSON, 405, "MethodNotAllowed", notAllowed},
		{"PATCH on a collection", "PATCH", pods, "application/merge-patch+json", `{}`, 405, "MethodNotAllowed", notAllowed},
		{"POST on an object", "POST", pods + "/yp", "application/json", podJSON, 405, "MethodNotAllowed", notAllowed},
		{"delete, YAML options", "DELETE", pods + "/yp", "application/yaml", "gracePeriodSeconds: 0\n", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.body, "Content-Type", tt.ctype)
			if tt.reason == "" {
				expect(t, r, tt.code)
				return
			}
			expectStatus(t, r, tt.code, tt.reason, tt.msg)
		})
	}
	var pod obj
	s.Do(t, "GET", pods+"/nt", nil).JSON(t, &pod)
	if pod.Spec["containers"] == nil {
		t.Fatalf("pod created without Content-Type: %+v", pod)
	}
	if r := s.Do(t, "GET", pods+"/yp", nil); r.Code != http.StatusNotFound {
		t.Fatalf("pod yp after its delete: %d %s", r.Code, r.Body)
	}
}
