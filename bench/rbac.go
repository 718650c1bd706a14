package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
	"github.com/minik8s/minik8s/app"
)

// Targets of issue #15: what authorization may cost.
const (
	// rbacRateTarget: creates/s of a user RBAC authorizes, as a share of
	// the same user's with authorizationMode AlwaysAllow (≤ 5% fewer).
	rbacRateTarget = 0.95
	// authorizeP99Target: one authorization decision, 1,000 Roles and
	// RoleBindings.
	authorizeP99Target = 20 * time.Microsecond
)

const (
	// rbacNamespace holds the seeded Roles and RoleBindings, the bench
	// user's binding to edit, and the pods it creates.
	rbacNamespace = "bench-rbac"
	// rbacUser is the bench user: no groups of its own, so only
	// system:authenticated and its RoleBinding to edit grant it anything.
	rbacUser = "bench-rbac-user"
	// rbacRounds: each server's creates are split into this many rounds,
	// taken in turns (ABBA…), so that load elsewhere on the machine falls
	// on both servers alike.
	rbacRounds = 10
)

// alwaysAllowConfig is processConfig with authorization off.
func alwaysAllowConfig() string {
	return strings.Replace(processConfig(false, false), "apiserver:\n", "apiserver:\n  authorizationMode: AlwaysAllow\n", 1)
}

// rbacServer is one API server of rbacScenario, with the bench user's
// client.
type rbacServer struct {
	name  string  // for the table
	admin *Server // with the admin token
	user  *Server // the same server with the bench user's token
	total Sample  // the creates of the current client count, all rounds
	cpu   time.Duration
}

// rbacScenario (api-sqlite-rbac) measures what authorization costs the API
// figures: pod creates by a user that is no administrator (system:masters
// skips RBAC), bound to the ClusterRole edit in its namespace among
// RBACObjects Roles and RoleBindings of other users, on a server with the
// default authorization (Node,RBAC) beside one with AlwaysAllow, both
// seeded alike. Both servers run throughout and take the creates in
// alternating rounds. Then it times single decisions of the Node,RBAC
// chain in this process over the RBAC objects the first server holds, as
// BenchmarkAuthorize1000 does: the API server has no metric of its own
// for them.
func rbacScenario(ctx context.Context, env *Env) error {
	p := env.Params
	var servers [2]*rbacServer
	for i, c := range []struct{ name, config string }{
		{"Node,RBAC", processConfig(false, false)},
		{"AlwaysAllow", alwaysAllowConfig()},
	} {
		srv, err := env.StartServer(ctx, ServerOptions{Config: c.config})
		if err != nil {
			return err
		}
		user, err := seedRBAC(ctx, srv, p.RBACObjects, p.RunTimeout)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		servers[i] = &rbacServer{name: c.name, admin: srv, user: user}
	}
	env.Logf("both servers hold %d Roles and %d RoleBindings in %s; %s is bound to edit there", p.RBACObjects, p.RBACObjects, rbacNamespace, rbacUser)
	env.Note(fmt.Sprintf("api-sqlite-rbac: pod creates by user %q (edit in its namespace, among %d Roles and %d RoleBindings of other users) "+
		"on one API server with the default authorizationMode Node,RBAC and one with AlwaysAllow, in %d alternating rounds each; "+
		"the authorization p99 is timed in the benchmark's process over the first server's RBAC objects (the API server has no metric of it).",
		rbacUser, p.RBACObjects, p.RBACObjects, rbacRounds))

	rbac, allow := servers[0], servers[1]
	for _, c := range p.Clients {
		for _, s := range servers {
			// The user's requests go over the admin's connections.
			if err := warmUp(ctx, s.admin, c); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.total, s.cpu = Sample{}, 0
		}
		per := max(p.Creates/rbacRounds, 1)
		for r := range rbacRounds {
			order := []*rbacServer{rbac, allow}
			if r%2 == 1 {
				order = []*rbacServer{allow, rbac}
			}
			for _, s := range order {
				if err := s.round(ctx, fmt.Sprintf("c%d-r%d", c, r), per, c, p.RunTimeout); err != nil {
					return err
				}
			}
		}
		for _, s := range servers {
			env.Logf("%s, %s: %d creates in %s, %s, p99 %s ms, CPU %s per create", s.name, clients(c), s.total.N,
				s.total.Elapsed.Round(time.Millisecond), perSecond(s.total.Rate()), ms(s.total.Pct(0.99)), perOp(s.cpu, s.total.N))
		}
		env.Report(
			Info(fmt.Sprintf("SQLite creates/s by an edit user, Node,RBAC, %s", clients(c)), perSecond(rbac.total.Rate())+rbac.total.cut()),
			Info(fmt.Sprintf("SQLite creates/s by an edit user, AlwaysAllow, %s", clients(c)), perSecond(allow.total.Rate())+allow.total.cut()),
			rbacRateRow(c, rbac.total, allow.total),
			Info(fmt.Sprintf("SQLite create latency p50 / p99 by an edit user, Node,RBAC / AlwaysAllow, %s", clients(c)),
				ms(rbac.total.Pct(0.5))+" / "+ms(rbac.total.Pct(0.99))+" ms vs "+ms(allow.total.Pct(0.5))+" / "+ms(allow.total.Pct(0.99))+" ms"),
			Info(fmt.Sprintf("SQLite API server CPU per create by an edit user, Node,RBAC / AlwaysAllow, %s", clients(c)),
				perOp(rbac.cpu, rbac.total.N)+" / "+perOp(allow.cpu, allow.total.N)),
		)
	}

	allowed, denied, err := authorizeLatency(ctx, rbac.admin, rbac.user)
	if err != nil {
		return err
	}
	env.Logf("one authorization in-process: allowed %d decisions, p50 %s, p99 %s; denied p50 %s, p99 %s", allowed.N,
		micros(allowed.Pct(0.5)), micros(allowed.Pct(0.99)), micros(denied.Pct(0.5)), micros(denied.Pct(0.99)))
	env.Report(authorizeRow(p.RBACObjects, allowed, denied))
	return nil
}

