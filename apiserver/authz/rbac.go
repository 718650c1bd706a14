package authz

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// The RBAC kinds, as Apply and Delete name them.
const (
	KindRole               = "Role"
	KindClusterRole        = "ClusterRole"
	KindRoleBinding        = "RoleBinding"
	KindClusterRoleBinding = "ClusterRoleBinding"
)

// ServiceAccountUserPrefix starts the user name of a ServiceAccount:
// system:serviceaccount:<namespace>:<name>.
const ServiceAccountUserPrefix = "system:serviceaccount:"

// subject is an index key: a user (ServiceAccounts are users
// system:serviceaccount:<ns>:<name>) or a group.
type subject struct {
	group bool
	name  string
}

type nsName struct{ ns, name string }

// RBAC is the RBAC authorizer: the RBAC objects in memory, indexed by
// subject. The zero value is not usable; call NewRBAC.
type RBAC struct {
	mu     sync.RWMutex
	synced bool

	roles        map[nsName]*api.Role
	clusterRoles map[string]*api.ClusterRole
	// effective are the rules of each ClusterRole with its aggregation
	// applied.
	effective map[string][]api.PolicyRule
	rbs       map[nsName]*api.RoleBinding
	crbs      map[string]*api.ClusterRoleBinding

	crbBySubject map[subject][]*api.ClusterRoleBinding
	rbBySubject  map[string]map[subject][]*api.RoleBinding // by namespace
}

// NewRBAC returns an empty authorizer; it denies everything (has no
// opinion) until it is fed.
func NewRBAC() *RBAC {
	return &RBAC{
		roles:        map[nsName]*api.Role{},
		clusterRoles: map[string]*api.ClusterRole{},
		effective:    map[string][]api.PolicyRule{},
		rbs:          map[nsName]*api.RoleBinding{},
		crbs:         map[string]*api.ClusterRoleBinding{},
		crbBySubject: map[subject][]*api.ClusterRoleBinding{},
		rbBySubject:  map[string]map[subject][]*api.RoleBinding{},
	}
}

// Synced reports whether Replace has been called: whether the authorizer
// knows every RBAC object.
func (r *RBAC) Synced() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.synced
}

// Replace sets the whole state (a list's result) and marks the
// authorizer synced. objs are *api.Role, *api.ClusterRole,
// *api.RoleBinding and *api.ClusterRoleBinding; others are ignored.
func (r *RBAC) Replace(objs []any) {
	n := NewRBAC()
	for _, o := range objs {
		n.put(o)
	}
	n.aggregate()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roles, r.clusterRoles, r.effective = n.roles, n.clusterRoles, n.effective
	r.rbs, r.crbs, r.crbBySubject, r.rbBySubject = n.rbs, n.crbs, n.crbBySubject, n.rbBySubject
	r.synced = true
}

// Apply adds or replaces one object (*api.Role, *api.ClusterRole,
// *api.RoleBinding or *api.ClusterRoleBinding). The authorizer keeps o: the
// caller must not change it afterwards.
func (r *RBAC) Apply(o any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.put(o)
	if _, ok := o.(*api.ClusterRole); ok {
		r.aggregate()
	}
}

// Delete removes the object of kind (KindRole, ...) named ns/name.
func (r *RBAC) Delete(kind, ns, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case KindRole:
		delete(r.roles, nsName{ns, name})
	case KindClusterRole:
		delete(r.clusterRoles, name)
		r.aggregate()
	case KindRoleBinding:
		if old := r.rbs[nsName{ns, name}]; old != nil {
			r.unindexRB(old)
			delete(r.rbs, nsName{ns, name})
		}
	case KindClusterRoleBinding:
		if old := r.crbs[name]; old != nil {
			r.unindexCRB(old)
			delete(r.crbs, name)
		}
	}
}

func (r *RBAC) put(o any) {
	switch o := o.(type) {
	case *api.Role:
		r.roles[nsName{o.Namespace, o.Name}] = o
	case *api.ClusterRole:
		r.clusterRoles[o.Name] = o
	case *api.RoleBinding:
		k := nsName{o.Namespace, o.Name}
		if old := r.rbs[k]; old != nil {
			r.unindexRB(old)
		}
		r.rbs[k] = o
		byS := r.rbBySubject[o.Namespace]
		if byS == nil {
			byS = map[subject][]*api.RoleBinding{}
			r.rbBySubject[o.Namespace] = byS
		}
		for _, s := range bindingSubjects(o.Subjects, o.Namespace) {
			byS[s] = append(byS[s], o)
		}
	case *api.ClusterRoleBinding:
		if old := r.crbs[o.Name]; old != nil {
			r.unindexCRB(old)
		}
		r.crbs[o.Name] = o
		for _, s := range bindingSubjects(o.Subjects, "") {
			r.crbBySubject[s] = append(r.crbBySubject[s], o)
		}
	}
}

