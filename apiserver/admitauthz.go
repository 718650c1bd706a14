package apiserver

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/authz"
)

// admitAuthz runs the admission checks of authorization on a write that
// validation passed (obj and old as their Go types; old nil on create):
// RBAC's escalation prevention and NodeRestriction. It returns a 403
// Status, or nil.
func (s *Server) admitAuthz(r *request, obj, old any) error {
	if s.authz.allow {
		return nil
	}
	ctx := r.c.Request().Context()
	u := requestUser(ctx)
	if u.InGroup(authn.MastersGroup) {
		return nil
	}
	switch o := obj.(type) {
	case *api.Role:
		if o2, _ := old.(*api.Role); o2 != nil && reflect.DeepEqual(o2.Rules, o.Rules) {
			return nil
		}
		return s.confirmNoEscalation(ctx, r, o.Namespace, o.Name, o.Rules, false)
	case *api.ClusterRole:
		if o2, _ := old.(*api.ClusterRole); o2 != nil && reflect.DeepEqual(o2.Rules, o.Rules) && reflect.DeepEqual(o2.AggregationRule, o.AggregationRule) {
			return nil
		}
		return s.confirmNoEscalation(ctx, r, "", o.Name, o.Rules, o.AggregationRule != nil)
	case *api.RoleBinding:
		if o2, _ := old.(*api.RoleBinding); o2 != nil && o2.RoleRef == o.RoleRef && reflect.DeepEqual(o2.Subjects, o.Subjects) {
			return nil
		}
		return s.confirmCanBind(ctx, r, o.Namespace, o.Name, o.RoleRef)
	case *api.ClusterRoleBinding:
		if o2, _ := old.(*api.ClusterRoleBinding); o2 != nil && o2.RoleRef == o.RoleRef && reflect.DeepEqual(o2.Subjects, o.Subjects) {
			return nil
		}
		return s.confirmCanBind(ctx, r, "", o.Name, o.RoleRef)
	}
	if node, ok := authz.NodeName(u); ok {
		if msg := nodeRestrictionOfObject(node, obj, old); msg != "" {
			return forbiddenAdmission(r.res.Group, r.res.Name, r.ri.Name, msg)
		}
	}
	return nil
}

// fullAuthority is what an aggregationRule may gather: everything.
var fullAuthority = []api.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// confirmNoEscalation lets the request's user write a role granting rules
// only if it holds them all, or may escalate on the role, as Kubernetes'
// RBAC registry does; an aggregationRule needs full authority.
func (s *Server) confirmNoEscalation(ctx context.Context, r *request, ns, name string, rules []api.PolicyRule, aggregation bool) error {
	u := requestUser(ctx)
	esc := authz.Attributes{User: u, Verb: "escalate", ResourceRequest: true, APIGroup: api.RBACGroup,
		APIVersion: "v1", Resource: r.res.Name, Namespace: ns, Name: name}
	if d, _ := s.authz.authorize(ctx, &esc); d == authz.Allow {
		return nil
	}
	if msg := s.authz.rbac.ConfirmNoEscalation(u, ns, rules); msg != "" {
		return forbiddenAdmission(api.RBACGroup, r.res.Name, name, msg)
	}
	if aggregation && s.authz.rbac.ConfirmNoEscalation(u, ns, fullAuthority) != "" {
		return forbiddenAdmission(api.RBACGroup, r.res.Name, name, "must have cluster-admin privileges to use the aggregationRule")
	}
	return nil
}

// confirmCanBind lets the request's user write a binding of ref only if it
// may bind that role, or holds every permission it grants (in ns), as
// Kubernetes' RBAC registry does.
func (s *Server) confirmCanBind(ctx context.Context, r *request, ns, name string, ref api.RoleRef) error {
	u := requestUser(ctx)
	bind := authz.Attributes{User: u, Verb: "bind", ResourceRequest: true, APIGroup: api.RBACGroup,
		APIVersion: "v1", Resource: "clusterroles", Namespace: ns, Name: ref.Name}
	if ref.Kind == authz.KindRole {
		bind.Resource = "roles"
	}
	if d, _ := s.authz.authorize(ctx, &bind); d == authz.Allow {
		return nil
	}
	rules, err := s.authz.rbac.RoleRules(ref, ns)
	if err != nil {
		return forbiddenAdmission(api.RBACGroup, r.res.Name, name, err.Error())
	}
	if msg := s.authz.rbac.ConfirmNoEscalation(u, ns, rules); msg != "" {
		return forbiddenAdmission(api.RBACGroup, r.res.Name, name, msg)
	}
	return nil
}

