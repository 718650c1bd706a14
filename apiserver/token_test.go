package apiserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/testenv"
)

// TestServiceAccountTokens: kubectl create token issues a token that
// authenticates as the service account, bound to a pod when asked, and
// stops authenticating once the service account or the pod is gone or
// was recreated.
func TestServiceAccountTokens(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	kubectl := func(args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	kubectl("create", "serviceaccount", "robot")
	kubectl("create", "rolebinding", "robot-view", "--clusterrole=view", "--serviceaccount=default:robot")
	token := kubectl("create", "token", "robot", "--duration", "10m")
	u, code := whoami(t, s, s.HTTP, token)
	if code != http.StatusCreated || u.Username != "system:serviceaccount:default:robot" ||
		!slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}) {
		t.Fatalf("whoami with the token = %d %+v", code, u)
	}
	if resp := doAs(t, s, token, "GET", "/api/v1/namespaces/default/serviceaccounts/robot", ""); resp.Code != 200 {
		t.Fatalf("get with the token = %d %s", resp.Code, resp.Body)
	}
	// ServiceAccounts may read the issuer's discovery document and keys
	// (system:service-account-issuer-discovery).
	for _, path := range []string{"/.well-known/openid-configuration", "/openid/v1/jwks"} {
		if resp := doAs(t, s, token, "GET", path, ""); resp.Code != 200 {
			t.Fatalf("GET %s with the token = %d %s", path, resp.Code, resp.Body)
		}
	}

	// Bound to a pod: valid while that pod exists, with its name in extra.
	s.Do(t, "POST", "/api/v1/namespaces/default/pods", `{"metadata":{"name":"p"},"spec":{"serviceAccountName":"robot","containers":[{"name":"c","image":"x"}]}}`)
	bound := kubectl("create", "token", "robot", "--bound-object-kind", "Pod", "--bound-object-name", "p")
	u, code = whoami(t, s, s.HTTP, bound)
	if code != http.StatusCreated || !slices.Equal(u.Extra["authentication.kubernetes.io/pod-name"], []string{"p"}) {
		t.Fatalf("whoami with the bound token = %d %+v", code, u)
	}
	if out, err := s.Kubectl(t, "", "create", "token", "robot", "--bound-object-kind", "Pod", "--bound-object-name", "nope"); err == nil || !strings.Contains(out, `pods "nope" not found`) {
		t.Fatalf("bound to a missing pod: %v %s", err, out)
	}
	if out, err := s.Kubectl(t, "", "create", "token", "robot", "--duration", "1m"); err == nil || !strings.Contains(out, "may not specify a duration less than 10 minutes") {
		t.Fatalf("a one-minute token: %v %s", err, out)
	}
	if out, err := s.Kubectl(t, "", "create", "token", "ghost"); err == nil || !strings.Contains(out, `serviceaccounts "ghost" not found`) {
		t.Fatalf("token of a missing service account: %v %s", err, out)
	}
	s.Do(t, "POST", "/api/v1/namespaces/default/pods", `{"metadata":{"name":"other"},"spec":{"containers":[{"name":"c","image":"x"}]}}`)
	resp := s.Do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
		`{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"other"}}}`)
	if resp.Code != 400 || !strings.Contains(string(resp.Body), "pod running with different serviceaccount name") {
		t.Fatalf("bound to a pod of another account: %d %s", resp.Code, resp.Body)
	}
	resp = s.Do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
		`{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":"not-its-uid"}}}`)
	if resp.Code != 409 {
		t.Fatalf("bound with a wrong uid: %d %s", resp.Code, resp.Body)
	}
	resp = s.Do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token", `{"spec":{"boundObjectRef":{"kind":"Node","name":"n"}}}`)
	if resp.Code != 400 {
		t.Fatalf("bound to a node: %d %s", resp.Code, resp.Body)
	}
	resp = s.Do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token", `{"spec":{"audiences":["https://vault"]}}`)
	var tr api.TokenRequest
	resp.JSON(t, &tr)
	if resp.Code != 201 || tr.Status.Token == "" || tr.Status.ExpirationTimestamp.IsZero() {
		t.Fatalf("token for another audience: %d %s", resp.Code, resp.Body)
	}
	if _, code := whoami(t, s, s.HTTP, tr.Status.Token); code != 401 {
		t.Fatalf("a token for another audience authenticated to the API server: %d", code)
	}

	// A secret-bound token dies with its secret.
	kubectl("create", "secret", "generic", "s1", "--from-literal=a=b")
	secretBound := kubectl("create", "token", "robot", "--bound-object-kind", "Secret", "--bound-object-name", "s1")
	if _, code := whoami(t, s, s.HTTP, secretBound); code != 201 {
		t.Fatalf("secret-bound token = %d", code)
	}
	kubectl("delete", "secret", "s1")
	kubectl("create", "secret", "generic", "s1", "--from-literal=a=b")
	if _, code := whoami(t, s, s.HTTP, secretBound); code != 401 {
		t.Fatalf("token bound to a recreated secret = %d, want 401", code)
	}

	kubectl("delete", "pod", "p", "--wait=false")
	if resp := doAs(t, s, bound, "GET", "/api/v1/namespaces/default/pods", ""); resp.Code != 401 {
		// The pod is gone (no node: deleted at once).
		t.Fatalf("token bound to a deleted pod = %d, want 401", resp.Code)
	}
	if _, code := whoami(t, s, s.HTTP, token); code != 201 {
		t.Fatal("the unbound token died with the pod")
	}
	kubectl("delete", "serviceaccount", "robot")
	kubectl("create", "serviceaccount", "robot")
	// The API server reads service accounts from a cache fed by the watch
	// hub, which may be a moment behind the delete, as an informer is.
	deadline := time.Now().Add(5 * time.Second)
	for resp = doAs(t, s, token, "GET", "/api/v1/namespaces/default/pods", ""); resp.Code == 200 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		resp = doAs(t, s, token, "GET", "/api/v1/namespaces/default/pods", "")
	}
	var st api.Status
	_ = json.Unmarshal(resp.Body, &st)
	if resp.Code != 401 || st.Reason != api.StatusReasonUnauthorized {
		t.Fatalf("token of a deleted (and recreated) service account = %d %s, want 401", resp.Code, resp.Body)
	}
}

// doAs sends a request with token instead of the admin token.
func doAs(t *testing.T, s *testenv.APIServer, token, method, path, body string) *testenv.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf strings.Builder
	_, _ = io.Copy(&buf, resp.Body)
	return &testenv.Response{Code: resp.StatusCode, Header: resp.Header, Body: []byte(buf.String())}
}
