package authz_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

func role(ns, name string, rules ...api.PolicyRule) *api.Role {
	r := &api.Role{Rules: rules}
	r.Namespace, r.Name = ns, name
	return r
}

func clusterRole(name string, labels map[string]string, rules ...api.PolicyRule) *api.ClusterRole {
	r := &api.ClusterRole{Rules: rules}
	r.Name, r.Labels = name, labels
	return r
}

func roleBinding(ns, name, kind, roleName string, subjects ...api.Subject) *api.RoleBinding {
	b := &api.RoleBinding{RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: kind, Name: roleName}, Subjects: subjects}
	b.Namespace, b.Name = ns, name
	return b
}

func clusterRoleBinding(name, roleName string, subjects ...api.Subject) *api.ClusterRoleBinding {
	b := &api.ClusterRoleBinding{RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: authz.KindClusterRole, Name: roleName}, Subjects: subjects}
	b.Name = name
	return b
}

func rule(verbs, groups, resources []string, names ...string) api.PolicyRule {
	return api.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func sa(ns, name string) api.Subject {
	return api.Subject{Kind: "ServiceAccount", Namespace: ns, Name: name}
}

func l(s ...string) []string { return s }

// fixture is a small cluster's RBAC: the default roles and bindings, and
//   - alice: edit in "dev" (a RoleBinding to the ClusterRole edit)
//   - bob: a Role "pod-reader" in "dev" (get, list pods; get pods/log)
//   - group "auditors": view everywhere
//   - ServiceAccount dev/builder: create deployments in dev, get the
//     ConfigMap "settings" only
//   - carol: an aggregated ClusterRole "monitor" gathering a role labelled
//     for it; and get on /healthz* URLs
//   - dave: a binding to a missing role (binds nothing)
func fixture() *authz.RBAC {
	var objs []any
	for _, cr := range authz.DefaultClusterRoles() {
		objs = append(objs, cr)
	}
	for _, b := range authz.DefaultClusterRoleBindings() {
		objs = append(objs, b)
	}
	objs = append(objs,
		roleBinding("dev", "alice-edit", authz.KindClusterRole, "edit", authz.UserSubject("alice")),
		role("dev", "pod-reader", rule(l("get", "list"), l(""), l("pods")), rule(l("get"), l(""), l("pods/log"))),
		roleBinding("dev", "bob-reads", authz.KindRole, "pod-reader", authz.UserSubject("bob")),
		clusterRoleBinding("auditors-view", "view", authz.GroupSubject("auditors")),
		role("dev", "builder", rule(l("create"), l("apps"), l("deployments")), rule(l("get"), l(""), l("configmaps"), "settings")),
		roleBinding("dev", "builder", authz.KindRole, "builder", sa("", "builder")),
		&api.ClusterRole{ObjectMeta: api.ObjectMeta{Name: "monitor"}, AggregationRule: &api.AggregationRule{
			ClusterRoleSelectors: []api.LabelSelector{{MatchLabels: map[string]string{"example.com/monitor": "true"}}}}},
		clusterRole("monitor-nodes", map[string]string{"example.com/monitor": "true"}, rule(l("list", "watch"), l(""), l("nodes"))),
		clusterRole("health", nil, api.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz", "/healthz/*")}),
		clusterRoleBinding("carol-monitor", "monitor", authz.UserSubject("carol")),
		clusterRoleBinding("carol-health", "health", authz.UserSubject("carol")),
		roleBinding("dev", "dave-ghost", authz.KindRole, "no-such-role", authz.UserSubject("dave")),
	)
	r := authz.NewRBAC()
	r.Replace(objs)
	return r
}

// user is an authenticated user, as the API server sees it.
func user(name string, groups ...string) authn.User {
	return authn.User{Name: name, Groups: append(groups, authz.GroupAuthenticated)}
}

func res(u authn.User, verb, group, resource, ns, name string) authz.Attributes {
	a := authz.Attributes{User: u, Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Namespace: ns, Name: name}
	if r, sub, ok := strings.Cut(resource, "/"); ok {
		a.Resource, a.Subresource = r, sub
	}
	return a
}

// rbacCases is the table of the suite: subject × verb × resource ×
// namespace → allowed. The e2e suite asks the same questions through
// kubectl auth can-i.
var rbacCases = []struct {
	name  string
	attrs authz.Attributes
	allow bool
}{
	{"edit lists pods in its namespace", res(user("alice"), "list", "", "pods", "dev", ""), true},
	{"edit creates deployments", res(user("alice"), "create", "apps", "deployments", "dev", ""), true},
	{"edit scales deployments", res(user("alice"), "update", "apps", "deployments/scale", "dev", "web"), true},
	{"edit execs into pods", res(user("alice"), "create", "", "pods/exec", "dev", "web"), true},
	{"edit reads logs (aggregated from view)", res(user("alice"), "get", "", "pods/log", "dev", "web"), true},
	{"edit cannot create roles", res(user("alice"), "create", api.RBACGroup, "roles", "dev", ""), false},
	{"edit stops at its namespace", res(user("alice"), "list", "", "pods", "prod", ""), false},
	{"edit is not cluster-wide", res(user("alice"), "list", "", "pods", "", ""), false},
	{"edit cannot touch nodes", res(user("alice"), "get", "", "nodes", "", "n1"), false},
	{"a Role grants what it lists", res(user("bob"), "get", "", "pods", "dev", "web"), true},
	{"a Role's subresource rule", res(user("bob"), "get", "", "pods/log", "dev", "web"), true},
	{"pods does not cover pods/exec", res(user("bob"), "create", "", "pods/exec", "dev", "web"), false},
	{"a Role is not a watch", res(user("bob"), "watch", "", "pods", "dev", ""), false},
	{"a Role stays in its namespace", res(user("bob"), "get", "", "pods", "default", "web"), false},
	{"a group's cluster binding: view anywhere", res(user("eve", "auditors"), "list", "apps", "deployments", "prod", ""), true},
	{"view across namespaces", res(user("eve", "auditors"), "list", "", "pods", "", ""), true},
	{"view cannot read secrets", res(user("eve", "auditors"), "get", "", "secrets", "prod", "db"), false},
	{"view cannot delete", res(user("eve", "auditors"), "delete", "", "pods", "prod", "web"), false},
	{"another group gets nothing", res(user("eve", "others"), "list", "", "pods", "prod", ""), false},
	{"a ServiceAccount by its user name", res(user("system:serviceaccount:dev:builder", "system:serviceaccounts"), "create", "apps", "deployments", "dev", ""), true},
	{"resourceNames: the named object", res(user("system:serviceaccount:dev:builder"), "get", "", "configmaps", "dev", "settings"), true},
	{"resourceNames: another object", res(user("system:serviceaccount:dev:builder"), "get", "", "configmaps", "dev", "other"), false},
	{"resourceNames: not a list", res(user("system:serviceaccount:dev:builder"), "list", "", "configmaps", "dev", ""), false},
	{"the same account in another namespace", res(user("system:serviceaccount:prod:builder"), "create", "apps", "deployments", "dev", ""), false},
	{"an aggregated role's gathered rules", res(user("carol"), "watch", "", "nodes", "", ""), true},
	{"an aggregated role: nothing more", res(user("carol"), "delete", "", "nodes", "", "n1"), false},
	{"a binding to a missing role binds nothing", res(user("dave"), "get", "", "pods", "dev", "web"), false},
	{"masters' cluster-admin", res(user("root", authn.MastersGroup), "delete", "", "nodes", "", "n1"), true},
	{"the scheduler binds pods", res(user(authn.SchedulerUser), "create", "", "pods/binding", "dev", "web"), true},
	{"the scheduler cannot delete nodes", res(user(authn.SchedulerUser), "delete", "", "nodes", "", "n1"), false},
	{"the scheduler renews its lease", res(user(authn.SchedulerUser), "update", "coordination.k8s.io", "leases", "kube-system", "kube-scheduler"), true},
	{"the scheduler cannot take another lease", res(user(authn.SchedulerUser), "update", "coordination.k8s.io", "leases", "kube-system", "kube-controller-manager"), false},
	{"the controller manager creates pods", res(user(authn.ControllerManagerUser), "create", "", "pods", "dev", ""), true},
	{"the controller manager's garbage collector deletes anything", res(user(authn.ControllerManagerUser), "delete", "apps", "replicasets", "dev", "web"), true},
	{"the controller manager reads a secret (Kubernetes gives its token controller get secrets)", res(user(authn.ControllerManagerUser), "get", "", "secrets", "dev", "db"), true},
	{"the controller manager cannot exec", res(user(authn.ControllerManagerUser), "create", "", "pods/exec", "dev", "web"), false},
	{"everyone may ask what it may do", res(user("nobody"), "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""), true},
	{"everyone may read discovery", authz.Attributes{User: user("nobody"), Verb: "get", Path: "/apis/apps/v1"}, true},
	{"anonymous reads /healthz", authz.Attributes{User: authn.User{Name: authz.UserAnonymous, Groups: l(authz.GroupUnauthenticated)}, Verb: "get", Path: "/healthz"}, true},
	{"anonymous does not read discovery", authz.Attributes{User: authn.User{Name: authz.UserAnonymous, Groups: l(authz.GroupUnauthenticated)}, Verb: "get", Path: "/api"}, false},
	{"nobody reads /metrics", authz.Attributes{User: user("nobody"), Verb: "get", Path: "/metrics"}, false},
	{"a URL with a * suffix", authz.Attributes{User: user("carol"), Verb: "get", Path: "/healthz/ping"}, true},
	{"a URL rule's verb", authz.Attributes{User: user("carol"), Verb: "post", Path: "/healthz"}, false},
}

func TestRBAC(t *testing.T) {
	r := fixture()
	z := authz.Chain{authz.Masters{}, r}
	for _, c := range rbacCases {
		t.Run(c.name, func(t *testing.T) {
			a := c.attrs
			d, _ := z.Authorize(context.Background(), &a)
			if got := d == authz.Allow; got != c.allow {
				t.Errorf("allowed = %v, want %v (%+v)", got, c.allow, a)
			}
		})
	}
}

// TestRBACUpdates: the index follows additions, changes and deletions.
func TestRBACUpdates(t *testing.T) {
	r := fixture()
	a := res(user("frank"), "get", "", "pods", "dev", "web")
	check := func(want bool) {
		t.Helper()
		if d, _ := r.Authorize(context.Background(), &a); (d == authz.Allow) != want {
			t.Fatalf("allowed = %v, want %v", d == authz.Allow, want)
		}
	}
	check(false)
	r.Apply(roleBinding("dev", "frank", authz.KindRole, "pod-reader", authz.UserSubject("frank")))
	check(true)
	r.Apply(roleBinding("dev", "frank", authz.KindRole, "pod-reader", authz.UserSubject("someone-else")))
	check(false)
	r.Apply(roleBinding("dev", "frank", authz.KindRole, "pod-reader", authz.UserSubject("frank")))
	r.Delete(authz.KindRole, "dev", "pod-reader")
	check(false)
	r.Apply(role("dev", "pod-reader", rule(l("get"), l(""), l("pods"))))
	check(true)
	r.Delete(authz.KindRoleBinding, "dev", "frank")
	check(false)

	// Aggregation follows the labels of the gathered roles.
	c := res(user("carol"), "get", "", "nodes", "", "n1")
	if d, _ := r.Authorize(context.Background(), &c); d == authz.Allow {
		t.Fatal("carol may get nodes before a role adds it")
	}
	r.Apply(clusterRole("monitor-get", map[string]string{"example.com/monitor": "true"}, rule(l("get"), l(""), l("nodes"))))
	if d, _ := r.Authorize(context.Background(), &c); d != authz.Allow {
		t.Fatal("carol may not get nodes after a role labelled for monitor adds it")
	}
	rules, ok := r.AggregatedRulesOf("monitor")
	if !ok || len(rules) != 2 {
		t.Fatalf("monitor's rules = %v, want the two gathered", rules)
	}
	// edit gathers view's rules through two levels.
	admin, _ := r.AggregatedRulesOf("admin")
	okCover, _ := authz.Covers(admin, []api.PolicyRule{rule(l("get"), l(""), l("pods/log")), rule(l("create"), l(api.RBACGroup), l("roles"))})
	if !okCover {
		t.Fatalf("admin's aggregated rules miss view's or its own: %v", admin)
	}
}

func TestForbiddenMessage(t *testing.T) {
	for _, c := range []struct {
		a    authz.Attributes
		want string
	}{
		{res(user("alice"), "list", "", "pods", "default", ""),
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"`},
		{res(user("alice"), "get", "apps", "deployments", "default", "web"),
			`deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "default"`},
		{res(user("alice"), "list", "", "nodes", "", ""),
			`nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{res(user("alice"), "create", "", "pods/exec", "default", "web"),
			`pods "web" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "default"`},
		{authz.Attributes{User: user("alice"), Verb: "get", Path: "/metrics"},
			`forbidden: User "alice" cannot get path "/metrics"`},
	} {
		if got := authz.ForbiddenStatusMessage(&c.a, ""); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestEscalation(t *testing.T) {
	r := fixture()
	// bob holds get, list pods and get pods/log in dev.
	bob := user("bob")
	if msg := r.ConfirmNoEscalation(bob, "dev", []api.PolicyRule{rule(l("get"), l(""), l("pods"))}); msg != "" {
		t.Errorf("granting a subset of what bob holds: %s", msg)
	}
	if msg := r.ConfirmNoEscalation(bob, "dev", []api.PolicyRule{rule(l("get"), l(""), l("pods"), "web")}); msg != "" {
		t.Errorf("granting one named pod of what bob holds: %s", msg)
	}
	want := `user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]}`
	if msg := r.ConfirmNoEscalation(bob, "dev", []api.PolicyRule{rule(l("get", "delete", "watch"), l(""), l("pods"))}); msg != want {
		t.Errorf("got  %s\nwant %s", msg, want)
	}
	if msg := r.ConfirmNoEscalation(bob, "prod", []api.PolicyRule{rule(l("get"), l(""), l("pods"))}); msg == "" {
		t.Error("bob holds nothing in prod, yet may grant get pods there")
	}
	if msg := r.ConfirmNoEscalation(bob, "dev", []api.PolicyRule{rule(l("get"), l(""), l("*"))}); msg == "" {
		t.Error("bob may grant get on every resource")
	}
	root := user("root", authn.MastersGroup)
	if msg := r.ConfirmNoEscalation(root, "", []api.PolicyRule{rule(l("*"), l("*"), l("*")), {Verbs: l("get"), NonResourceURLs: l("/metrics")}}); msg != "" {
		t.Errorf("cluster-admin escalates: %s", msg)
	}
	carol := user("carol")
	if msg := r.ConfirmNoEscalation(carol, "", []api.PolicyRule{{Verbs: l("get"), NonResourceURLs: l("/healthz/ready")}}); msg != "" {
		t.Errorf("a URL under carol's /healthz/*: %s", msg)
	}
}

// BenchmarkAuthorize1000: one decision with 1,000 roles and 1,000
// bindings besides the defaults, for a user with bindings in its namespace
// and groups, allowed and denied.
func BenchmarkAuthorize1000(b *testing.B) {
	var objs []any
	for _, cr := range authz.DefaultClusterRoles() {
		objs = append(objs, cr)
	}
	for _, cb := range authz.DefaultClusterRoleBindings() {
		objs = append(objs, cb)
	}
	for i := range 500 {
		ns := fmt.Sprintf("ns-%d", i%50)
		objs = append(objs,
			role(ns, fmt.Sprintf("role-%d", i), rule(l("get", "list", "watch"), l("", "apps"), l("pods", "deployments", "configmaps")),
				rule(l("create", "update"), l(""), l("configmaps"), "a", "b")),
			roleBinding(ns, fmt.Sprintf("rb-%d", i), authz.KindRole, fmt.Sprintf("role-%d", i),
				authz.UserSubject(fmt.Sprintf("user-%d", i)), authz.GroupSubject(fmt.Sprintf("team-%d", i%20))),
			clusterRole(fmt.Sprintf("cr-%d", i), nil, rule(l("get"), l("example.com"), l(fmt.Sprintf("things-%d", i)))),
			clusterRoleBinding(fmt.Sprintf("crb-%d", i), fmt.Sprintf("cr-%d", i), authz.UserSubject(fmt.Sprintf("user-%d", i)), authz.GroupSubject(fmt.Sprintf("team-%d", i%20))))
	}
	r := authz.NewRBAC()
	r.Replace(objs)
	z := authz.NodeRBAC(authz.NewNode(), r)
	u := user("user-7", "team-7", "team-x")
	cases := map[string]authz.Attributes{
		"allowed": res(u, "list", "apps", "deployments", "ns-7", ""),
		"denied":  res(u, "delete", "", "secrets", "ns-7", "x"),
	}
	for name, a := range cases {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			// Each decision is timed too, for its 99th percentile (the
			// target is on p99); the clock adds tens of ns to ns/op.
			lat := make([]time.Duration, 0, 1<<20)
			for b.Loop() {
				t0 := time.Now()
				z.Authorize(ctx, &a)
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}
