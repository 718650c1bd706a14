package authz

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// Labels and annotations of the default roles and bindings, as Kubernetes
// sets them.
const (
	// LabelBootstrapping marks the default RBAC objects.
	LabelBootstrapping = "kubernetes.io/bootstrapping"
	// AnnotationAutoupdate "false" on a default object stops the API server
	// from reconciling it on start.
	AnnotationAutoupdate = "rbac.authorization.kubernetes.io/autoupdate"
	// The aggregation labels of admin, edit and view.
	LabelAggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	LabelAggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	LabelAggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
)

// Well-known groups and users, as Kubernetes names them.
const (
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	UserAnonymous        = "system:anonymous"
	GroupMonitoring      = "system:monitoring"
)

// API groups the default rules name.
const (
	groupCore           = ""
	groupApps           = "apps"
	groupAuthentication = "authentication.k8s.io"
	groupAuthorization  = "authorization.k8s.io"
	groupAutoscaling    = "autoscaling"
	groupBatch          = "batch"
	groupCoordination   = "coordination.k8s.io"
	groupEvents         = "events.k8s.io"
	groupPolicy         = "policy"
	groupNetworking     = "networking.k8s.io"
	groupDiscovery      = "discovery.k8s.io"
	groupStorage        = "storage.k8s.io"
	groupScheduling     = "scheduling.k8s.io"
	groupMetrics        = "metrics.k8s.io"
)

var (
	verbsRead      = []string{"get", "list", "watch"}
	verbsWrite     = []string{"create", "delete", "deletecollection", "patch", "update"}
	verbsReadWrite = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
)

