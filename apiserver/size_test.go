package apiserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// maxObjectBytes is the API server's bound on a stored object (1.5 MiB,
// etcd's default request limit).
const maxObjectBytes = 3 << 19

// patchBomb is a 1.8 KB JSON patch that adds an array of about 1 KiB and
// copies it onto itself 16 times: 64 MiB if nothing bounds it.
func patchBomb() string {
	ops := []string{`{"op":"add","path":"/metadata/bomb","value":[` + strings.Repeat(`"xxxxxxxxxxxxxx",`, 63) + `"x"]}`}
	for range 16 {
		ops = append(ops, `{"op":"copy","from":"/metadata/bomb","path":"/metadata/bomb/-"}`)
	}
	return "[" + strings.Join(ops, ",") + "]"
}

// TestObjectSize checks that no write stores an object larger than
// maxObjectBytes, whatever the verb, and that a JSON patch's work is
// bounded: 413 RequestEntityTooLarge for too large an object or too many
// operations, 422 for copies that add too much.
func TestObjectSize(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const deps = "/apis/apps/v1/namespaces/default/deployments"
	const dep = deps + "/web"
	big := strings.Repeat("x", maxObjectBytes)
	deployment := func(arg string) string {
		return fmt.Sprintf(`{"metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},`+
			`"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x","args":[%q]}]}}}}`, arg)
	}
	r := s.Do(t, "POST", deps, deployment(big))
	expectStatus(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request entity too large: the object would be")
	// Just under the limit is fine.
	expect(t, s.Do(t, "POST", deps, deployment(big[:maxObjectBytes-2000])), http.StatusCreated)
	expect(t, s.Do(t, "DELETE", dep, nil), http.StatusOK)
	expect(t, s.Do(t, "POST", deps, deployment("a")), http.StatusCreated)

	bigArgs := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"c","args":[%q]}]}}}}`, big)
	bigStatus := fmt.Sprintf(`{"status":{"conditions":[{"type":"Available","status":"True","message":%q}]}}`, big)
	var cur map[string]any
	s.Do(t, "GET", dep, nil).JSON(t, &cur)
	cur["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": "True", "message": big}}}
	tests := []struct {
		name, method, path, ctype string
		body                      any
		code                      int
		reason, msg               string
	}{
		{"update", "PUT", dep, "application/json", deployment(big), 413, "RequestEntityTooLarge", "Request entity too large"},
		{"status update", "PUT", dep + "/status", "application/json", cur, 413, "RequestEntityTooLarge", "Request entity too large"},
		{"merge patch", "PATCH", dep, "application/merge-patch+json", bigArgs, 413, "RequestEntityTooLarge", "Request entity too large"},
		{"strategic merge patch", "PATCH", dep, "application/strategic-merge-patch+json", bigArgs, 413, "RequestEntityTooLarge", "Request entity too large"},
		{"JSON patch", "PATCH", dep, "application/json-patch+json",
			fmt.Sprintf(`[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":%q}]`, big), 413, "RequestEntityTooLarge", "Request entity too large"},
		{"status patch", "PATCH", dep + "/status", "application/merge-patch+json", bigStatus, 413, "RequestEntityTooLarge", "Request entity too large"},
		{"patch bomb", "PATCH", dep, "application/json-patch+json", patchBomb(), 422, "Invalid",
			"the accumulated size increase of copy is"},
		{"too many operations", "PATCH", dep, "application/json-patch+json",
			"[" + strings.Repeat(`{"op":"test","path":"/kind","value":"Deployment"},`, 10000) + `{"op":"test","path":"/kind","value":"Deployment"}]`,
			413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.body, "Content-Type", tt.ctype)
			expectStatus(t, r, tt.code, tt.reason, tt.msg)
			// Nothing was written.
			if g := s.Do(t, "GET", dep, nil); len(g.Body) > 10000 {
				t.Fatalf("the deployment grew to %d bytes", len(g.Body))
			}
		})
	}
}

// expectStatus requires a Status with the code, the reason and a message
// containing msg.
func expectStatus(t *testing.T, r *testenv.Response, code int, reason, msg string) {
	t.Helper()
	var st status
	r.JSON(t, &st)
	if r.Code != code || st.Code != code || st.Reason != reason || !strings.Contains(st.Message, msg) {
		body := string(r.Body)
		if len(body) > 500 {
			body = body[:500] + "..."
		}
		t.Fatalf("got %d %s, want %d %s with a message containing %q", r.Code, body, code, reason, msg)
	}
}
