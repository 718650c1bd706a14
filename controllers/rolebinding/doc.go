// Package rolebinding is the controller that says when an RBAC binding
// grants nothing: a RoleBinding or ClusterRoleBinding whose roleRef names
// a Role or ClusterRole that does not exist binds nothing, as in
// Kubernetes (the authorizer skips it), and this controller records a
// Warning event RoleNotFound on the binding so that `kubectl describe` and
// `kubectl get events` show why its subjects are still forbidden.
// Kubernetes itself stays silent here; minik8s says it because a missing
// role is the most common RBAC mistake in a workshop.
//
// Contract:
//   - Keys are bindings: {namespace, name} for a RoleBinding, {"", name}
//     for a ClusterRoleBinding (ClusterRoleBindings have no namespace, so
//     the two never collide).
//   - A binding is looked at when it is added or its roleRef's role is
//     deleted; a binding whose role exists is left alone, one whose role
//     is missing gets the event (the recorder aggregates repeats). A
//     binding younger than two seconds is looked at again at that age
//     instead: a role created with it may not have reached the role
//     informer yet, as the two come by separate watches.
//   - It only reads (informers) and writes events.
package rolebinding