// nodeRestrictionByName is Kubernetes' NodeRestriction for what the
// request's path says: a node may modify only its own Node, and may
// delete, evict and write the status of only the pods bound to it. It
// returns the 403's message, or "".
func (s *Server) nodeRestrictionByName(ctx context.Context, a *authz.Attributes) string {
	node, ok := authz.NodeName(a.User)
	if !ok || !a.ResourceRequest || a.APIGroup != "" || a.Name == "" {
		return ""
	}
	switch a.Resource {
	case "nodes":
		if a.Name != node && a.Verb != "get" && a.Verb != "list" && a.Verb != "watch" {
			return fmt.Sprintf("node %q is not allowed to modify node %q", node, a.Name)
		}
	case "pods":
		var what string
		switch {
		case a.Subresource == "" && a.Verb == "delete":
			what = "delete pods"
		case a.Subresource == "status" && (a.Verb == "update" || a.Verb == "patch"):
			what = "update pod status for pods"
		case a.Subresource == "eviction":
			what = "evict pods"
		default:
			return ""
		}
		if podNode, found := s.podNode(ctx, a.Namespace, a.Name); found && podNode != node {
			return fmt.Sprintf("node %q can only %s with spec.nodeName set to itself", node, what)
		}
	}
	return ""
}

// podNode is the node of pod ns/name: the Node authorizer's graph knows
// it, unless the pod was bound a moment ago, so a pod the graph places
// elsewhere is looked up in the store.
func (s *Server) podNode(ctx context.Context, ns, name string) (string, bool) {
	return s.authz.node.PodNodeOr(ctx, ns, name)
}

// Label rules of NodeRestriction: which labels a node may set on its own
// Node object.
var (
	nodeAllowedKubernetesLabels = []string{
		"kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
		"beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
		"node.kubernetes.io/instance-type",
		"failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
		"topology.kubernetes.io/region", "topology.kubernetes.io/zone",
	}
	nodeAllowedKubernetesPrefixes = []string{"kubelet.kubernetes.io/", "node.kubernetes.io/"}
)

// nodeMayLabel reports whether a node may set label key on itself: not in
// the node-restriction.kubernetes.io domain, and in the kubernetes.io and
// k8s.io domains (node-role.kubernetes.io among them) only the labels
// kubelets set.
func nodeMayLabel(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	if !ok {
		return true
	}
	inDomain := func(d string) bool { return domain == d || strings.HasSuffix(domain, "."+d) }
	if inDomain("node-restriction.kubernetes.io") {
		return false
	}
	if !inDomain("kubernetes.io") && !inDomain("k8s.io") {
		return true
	}
	if slices.Contains(nodeAllowedKubernetesLabels, key) {
		return true
	}
	for _, p := range nodeAllowedKubernetesPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// nodeRestrictionOfObject is NodeRestriction for what a node writes: its
// own Node only, without protected labels; its own Lease; no pods (a
// kubelet creates only mirror pods, which minik8s has not). It returns
// the 403's message, or "".
func nodeRestrictionOfObject(node string, obj, old any) string {
	switch o := obj.(type) {
	case *api.Node:
		if o.Name != node {
			return fmt.Sprintf("node %q is not allowed to modify node %q", node, o.Name)
		}
		var oldLabels map[string]string
		if on, _ := old.(*api.Node); on != nil {
			oldLabels = on.Labels
		}
		var bad []string
		for k, v := range o.Labels {
			if ov, had := oldLabels[k]; (!had || ov != v) && !nodeMayLabel(k) {
				bad = append(bad, k)
			}
		}
		for k := range oldLabels {
			if _, kept := o.Labels[k]; !kept && !nodeMayLabel(k) {
				bad = append(bad, k)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			if old == nil {
				return fmt.Sprintf("node %q is not allowed to set the following labels: %s", node, strings.Join(bad, ", "))
			}
			return fmt.Sprintf("node %q is not allowed to modify labels: %s", node, strings.Join(bad, ", "))
		}
	case *api.Lease:
		if o.Namespace != authz.NodeLeaseNamespace || o.Name != node {
			return fmt.Sprintf("node %q is not allowed to modify lease %q", node, o.Name)
		}
	case *api.Pod:
		if old == nil {
			return fmt.Sprintf("pod does not have %q annotation, node %q can only create mirror pods", "kubernetes.io/config.mirror", node)
		}
	}
	return ""
}