// rule is a resource rule: verbs on resources of groups.
func rule(verbs []string, groups []string, resources ...string) api.PolicyRule {
	return api.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

// named restricts a rule to names.
func named(r api.PolicyRule, names ...string) api.PolicyRule {
	r.ResourceNames = names
	return r
}

// urls is a non-resource rule.
func urls(verbs []string, paths ...string) api.PolicyRule {
	return api.PolicyRule{Verbs: verbs, NonResourceURLs: paths}
}

func g(groups ...string) []string { return groups }
func v(verbs ...string) []string  { return verbs }

// eventsRule lets a component record events (core and events.k8s.io).
func eventsRule() api.PolicyRule {
	return rule(v("create", "patch", "update"), g(groupCore, groupEvents), "events")
}

// NodeRules are the rules of the system:node ClusterRole, which the Node
// authorizer applies to every node (further narrowed by the objects its
// pods use): Kubernetes' NodeRules for the resources minik8s serves.
func NodeRules() []api.PolicyRule {
	return []api.PolicyRule{
		rule(v("create", "get", "list", "watch"), g(groupCore), "nodes"),
		rule(v("patch", "update"), g(groupCore), "nodes/status"),
		rule(v("delete", "patch", "update"), g(groupCore), "nodes"),
		eventsRule(),
		rule(verbsRead, g(groupCore), "pods"),
		rule(v("create", "delete"), g(groupCore), "pods"),
		rule(v("patch", "update"), g(groupCore), "pods/status"),
		rule(v("create"), g(groupCore), "pods/eviction"),
		rule(verbsRead, g(groupCore), "services", "endpoints"),
		rule(verbsRead, g(groupDiscovery), "endpointslices"),
		rule(v("get", "list", "watch"), g(groupCore), "secrets", "configmaps"),
		rule(v("get"), g(groupCore), "persistentvolumeclaims", "persistentvolumes"),
		rule(v("get", "patch", "update"), g(groupCore), "persistentvolumeclaims/status"),
		rule(v("create"), g(groupCore), "serviceaccounts/token"),
		rule(v("get", "create", "update", "patch", "delete"), g(groupCoordination), "leases"),
	}
}

// Controller roles minik8s's controller manager runs, as Kubernetes names
// them (system:controller:<name>).
const controllerRolePrefix = "system:controller:"

func controllerRoles() []*api.ClusterRole {
	cr := func(name string, rules ...api.PolicyRule) *api.ClusterRole {
		return clusterRole(controllerRolePrefix+name, nil, append(rules, eventsRule())...)
	}
	return []*api.ClusterRole{
		cr("replicaset-controller",
			rule(v("get", "list", "watch", "update"), g(groupApps), "replicasets"),
			rule(v("update"), g(groupApps), "replicasets/status", "replicasets/finalizers"),
			rule(v("create", "delete", "list", "patch", "watch"), g(groupCore), "pods")),
		cr("deployment-controller",
			rule(v("get", "list", "watch", "update"), g(groupApps), "deployments"),
			rule(v("update"), g(groupApps), "deployments/status", "deployments/finalizers"),
			rule(v("create", "delete", "get", "list", "patch", "update", "watch"), g(groupApps), "replicasets"),
			rule(v("get", "list", "watch", "update"), g(groupCore), "pods")),
		cr("node-controller",
			rule(v("delete", "get", "list", "patch", "update"), g(groupCore), "nodes"),
			rule(v("patch", "update"), g(groupCore), "nodes/status"),
			rule(v("patch", "update"), g(groupCore), "pods/status"),
			rule(v("delete", "list"), g(groupCore), "pods"),
			rule(v("get", "list", "watch"), g(groupCoordination), "leases")),
		cr("endpoint-controller",
			rule(verbsRead, g(groupCore), "services", "pods"),
			rule(v("get", "list", "create", "update", "delete"), g(groupCore), "endpoints"),
			rule(v("create"), g(groupCore), "endpoints/restricted")),
		cr("endpointslice-controller",
			rule(verbsRead, g(groupCore), "services", "pods", "nodes"),
			rule(v("get", "list", "watch", "create", "update", "delete"), g(groupDiscovery), "endpointslices")),
		cr("disruption-controller",
			rule(verbsRead, g(groupApps), "deployments", "replicasets", "statefulsets"),
			rule(verbsRead, g(groupCore), "replicationcontrollers", "pods"),
			rule(verbsRead, g(groupPolicy), "poddisruptionbudgets"),
			rule(v("update"), g(groupPolicy), "poddisruptionbudgets/status"),
			rule(v("get"), g("*"), "*/scale")),
		cr("service-account-controller",
			rule(v("create"), g(groupCore), "serviceaccounts")),
		cr("root-ca-cert-publisher",
			rule(v("create", "update"), g(groupCore), "configmaps")),
		cr("resourcequota-controller",
			rule(v("list", "watch"), g("*"), "*"),
			rule(v("update"), g(groupCore), "resourcequotas/status")),
		cr("job-controller",
			rule(v("get", "list", "watch", "update", "patch"), g(groupBatch), "jobs"),
			rule(v("update", "patch"), g(groupBatch), "jobs/status"),
			rule(v("update"), g(groupBatch), "jobs/finalizers"),
			rule(v("list", "watch", "create", "delete", "patch"), g(groupCore), "pods")),
		cr("cronjob-controller",
			rule(v("get", "list", "watch", "update"), g(groupBatch), "cronjobs"),
			rule(v("create", "delete", "get", "list", "watch", "update", "patch"), g(groupBatch), "jobs"),
			rule(v("update"), g(groupBatch), "cronjobs/status"),
			rule(v("update"), g(groupBatch), "cronjobs/finalizers"),
			rule(v("list", "delete"), g(groupCore), "pods")),
		cr("daemon-set-controller",
			rule(v("get", "list", "watch"), g(groupApps), "daemonsets"),
			rule(v("update"), g(groupApps), "daemonsets/status", "daemonsets/finalizers"),
			rule(v("list", "watch"), g(groupCore), "nodes"),
			rule(v("list", "watch", "create", "delete", "patch"), g(groupCore), "pods"),
			rule(v("create"), g(groupCore), "pods/binding"),
			rule(v("get", "list", "watch", "create", "delete", "update", "patch"), g(groupApps), "controllerrevisions")),
		cr("statefulset-controller",
			rule(v("list", "watch"), g(groupCore), "pods"),
			rule(v("get", "list", "watch"), g(groupApps), "statefulsets"),
			rule(v("update"), g(groupApps), "statefulsets/status", "statefulsets/finalizers"),
			rule(v("get", "create", "delete", "update", "patch"), g(groupCore), "pods"),
			rule(v("get", "create", "delete", "update", "patch", "list", "watch"), g(groupApps), "controllerrevisions"),
			rule(v("get", "create"), g(groupCore), "persistentvolumeclaims"),
			rule(v("update", "delete"), g(groupCore), "persistentvolumeclaims")),
		cr("horizontal-pod-autoscaler",
			rule(verbsRead, g(groupAutoscaling), "horizontalpodautoscalers"),
			rule(v("update"), g(groupAutoscaling), "horizontalpodautoscalers/status"),
			rule(v("get", "update"), g("*"), "*/scale"),
			rule(v("list"), g(groupCore), "pods"),
			rule(v("list"), g(groupMetrics), "pods"),
			rule(v("get", "list"), g("custom.metrics.k8s.io"), "*"),
			rule(v("get", "list"), g("external.metrics.k8s.io"), "*")),
		cr("pod-garbage-collector",
			rule(v("list", "watch", "delete"), g(groupCore), "pods"),
			rule(v("get", "list"), g(groupCore), "nodes"),
			rule(v("patch"), g(groupCore), "pods/status")),
		cr("ttl-after-finished-controller",
			rule(v("delete", "get", "list", "watch"), g(groupBatch), "jobs")),
		cr("generic-garbage-collector",
			rule(v("delete", "get", "list", "patch", "update", "watch"), g("*"), "*")),
		cr("namespace-controller",
			rule(v("delete", "get", "list", "watch"), g(groupCore), "namespaces"),
			// minik8s finalizes a namespace by updating it (Kubernetes
			// through namespaces/finalize).
			rule(v("update"), g(groupCore), "namespaces", "namespaces/finalize", "namespaces/status"),
			rule(v("delete", "deletecollection", "get", "list"), g("*"), "*")),
	}
}

// clusterRole builds a default ClusterRole.
func clusterRole(name string, labels map[string]string, rules ...api.PolicyRule) *api.ClusterRole {
	cr := &api.ClusterRole{Rules: rules}
	cr.Name = name
	cr.Labels = map[string]string{LabelBootstrapping: "rbac-defaults"}
	for k, val := range labels {
		cr.Labels[k] = val
	}
	cr.Annotations = map[string]string{AnnotationAutoupdate: "true"}
	return cr
}

func aggregated(name string, labels map[string]string, selector string) *api.ClusterRole {
	cr := clusterRole(name, labels)
	cr.AggregationRule = &api.AggregationRule{ClusterRoleSelectors: []api.LabelSelector{{MatchLabels: map[string]string{selector: "true"}}}}
	return cr
}

// DefaultClusterRoles are the ClusterRoles every cluster has: Kubernetes'
// bootstrap roles for what minik8s serves, and the roles of minik8s's
// components.
func DefaultClusterRoles() []*api.ClusterRole {
	roles := []*api.ClusterRole{
		clusterRole("cluster-admin", nil,
			rule(v("*"), g("*"), "*"),
			urls(v("*"), "*")),
		clusterRole("system:discovery", nil,
			urls(v("get"), "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")),
		clusterRole("system:basic-user", nil,
			rule(v("create"), g(groupAuthentication), "selfsubjectreviews"),
			rule(v("create"), g(groupAuthorization), "selfsubjectaccessreviews", "selfsubjectrulesreviews")),
		clusterRole("system:public-info-viewer", nil,
			urls(v("get"), "/healthz", "/livez", "/readyz", "/version", "/version/")),
		clusterRole("system:service-account-issuer-discovery", nil,
			urls(v("get"), "/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/")),
		clusterRole("system:monitoring", nil,
			urls(v("get"), "/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/metrics", "/metrics/slis")),
		// Kubernetes' role for callers of the kubelet's API (nodes/proxy
		// reaches it through the API server).
		clusterRole("system:kubelet-api-admin", nil,
			rule(v("get", "list", "watch", "proxy"), g(groupCore), "nodes"),
			rule(v("*"), g(groupCore), "nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats")),
		aggregated("admin", nil, LabelAggregateToAdmin),
		aggregated("edit", map[string]string{LabelAggregateToAdmin: "true"}, LabelAggregateToEdit),
		aggregated("view", map[string]string{LabelAggregateToEdit: "true"}, LabelAggregateToView),
		clusterRole("system:aggregate-to-admin", map[string]string{LabelAggregateToAdmin: "true"},
			rule(v("create"), g(groupAuthorization), "localsubjectaccessreviews"),
			rule(verbsReadWrite, g(api.RBACGroup), "roles", "rolebindings")),
		clusterRole("system:aggregate-to-edit", map[string]string{LabelAggregateToEdit: "true"},
			rule(verbsRead, g(groupCore), "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
			rule(v("impersonate"), g(groupCore), "serviceaccounts"),
			rule(verbsWrite, g(groupCore), "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
			rule(v("create"), g(groupCore), "pods/eviction"),
			rule(verbsWrite, g(groupCore), "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
				"services", "services/proxy", "endpoints", "persistentvolumeclaims", "configmaps", "secrets", "events"),
			rule(v("create"), g(groupCore), "serviceaccounts/token"),
			rule(verbsWrite, g(groupApps), "daemonsets", "deployments", "deployments/rollback", "deployments/scale",
				"replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"),
			rule(verbsWrite, g(groupAutoscaling), "horizontalpodautoscalers"),
			rule(verbsWrite, g(groupBatch), "cronjobs", "jobs"),
			rule(verbsWrite, g(groupPolicy), "poddisruptionbudgets"),
			rule(verbsWrite, g(groupNetworking), "networkpolicies", "ingresses"),
			rule(verbsReadWrite, g(groupCoordination), "leases")),
		clusterRole("system:aggregate-to-view", map[string]string{LabelAggregateToView: "true"},
			rule(verbsRead, g(groupCore), "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
				"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
			rule(verbsRead, g(groupCore), "limitranges", "resourcequotas", "bindings", "events", "pods/status",
				"resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
			rule(verbsRead, g(groupCore), "namespaces"),
			rule(verbsRead, g(groupDiscovery), "endpointslices"),
			rule(verbsRead, g(groupApps), "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
				"deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"),
			rule(verbsRead, g(groupAutoscaling), "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
			rule(verbsRead, g(groupBatch), "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
			rule(verbsRead, g(groupPolicy), "poddisruptionbudgets", "poddisruptionbudgets/status"),
			rule(verbsRead, g(groupNetworking), "ingresses", "ingresses/status", "networkpolicies"),
			rule(verbsRead, g(groupMetrics), "pods", "nodes")),
		// metrics-server's own role, which lets admin, edit and view read
		// the resource metrics.
		clusterRole("system:aggregated-metrics-reader", map[string]string{
			LabelAggregateToAdmin: "true", LabelAggregateToEdit: "true", LabelAggregateToView: "true"},
			rule(verbsRead, g(groupMetrics), "pods", "nodes")),
		clusterRole("system:node", nil, NodeRules()...),
		clusterRole("system:kube-scheduler", nil,
			eventsRule(),
			rule(v("create"), g(groupCoordination), "leases"),
			named(rule(v("get", "update"), g(groupCoordination), "leases"), "kube-scheduler"),
			rule(verbsRead, g(groupCore), "nodes"),
			// patch: minik8s's scheduler publishes its decisions as a pod
			// annotation (scheduler.decisions).
			rule(v("delete", "get", "list", "watch", "patch"), g(groupCore), "pods"),
			rule(v("create"), g(groupCore), "bindings", "pods/binding"),
			rule(v("patch", "update"), g(groupCore), "pods/status"),
			rule(verbsRead, g(groupCore), "replicationcontrollers", "services"),
			rule(verbsRead, g(groupApps), "replicasets", "statefulsets"),
			rule(verbsRead, g(groupPolicy), "poddisruptionbudgets"),
			rule(verbsRead, g(groupCore), "persistentvolumeclaims", "persistentvolumes"),
			rule(v("create"), g(groupAuthentication), "tokenreviews"),
			rule(v("create"), g(groupAuthorization), "subjectaccessreviews"),
			rule(verbsRead, g(groupStorage), "csinodes", "csidrivers", "csistoragecapacities", "storageclasses"),
			rule(verbsRead, g(groupCore), "namespaces"),
			rule(verbsRead, g(groupScheduling), "priorityclasses")),
		clusterRole("system:kube-controller-manager", nil,
			eventsRule(),
			rule(v("create"), g(groupCoordination), "leases"),
			named(rule(v("get", "update"), g(groupCoordination), "leases"), "kube-controller-manager"),
			rule(v("create"), g(groupCore), "secrets", "serviceaccounts"),
			rule(v("delete"), g(groupCore), "secrets"),
			rule(v("get"), g(groupCore), "configmaps", "namespaces", "secrets", "serviceaccounts"),
			rule(v("update"), g(groupCore), "secrets", "serviceaccounts"),
			rule(v("create"), g(groupAuthentication), "tokenreviews"),
			rule(v("create"), g(groupAuthorization), "subjectaccessreviews"),
			rule(v("list", "watch"), g("*"), "*"),
			rule(v("create"), g(groupCore), "serviceaccounts/token")),
	}
	return append(roles, controllerRoles()...)
}

// clusterRoleBinding builds a default ClusterRoleBinding of role to
// subjects.
func clusterRoleBinding(name, role string, subjects ...api.Subject) *api.ClusterRoleBinding {
	b := &api.ClusterRoleBinding{RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: KindClusterRole, Name: role}, Subjects: subjects}
	b.Name = name
	b.Labels = map[string]string{LabelBootstrapping: "rbac-defaults"}
	b.Annotations = map[string]string{AnnotationAutoupdate: "true"}
	return b
}

// GroupSubject and UserSubject are binding subjects.
func GroupSubject(name string) api.Subject {
	return api.Subject{Kind: "Group", APIGroup: api.RBACGroup, Name: name}
}

// UserSubject is a binding subject naming a user.
func UserSubject(name string) api.Subject {
	return api.Subject{Kind: "User", APIGroup: api.RBACGroup, Name: name}
}

// DefaultClusterRoleBindings are the ClusterRoleBindings every cluster
// has. The controller roles are bound to the controller manager's own
// user, since minik8s's controller manager runs every controller with its
// one credential (Kubernetes' --use-service-account-credentials=false);
// system:node is bound to nobody: the Node authorizer applies it.
func DefaultClusterRoleBindings() []*api.ClusterRoleBinding {
	bs := []*api.ClusterRoleBinding{
		clusterRoleBinding("cluster-admin", "cluster-admin", GroupSubject(authn.MastersGroup)),
		clusterRoleBinding("system:discovery", "system:discovery", GroupSubject(GroupAuthenticated)),
		clusterRoleBinding("system:basic-user", "system:basic-user", GroupSubject(GroupAuthenticated)),
		clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer",
			GroupSubject(GroupAuthenticated), GroupSubject(GroupUnauthenticated)),
		clusterRoleBinding("system:monitoring", "system:monitoring", GroupSubject(GroupMonitoring)),
		clusterRoleBinding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery",
			GroupSubject("system:serviceaccounts")),
		clusterRoleBinding("system:node", "system:node"),
		clusterRoleBinding("system:kube-scheduler", "system:kube-scheduler", UserSubject(authn.SchedulerUser)),
		clusterRoleBinding("system:kube-controller-manager", "system:kube-controller-manager", UserSubject(authn.ControllerManagerUser)),
	}
	for _, cr := range controllerRoles() {
		bs = append(bs, clusterRoleBinding(cr.Name, cr.Name, UserSubject(authn.ControllerManagerUser)))
	}
	return bs
}