func (r *RBAC) unindexRB(b *api.RoleBinding) {
	byS := r.rbBySubject[b.Namespace]
	for _, s := range bindingSubjects(b.Subjects, b.Namespace) {
		byS[s] = removePtr(byS[s], b)
		if len(byS[s]) == 0 {
			delete(byS, s)
		}
	}
	if len(byS) == 0 {
		delete(r.rbBySubject, b.Namespace)
	}
}

func (r *RBAC) unindexCRB(b *api.ClusterRoleBinding) {
	for _, s := range bindingSubjects(b.Subjects, "") {
		r.crbBySubject[s] = removePtr(r.crbBySubject[s], b)
		if len(r.crbBySubject[s]) == 0 {
			delete(r.crbBySubject, s)
		}
	}
}

func removePtr[T any](s []*T, p *T) []*T {
	return slices.DeleteFunc(slices.Clone(s), func(q *T) bool { return q == p })
}

// bindingSubjects are the index keys of a binding's subjects. A
// ServiceAccount without a namespace in a RoleBinding is in the
// binding's namespace, as Kubernetes reads it.
func bindingSubjects(subjects []api.Subject, ns string) []subject {
	out := make([]subject, 0, len(subjects))
	for _, s := range subjects {
		switch s.Kind {
		case "User":
			out = append(out, subject{name: s.Name})
		case "Group":
			out = append(out, subject{group: true, name: s.Name})
		case "ServiceAccount":
			sns := s.Namespace
			if sns == "" {
				sns = ns
			}
			if sns != "" && s.Name != "" {
				out = append(out, subject{name: ServiceAccountUserPrefix + sns + ":" + s.Name})
			}
		}
	}
	return out
}

// aggregate recomputes the effective rules of every ClusterRole: an
// aggregated one's are the rules of the ClusterRoles its selectors match
// (in name order, each rule once), as Kubernetes' clusterrole-aggregation
// controller fills them in; aggregation may nest (admin aggregates edit,
// which aggregates others).
func (r *RBAC) aggregate() {
	eff := make(map[string][]api.PolicyRule, len(r.clusterRoles))
	var visit func(name string, seen map[string]bool) []api.PolicyRule
	visit = func(name string, seen map[string]bool) []api.PolicyRule {
		if rules, ok := eff[name]; ok {
			return rules
		}
		cr := r.clusterRoles[name]
		if cr == nil {
			return nil
		}
		if cr.AggregationRule == nil {
			eff[name] = cr.Rules
			return cr.Rules
		}
		if seen[name] { // a cycle: use the stored rules
			return cr.Rules
		}
		seen[name] = true
		rules := AggregatedRules(cr, r.sortedClusterRoles(), func(n string) []api.PolicyRule { return visit(n, seen) })
		eff[name] = rules
		return rules
	}
	for name := range r.clusterRoles {
		visit(name, map[string]bool{})
	}
	r.effective = eff
}