// round creates n pods named prefix-pod-i in rbacNamespace as the bench
// user with clients clients, adding the run and the server's CPU time to
// s's totals.
func (s *rbacServer) round(ctx context.Context, prefix string, n, clients int, timeout time.Duration) error {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = PodJSON(rbacNamespace, fmt.Sprintf("%s-pod-%d", prefix, i))
	}
	cpu0, err := s.admin.CPUTime()
	if err != nil {
		return err
	}
	smp, err := createObjects(ctx, s.user, podsPath(rbacNamespace), n, clients, timeout, func(i int) []byte { return bodies[i] })
	if err != nil {
		return fmt.Errorf("%s: creates as %s: %w", s.name, rbacUser, err)
	}
	cpu1, err := s.admin.CPUTime()
	if err != nil {
		return err
	}
	s.cpu += cpu1 - cpu0
	s.total = s.total.merge(smp)
	return nil
}

// rbacRateRow checks the creates/s of the bench user under Node,RBAC
// against the same under AlwaysAllow.
func rbacRateRow(c int, rbac, allow Sample) Row {
	fig := fmt.Sprintf("SQLite creates/s by an edit user, Node,RBAC as a share of AlwaysAllow, %s", clients(c))
	if allow.Rate() <= 0 {
		return Check(fig, "no AlwaysAllow figure", fmt.Sprintf("≥ %.0f%% of AlwaysAllow", 100*rbacRateTarget), false)
	}
	ratio := rbac.Rate() / allow.Rate()
	return Check(fig, fmt.Sprintf("%.1f%% (%s vs %s)", 100*ratio, perSecond(rbac.Rate()), perSecond(allow.Rate())),
		fmt.Sprintf("≥ %.0f%% of AlwaysAllow", 100*rbacRateTarget), ratio >= rbacRateTarget && rbac.N >= rbac.Want)
}

// authorizeRow checks the p99 of one decision, allowed and denied.
func authorizeRow(objects int, allowed, denied Sample) Row {
	return Check(fmt.Sprintf("one authorization (Node,RBAC, in-process) p50 / p99 with %d Roles and RoleBindings, allowed; denied", objects),
		fmt.Sprintf("%s / %s; %s / %s", micros(allowed.Pct(0.5)), micros(allowed.Pct(0.99)), micros(denied.Pct(0.5)), micros(denied.Pct(0.99))),
		fmt.Sprintf("p99 ≤ %s", micros(authorizeP99Target)),
		allowed.N > 0 && denied.N > 0 && max(allowed.Pct(0.99), denied.Pct(0.99)) <= authorizeP99Target)
}

