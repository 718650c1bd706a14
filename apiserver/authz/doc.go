// Package authz decides whether an authenticated user may make a request,
// with Kubernetes' semantics: RBAC (Role, ClusterRole, RoleBinding,
// ClusterRoleBinding, aggregated ClusterRoles) and the Node authorizer.
//
// Contract:
//
//   - A decision takes Attributes: the user as apiserver/authn produced it
//     and the request as apiserver/reqinfo parsed it (verb, API group,
//     namespace, resource, subresource, name; or the path of a non-resource
//     request). Members of system:masters are always allowed.
//   - RBAC keeps the four RBAC kinds in memory, fed by the API server's
//     list and watch (Replace, Apply, Delete); a decision reads only that
//     memory, through indexes by subject, so it costs a few map lookups
//     whatever the number of roles and bindings. A binding that names a
//     missing role grants nothing. An aggregated ClusterRole's rules are
//     the union of its own and those of the ClusterRoles its selectors
//     match, computed here as Kubernetes' clusterrole-aggregation
//     controller computes them.
//   - Denials carry Kubernetes' wording (ForbiddenMessage); RulesFor,
//     Covers and the escalation checks (ConfirmNoEscalation) are the ones
//     the RBAC registry uses.
//   - The API server wires them (apiserver/authorize.go): every request is
//     authorised after authentication and impersonation, before anything
//     is read; escalation prevention and NodeRestriction run on writes
//     (apiserver/admitauthz.go); the default roles are reconciled on start
//     (apiserver/rbacbootstrap.go).
//   - All methods are safe for concurrent use.
package authz
