package apiserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// rbacFixture is applied by the admin: namespaces dev and prod; alice
// edits dev; bob reads pods (and their logs) in dev through a Role; the
// group auditors views everything; the ServiceAccount dev/builder creates
// deployments in dev and reads the ConfigMap "settings" only; carol
// administers dev; dave's binding names a missing Role.
const rbacFixture = `
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edit, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: dev}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/log], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-reads, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: auditors-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: auditors}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: builder, namespace: dev}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [create]}
- {apiGroups: [""], resources: [configmaps], verbs: [get], resourceNames: [settings]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: builder}
subjects: [{kind: ServiceAccount, name: builder}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-admin, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dave-ghost, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: no-such-role}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}]
`

// rbacUsers are the fixture's users with their groups (each gets a token).
var rbacUsers = map[string][]string{
	"alice":                             nil,
	"bob":                               nil,
	"eve":                               {"auditors"},
	"mallory":                           {"others"},
	"carol":                             nil,
	"dave":                              nil,
	"system:serviceaccount:dev:builder": {"system:serviceaccounts", "system:serviceaccounts:dev"},
}

// canICases: user, kubectl auth can-i arguments, the answer.
var canICases = []struct {
	user string
	args []string
	want bool
}{
	{"alice", []string{"list", "pods", "-n", "dev"}, true},
	{"alice", []string{"create", "deployments.apps", "-n", "dev"}, true},
	{"alice", []string{"update", "deployments.apps", "--subresource=scale", "-n", "dev"}, true},
	{"alice", []string{"create", "pods", "--subresource=exec", "-n", "dev"}, true},
	{"alice", []string{"get", "pods", "--subresource=log", "-n", "dev"}, true},
	{"alice", []string{"create", "roles.rbac.authorization.k8s.io", "-n", "dev"}, false},
	{"alice", []string{"list", "pods", "-n", "prod"}, false},
	{"alice", []string{"list", "pods", "-A"}, false},
	{"alice", []string{"get", "nodes"}, false},
	{"bob", []string{"get", "pods", "-n", "dev"}, true},
	{"bob", []string{"get", "pods", "--subresource=log", "-n", "dev"}, true},
	{"bob", []string{"create", "pods", "--subresource=exec", "-n", "dev"}, false},
	{"bob", []string{"watch", "pods", "-n", "dev"}, false},
	{"bob", []string{"get", "pods", "-n", "default"}, false},
	{"eve", []string{"list", "deployments.apps", "-n", "prod"}, true},
	{"eve", []string{"list", "pods", "-A"}, true},
	{"eve", []string{"get", "secrets", "-n", "prod"}, false},
	{"eve", []string{"delete", "pods", "-n", "prod"}, false},
	{"mallory", []string{"list", "pods", "-n", "prod"}, false},
	{"system:serviceaccount:dev:builder", []string{"create", "deployments.apps", "-n", "dev"}, true},
	{"system:serviceaccount:dev:builder", []string{"get", "configmaps/settings", "-n", "dev"}, true},
	{"system:serviceaccount:dev:builder", []string{"get", "configmaps/other", "-n", "dev"}, false},
	{"system:serviceaccount:dev:builder", []string{"list", "configmaps", "-n", "dev"}, false},
	{"system:serviceaccount:dev:builder", []string{"create", "deployments.apps", "-n", "prod"}, false},
	{"carol", []string{"create", "roles.rbac.authorization.k8s.io", "-n", "dev"}, true},
	{"dave", []string{"get", "pods", "-n", "dev"}, false},
	{"mallory", []string{"get", "/healthz"}, true},
	{"mallory", []string{"get", "/metrics"}, false},
}