func (r *RBAC) sortedClusterRoles() []*api.ClusterRole {
	out := make([]*api.ClusterRole, 0, len(r.clusterRoles))
	for _, cr := range r.clusterRoles {
		out = append(out, cr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AggregatedRules are the rules of the aggregated ClusterRole cr: those of
// each other role in all (sorted by name) that one of cr's selectors
// matches, as rulesOf gives them, each rule once.
func AggregatedRules(cr *api.ClusterRole, all []*api.ClusterRole, rulesOf func(name string) []api.PolicyRule) []api.PolicyRule {
	rules := []api.PolicyRule{}
	for _, other := range all {
		if other.Name == cr.Name {
			continue
		}
		for i := range cr.AggregationRule.ClusterRoleSelectors {
			if ok, err := cr.AggregationRule.ClusterRoleSelectors[i].Matches(other.Labels); err != nil || !ok {
				continue
			}
			for _, rule := range rulesOf(other.Name) {
				if !slices.ContainsFunc(rules, func(x api.PolicyRule) bool { return equalRule(x, rule) }) {
					rules = append(rules, rule)
				}
			}
			break
		}
	}
	return rules
}

func equalRule(a, b api.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

// AggregatedRulesOf returns the effective rules of the aggregated
// ClusterRole name, and false when there is no such aggregated role (for
// the writer that fills them into the stored object).
func (r *RBAC) AggregatedRulesOf(name string) ([]api.PolicyRule, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	cr := r.clusterRoles[name]
	if cr == nil || cr.AggregationRule == nil {
		return nil, false
	}
	return r.effective[name], true
}

// userSubjects are the index keys that name u: its user name and groups.
// It appends to buf, so a caller can keep it on the stack.
func userSubjects(u *authn.User, buf []subject) []subject {
	buf = append(buf, subject{name: u.Name})
	for _, g := range u.Groups {
		buf = append(buf, subject{group: true, name: g})
	}
	return buf
}

// rulesOfRef returns the rules a binding in namespace ns grants, and an
// error naming a missing role (Kubernetes' resolution error).
func (r *RBAC) rulesOfRef(ref api.RoleRef, ns string) ([]api.PolicyRule, error) {
	switch ref.Kind {
	case KindClusterRole:
		rules, ok := r.effective[ref.Name]
		if !ok {
			return nil, fmt.Errorf("clusterrole.rbac.authorization.k8s.io %q not found", ref.Name)
		}
		return rules, nil
	case KindRole:
		role := r.roles[nsName{ns, ref.Name}]
		if role == nil {
			return nil, fmt.Errorf("role.rbac.authorization.k8s.io %q not found", ref.Name)
		}
		return role.Rules, nil
	}
	return nil, fmt.Errorf("unknown roleRef kind %q", ref.Kind)
}

// Authorize implements Authorizer: Allow when a rule bound to the user, to
// one of its groups or (for a ServiceAccount) to it allows the request;
// NoOpinion otherwise.
func (r *RBAC) Authorize(_ context.Context, a *Attributes) (Decision, string) {
	var buf [8]subject
	keys := userSubjects(&a.User, buf[:0])
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range keys {
		for _, b := range r.crbBySubject[k] {
			rules, err := r.rulesOfRef(b.RoleRef, "")
			if err == nil && anyAllows(a, rules) {
				return Allow, ""
			}
		}
	}
	if a.Namespace != "" {
		if byS := r.rbBySubject[a.Namespace]; byS != nil {
			for _, k := range keys {
				for _, b := range byS[k] {
					rules, err := r.rulesOfRef(b.RoleRef, b.Namespace)
					if err == nil && anyAllows(a, rules) {
						return Allow, ""
					}
				}
			}
		}
	}
	return NoOpinion, ""
}

func anyAllows(a *Attributes, rules []api.PolicyRule) bool {
	for i := range rules {
		if RuleAllows(a, &rules[i]) {
			return true
		}
	}
	return false
}

// RulesFor returns every rule granted to u in namespace ns (cluster-wide
// ones included; ns "" for cluster-wide ones only), and the errors of
// bindings whose role is missing, as Kubernetes' RulesFor.
func (r *RBAC) RulesFor(u authn.User, ns string) ([]api.PolicyRule, []error) {
	var buf [8]subject
	keys := userSubjects(&u, buf[:0])
	r.mu.RLock()
	defer r.mu.RUnlock()
	var rules []api.PolicyRule
	var errs []error
	for _, k := range keys {
		for _, b := range r.crbBySubject[k] {
			rs, err := r.rulesOfRef(b.RoleRef, "")
			if err != nil {
				errs = append(errs, err)
			}
			rules = append(rules, rs...)
		}
	}
	if ns != "" {
		for _, k := range keys {
			for _, b := range r.rbBySubject[ns][k] {
				rs, err := r.rulesOfRef(b.RoleRef, b.Namespace)
				if err != nil {
					errs = append(errs, err)
				}
				rules = append(rules, rs...)
			}
		}
	}
	return rules, errs
}

// RoleRules returns the rules of the role a binding in ns refers to
// (ns "" for a ClusterRoleBinding), or an error if it does not exist.
func (r *RBAC) RoleRules(ref api.RoleRef, ns string) ([]api.PolicyRule, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.rulesOfRef(ref, ns)
}

// IsServiceAccount splits a ServiceAccount's user name into namespace and
// name.
func IsServiceAccount(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, ServiceAccountUserPrefix)
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}