// micros formats d in µs with one decimal.
func micros(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

// seedRBAC creates rbacNamespace on srv with n Roles and n RoleBindings,
// each binding its Role to another user, then binds rbacUser to the
// ClusterRole edit there, and returns srv with rbacUser's token (added to
// the server's token file, which it reads again on an unknown token) once
// the server lets that user create pods.
func seedRBAC(ctx context.Context, srv *Server, n int, timeout time.Duration) (*Server, error) {
	if err := CreateNamespace(ctx, srv, rbacNamespace); err != nil {
		return nil, err
	}
	rbacPath := "/apis/rbac.authorization.k8s.io/v1/namespaces/" + rbacNamespace + "/"
	if _, err := createObjects(ctx, srv, rbacPath+"roles", n, 8, timeout, func(i int) []byte {
		return fmt.Appendf(nil, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"role-%d"},"rules":[`+
			`{"apiGroups":["","apps"],"resources":["pods","deployments","configmaps"],"verbs":["get","list","watch"]},`+
			`{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a","b"],"verbs":["create","update"]}]}`, i)
	}); err != nil {
		return nil, fmt.Errorf("seed Roles: %w", err)
	}
	if _, err := createObjects(ctx, srv, rbacPath+"rolebindings", n, 8, timeout, func(i int) []byte {
		return fmt.Appendf(nil, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"binding-%d"},`+
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"role-%d"},`+
			`"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"user-%d"},`+
			`{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"team-%d"}]}`, i, i, i, i%20)
	}); err != nil {
		return nil, fmt.Errorf("seed RoleBindings: %w", err)
	}
	edit := fmt.Appendf(nil, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"bench-edit"},`+
		`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},`+
		`"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":%q}]}`, rbacUser)
	if _, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, rbacPath+"rolebindings", edit); err != nil {
		return nil, err
	}
	tok, err := authn.EnsureUser((&app.Config{DataDir: srv.DataDir}).TokenFile(), rbacUser, nil)
	if err != nil {
		return nil, err
	}
	user := srv.withToken(tok)
	// The binding reaches the authorizer through its watch: wait for it.
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		code, b, err := user.Do(ctx, http.MethodPost, podsPath(rbacNamespace), PodJSON(rbacNamespace, "probe"))
		if err != nil {
			return nil, err
		}
		if code == http.StatusCreated {
			return user, nil
		}
		if code != http.StatusForbidden {
			return nil, fmt.Errorf("create a pod as %s: %d %s", rbacUser, code, b)
		}
		if err := srv.pause(ctx); err != nil {
			return nil, fmt.Errorf("%s may not create pods: %w", rbacUser, err)
		}
	}
}

// withToken is s authenticating with token instead of the admin's, on the
// same connections.
func (s *Server) withToken(token string) *Server {
	c := *s
	c.Token = token
	return &c
}

// authorizeLatency times single decisions of the Node,RBAC chain in this
// process, over the RBAC objects srv holds (listed through admin, which
// is srv), for the user that user authenticates as (its SelfSubjectReview):
// a pod create in rbacNamespace (allowed by its edit binding) and a
// RoleBinding create there (denied: edit does not grant it).
func authorizeLatency(ctx context.Context, admin, user *Server) (allowed, denied Sample, err error) {
	var objs []any
	for _, l := range []struct {
		res    string
		decode func([]byte) ([]any, error)
	}{
		{"roles", decodeItems[api.Role]},
		{"rolebindings", decodeItems[api.RoleBinding]},
		{"clusterroles", decodeItems[api.ClusterRole]},
		{"clusterrolebindings", decodeItems[api.ClusterRoleBinding]},
	} {
		b, err := admin.Expect(ctx, http.StatusOK, http.MethodGet, "/apis/rbac.authorization.k8s.io/v1/"+l.res, nil)
		if err != nil {
			return allowed, denied, err
		}
		items, err := l.decode(b)
		if err != nil {
			return allowed, denied, fmt.Errorf("decode %s: %w", l.res, err)
		}
		objs = append(objs, items...)
	}
	b, err := user.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
		[]byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`))
	if err != nil {
		return allowed, denied, err
	}
	var review api.SelfSubjectReview
	if err := json.Unmarshal(b, &review); err != nil {
		return allowed, denied, fmt.Errorf("decode SelfSubjectReview: %w", err)
	}
	ui := review.Status.UserInfo
	u := authn.User{Name: ui.Username, UID: ui.UID, Groups: ui.Groups, Extra: ui.Extra}

	rbac := authz.NewRBAC()
	rbac.Replace(objs)
	chain := authz.NodeRBAC(authz.NewNode(), rbac)
	req := func(group, resource string) authz.Attributes {
		prefix := "/api"
		if group != "" {
			prefix = "/apis/" + group
		}
		return authz.Attributes{User: u, Verb: "create", ResourceRequest: true, APIGroup: group, APIVersion: "v1",
			Namespace: rbacNamespace, Resource: resource, Path: prefix + "/v1/namespaces/" + rbacNamespace + "/" + resource}
	}
	const decisions = 100_000
	for _, c := range []struct {
		a    authz.Attributes
		want authz.Decision
		out  *Sample
	}{
		{req("", "pods"), authz.Allow, &allowed},
		{req(api.RBACGroup, "rolebindings"), authz.NoOpinion, &denied},
	} {
		if d, why := chain.Authorize(ctx, &c.a); d != c.want {
			return allowed, denied, fmt.Errorf("%s %s as %s: decision %d (%s), want %d", c.a.Verb, c.a.Resource, u.Name, d, why, c.want)
		}
		lat := make([]time.Duration, decisions)
		start := time.Now()
		for i := range lat {
			t := time.Now()
			chain.Authorize(ctx, &c.a)
			lat[i] = time.Since(t)
		}
		elapsed := time.Since(start)
		slices.Sort(lat)
		*c.out = Sample{N: decisions, Want: decisions, Elapsed: elapsed, Lat: lat}
	}
	return allowed, denied, nil
}

// decodeItems decodes the items of a list of T, as the authorizer takes
// them (pointers).
func decodeItems[T any](list []byte) ([]any, error) {
	var l struct {
		Items []*T `json:"items"`
	}
	if err := json.Unmarshal(list, &l); err != nil {
		return nil, err
	}
	out := make([]any, len(l.Items))
	for i, o := range l.Items {
		out[i] = o
	}
	return out, nil
}