// TestRBACWithKubectl asks the table's questions through the real kubectl
// auth can-i, three ways: with the user's own token
// (SelfSubjectAccessReview), as the admin impersonating the user (--as,
// --as-group), and the RBAC denials of real requests with Kubernetes'
// wording.
func TestRBACWithKubectl(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "the real kubectl, many commands")
	s := testenv.StartAPIServer(t, testenv.Options{})
	tokens := rbacTokens(t, s)
	if out, err := s.Kubectl(t, rbacFixture, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	canI := func(args ...string) bool {
		t.Helper()
		out, err := s.Kubectl(t, "", append([]string{"auth", "can-i"}, args...)...)
		// The answer is the last line (after warnings such as "resource
		// 'nodes' is not namespace scoped").
		lines := strings.Split(strings.TrimSpace(out), "\n")
		switch lines[len(lines)-1] {
		case "yes":
			return true
		case "no":
			return false
		}
		t.Fatalf("kubectl auth can-i %v: %q %v", args, out, err)
		return false
	}
	for _, c := range canICases {
		t.Run(c.user+" "+strings.Join(c.args, " "), func(t *testing.T) {
			if got := canI(append([]string{"--token", tokens[c.user]}, c.args...)...); got != c.want {
				t.Errorf("own token: can-i = %v, want %v", got, c.want)
			}
			as := []string{"--as", c.user}
			for _, g := range rbacUsers[c.user] {
				as = append(as, "--as-group", g)
			}
			if got := canI(append(as, c.args...)...); got != c.want {
				t.Errorf("admin --as: can-i = %v, want %v", got, c.want)
			}
		})
	}

	// Real requests get Kubernetes' 403s.
	for _, c := range []struct {
		user string
		args []string
		want string
	}{
		{"alice", []string{"get", "pods", "-n", "prod"},
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "prod"`},
		{"alice", []string{"get", "nodes"},
			`nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{"bob", []string{"get", "deployment", "web", "-n", "dev"},
			`deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in the namespace "dev"`},
		{"mallory", []string{"get", "--raw", "/metrics"},
			`forbidden: User "mallory" cannot get path "/metrics"`},
		{"bob", []string{"get", "pods", "-n", "dev", "-w", "--request-timeout=5s"},
			`pods is forbidden: User "bob" cannot watch resource "pods" in API group "" in the namespace "dev"`},
	} {
		out, err := s.Kubectl(t, "", append([]string{"--token", tokens[c.user]}, c.args...)...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%s: kubectl %v = %v\n%s\nwant %s", c.user, c.args, err, out, c.want)
		}
	}
	// A field selector cannot reach another namespace: the path's
	// namespace bounds the list.
	if out, err := s.Kubectl(t, "", "run", "secret-pod", "-n", "prod", "--image=x"); err != nil {
		t.Fatal(out)
	}
	out, err := s.Kubectl(t, "", "--token", tokens["bob"], "get", "pods", "-n", "dev", "--field-selector", "metadata.namespace=prod", "-o", "name")
	if err != nil || strings.Contains(out, "secret-pod") {
		t.Errorf("bob's field selector reaches prod: %v\n%s", err, out)
	}

	// kubectl auth can-i --list (SelfSubjectRulesReview).
	out, err = s.Kubectl(t, "", "--token", tokens["bob"], "auth", "can-i", "--list", "-n", "dev")
	if err != nil || !strings.Contains(out, "pods/log") || !regexpLine(out, `^pods\s+\[\]\s+\[\]\s+\[get list\]`) ||
		!regexpLine(out, `^selfsubjectaccessreviews.authorization.k8s.io\s+\[\]\s+\[\]\s+\[create\]`) {
		t.Errorf("bob's can-i --list:\n%s %v", out, err)
	}
}

// rbacTokens gives each of rbacUsers a token.
func rbacTokens(t *testing.T, s *testenv.APIServer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for u, groups := range rbacUsers {
		tok, err := authn.EnsureUser(filepath.Join(s.DataDir, "tokens.csv"), u, groups)
		if err != nil {
			t.Fatal(err)
		}
		out[u] = tok
	}
	return out
}

// TestEscalationPrevention: a user cannot create a role granting what it
// does not hold, nor bind a role it does not hold, unless it may escalate
// or bind; Kubernetes' messages.
func TestEscalationPrevention(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	tokens := rbacTokens(t, s)
	as := func(user string) []string { return []string{"Authorization", "Bearer " + tokens[user]} }
	apply(t, s, rbacFixture)

	// carol administers dev: she may grant what admin holds there...
	role := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"%s"},"rules":[%s]}`
	podsRule := `{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}`
	r := s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles", sprintf(role, "pods", podsRule), as("carol")...)
	expect(t, r, http.StatusCreated)
	// ...but not what it does not.
	nodesRule := `{"apiGroups":[""],"resources":["nodes","pods"],"verbs":["get","delete"]}`
	r = s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles", sprintf(role, "nodes", nodesRule), as("carol")...)
	wantStatus(t, r, http.StatusForbidden, `roles.rbac.authorization.k8s.io "nodes" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["nodes"], Verbs:["get" "delete"]}`)
	// Nor bind cluster-admin...
	binding := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"%s"},
	  "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"%s"},
	  "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"}]}`
	r = s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", sprintf(binding, "root", "cluster-admin"), as("carol")...)
	if r.Code != http.StatusForbidden || !strings.Contains(string(r.Body), `rolebindings.rbac.authorization.k8s.io \"root\" is forbidden: user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held`) {
		t.Fatalf("carol binds cluster-admin: %d %s", r.Code, r.Body)
	}
	// ...though she may bind view, which she holds.
	expect(t, s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", sprintf(binding, "viewers", "view"), as("carol")...), http.StatusCreated)

	// With bind on cluster-admin (by name) she may bind it; with escalate
	// on roles she may write any Role.
	apply(t, s, `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: power, namespace: dev}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-power, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: power}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
`)
	expect(t, s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", sprintf(binding, "root", "cluster-admin"), as("carol")...), http.StatusCreated)
	expect(t, s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles", sprintf(role, "nodes", nodesRule), as("carol")...), http.StatusCreated)
	// bind and escalate are per namespace: prod is still closed to her.
	r = s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles", sprintf(role, "nodes", nodesRule), as("carol")...)
	expect(t, r, http.StatusForbidden)

	// A ClusterRole with an aggregationRule needs full authority.
	agg := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"gather"},
	  "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]}}`
	apply(t, s, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: role-writer}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-role-writer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-writer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`)
	r = s.Do(t, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", agg, as("alice")...)
	wantStatus(t, r, http.StatusForbidden, `clusterroles.rbac.authorization.k8s.io "gather" is forbidden: must have cluster-admin privileges to use the aggregationRule`)
}

// TestImpersonation: only those allowed to impersonate may; the request
// then runs as the impersonated user.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	tokens := rbacTokens(t, s)
	apply(t, s, rbacFixture)
	alice := []string{"Authorization", "Bearer " + tokens["alice"]}
	r := s.Do(t, "GET", "/api/v1/namespaces/dev/pods", nil, append(alice, "Impersonate-User", "bob")...)
	wantStatus(t, r, http.StatusForbidden, `users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope`)
	apply(t, s, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-bob}
rules: [{apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [bob]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-impersonates-bob}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-bob}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`)
	// As bob she reads dev's pods but cannot do what alice could.
	expect(t, s.Do(t, "GET", "/api/v1/namespaces/dev/pods", nil, append(alice, "Impersonate-User", "bob")...), http.StatusOK)
	r = s.Do(t, "POST", "/api/v1/namespaces/dev/configmaps", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`,
		append(alice, "Impersonate-User", "bob")...)
	wantStatus(t, r, http.StatusForbidden, `configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "dev"`)
	// A group needs its own permission.
	r = s.Do(t, "GET", "/api/v1/namespaces/dev/pods", nil, append(alice, "Impersonate-User", "bob", "Impersonate-Group", "system:masters")...)
	wantStatus(t, r, http.StatusForbidden, `groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope`)
	// Groups without a user are a bad request.
	r = s.Do(t, "GET", "/api/v1/namespaces/dev/pods", nil, append(alice, "Impersonate-Group", "auditors")...)
	expect(t, r, http.StatusBadRequest)
	// Extras need impersonate on userextras/<key> for each value, and
	// the impersonated user carries them (SelfSubjectReview shows them).
	extra := append(alice, "Impersonate-User", "bob", "Impersonate-Extra-Scopes", "view", "Impersonate-Extra-Scopes", "dev")
	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`
	r = s.Do(t, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, extra...)
	wantStatus(t, r, http.StatusForbidden, `userextras.authentication.k8s.io "view" is forbidden: User "alice" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope`)
	apply(t, s, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-scopes}
rules: [{apiGroups: [authentication.k8s.io], resources: [userextras/scopes], verbs: [impersonate], resourceNames: [view, dev]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-impersonates-scopes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-scopes}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`)
	r = s.Do(t, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, extra...)
	expect(t, r, http.StatusCreated)
	var who struct {
		Status struct {
			UserInfo struct {
				Username string              `json:"username"`
				Extra    map[string][]string `json:"extra"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	r.JSON(t, &who)
	if u := who.Status.UserInfo; u.Username != "bob" || !slices.Equal(u.Extra["scopes"], []string{"view", "dev"}) {
		t.Errorf("impersonated user with extras: %+v", u)
	}
	// An extra without a user is a bad request.
	expect(t, s.Do(t, "GET", "/api/v1/namespaces/dev/pods", nil, append(alice, "Impersonate-Extra-Scopes", "view")...), http.StatusBadRequest)
	// kubectl --as: the SelfSubjectReview-free way, whoami through can-i.
	if out, err := s.Kubectl(t, "", "--token", tokens["alice"], "--as", "bob", "auth", "can-i", "get", "pods", "-n", "dev"); err != nil || strings.TrimSpace(out) != "yes" {
		t.Fatalf("alice --as bob can-i get pods: %q %v", out, err)
	}
}

// TestSubjectAccessReview: the admin asks about another user; an ordinary
// user may not ask.
func TestSubjectAccessReview(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	tokens := rbacTokens(t, s)
	apply(t, s, rbacFixture)
	sar := func(user string, groups []string, verb, ns, resource string) map[string]any {
		body := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
			"spec": map[string]any{"user": user, "groups": groups,
				"resourceAttributes": map[string]any{"verb": verb, "namespace": ns, "resource": resource}}}
		r := s.Do(t, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body)
		expect(t, r, http.StatusCreated)
		var out map[string]any
		r.JSON(t, &out)
		return out["status"].(map[string]any)
	}
	if st := sar("alice", nil, "list", "dev", "pods"); st["allowed"] != true {
		t.Errorf("alice list pods in dev: %v", st)
	}
	if st := sar("alice", nil, "list", "prod", "pods"); st["allowed"] != false {
		t.Errorf("alice list pods in prod: %v", st)
	}
	if st := sar("zed", []string{"auditors"}, "list", "prod", "pods"); st["allowed"] != true {
		t.Errorf("an auditor lists pods in prod: %v", st)
	}
	r := s.Do(t, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
		`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}`)
	expect(t, r, http.StatusUnprocessableEntity)
	r = s.Do(t, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
		`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"x","resourceAttributes":{"verb":"get","resource":"pods"}}}`,
		"Authorization", "Bearer "+tokens["alice"])
	wantStatus(t, r, http.StatusForbidden, `subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`)
	// Nothing is stored: there is no list.
	expect(t, s.Do(t, "GET", "/apis/authorization.k8s.io/v1/subjectaccessreviews", nil), http.StatusMethodNotAllowed)
}

// TestDefaultRolesReconciled: a default role that lost a rule gets it back
// on the next start, once; one marked autoupdate=false is left alone.
func TestDefaultRolesReconciled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := testenv.StartAPIServer(t, testenv.Options{DataDir: dir})
	var before map[string]any
	s.Do(t, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:discovery", nil).JSON(t, &before)
	r := s.Do(t, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:discovery",
		`{"rules":[{"verbs":["get"],"nonResourceURLs":["/api","/api/*"]},{"verbs":["get"],"nonResourceURLs":["/extra"]}]}`,
		"Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	r = s.Do(t, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user",
		`{"metadata":{"annotations":{"rbac.authorization.kubernetes.io/autoupdate":"false"}},"rules":[{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews"]}]}`,
		"Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	s.Stop()
	for range 2 { // the second start changes nothing
		s = testenv.StartAPIServer(t, testenv.Options{DataDir: dir})
		var after struct {
			Rules []struct {
				NonResourceURLs []string `json:"nonResourceURLs"`
			} `json:"rules"`
		}
		s.Do(t, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:discovery", nil).JSON(t, &after)
		var urls []string
		for _, rule := range after.Rules {
			urls = append(urls, rule.NonResourceURLs...)
		}
		for _, want := range []string{"/api", "/apis/*", "/healthz", "/version", "/extra"} {
			if n := count(urls, want); n != 1 {
				t.Errorf("system:discovery has %q %d times after a restart: %v", want, n, urls)
			}
		}
		var basic struct {
			Rules []json.RawMessage `json:"rules"`
		}
		s.Do(t, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user", nil).JSON(t, &basic)
		if len(basic.Rules) != 1 {
			t.Errorf("system:basic-user with autoupdate=false was reconciled: %s", basic.Rules)
		}
		s.Stop()
	}
	// The aggregated roles are filled in.
	s = testenv.StartAPIServer(t, testenv.Options{DataDir: dir})
	var admin struct {
		Rules []struct {
			Resources []string `json:"resources"`
		} `json:"rules"`
	}
	s.Do(t, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", nil).JSON(t, &admin)
	var res []string
	for _, rule := range admin.Rules {
		res = append(res, rule.Resources...)
	}
	for _, want := range []string{"rolebindings", "deployments", "pods/log"} {
		if count(res, want) == 0 {
			t.Errorf("admin's aggregated rules lack %s: %v", want, res)
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// apply applies YAML as the admin, with kubectl.
func apply(t *testing.T, s *testenv.APIServer, yaml string) {
	t.Helper()
	if out, err := s.Kubectl(t, yaml, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// wantStatus checks a response's code and its Status message.
func wantStatus(t *testing.T, r *testenv.Response, code int, message string) {
	t.Helper()
	var st struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	_ = json.Unmarshal(r.Body, &st)
	if r.Code != code || st.Message != message {
		t.Fatalf("got %d %q\nwant %d %q", r.Code, st.Message, code, message)
	}
}

// regexpLine reports whether a line of out matches re.
func regexpLine(out, re string) bool {
	return regexp.MustCompile("(?m)" + re).MatchString(out)
}

// TestAggregation: a ClusterRole labelled for view adds its rules to view,
// edit and admin (nested), in the stored objects and in what their
// holders may do; removing the label takes them away.
func TestAggregation(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	tokens := rbacTokens(t, s)
	apply(t, s, rbacFixture+`
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list]}]
`)
	has := func(role string) bool {
		var cr struct {
			Rules []struct {
				Resources []string `json:"resources"`
			} `json:"rules"`
		}
		s.Do(t, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/"+role, nil).JSON(t, &cr)
		for _, r := range cr.Rules {
			if count(r.Resources, "widgets") > 0 {
				return true
			}
		}
		return false
	}
	aliceMay := func() bool { // alice edits dev
		r := s.Do(t, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"list","group":"example.com","resource":"widgets","namespace":"dev"}}}`,
			"Authorization", "Bearer "+tokens["alice"])
		expect(t, r, http.StatusCreated)
		var out struct {
			Status struct {
				Allowed bool `json:"allowed"`
			} `json:"status"`
		}
		r.JSON(t, &out)
		return out.Status.Allowed
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("view, edit and admin gather widgets", func() bool { return has("view") && has("edit") && has("admin") })
	waitFor("alice (edit) may list widgets", aliceMay)
	r := s.Do(t, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/widgets-view",
		`{"metadata":{"labels":{"rbac.authorization.k8s.io/aggregate-to-view":null}}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)
	waitFor("view, edit and admin lose widgets", func() bool { return !has("view") && !has("edit") && !has("admin") })
	waitFor("alice may no longer list widgets", func() bool { return !aliceMay() })
}
