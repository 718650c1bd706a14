// Package serviceaccount is the controller that gives every namespace
// what its pods need to call the API server, as Kubernetes'
// serviceaccounts-controller and root-ca-cert-publisher do: a "default"
// ServiceAccount, and a ConfigMap kube-root-ca.crt whose ca.crt is the
// cluster CA (the kube-api-access volume that ServiceAccount admission
// adds to pods projects it).
//
// Contract:
//   - For each namespace that is not being deleted, the default
//     ServiceAccount exists (re-created if deleted) and, when the
//     controller was given the CA, kube-root-ca.crt holds exactly it
//     (re-created if deleted, put back if changed).
//   - It writes only when something is missing or different; AlreadyExists
//     and the namespace going away mean done.
//   - Handlers only enqueue namespace names; sync is level-triggered and
//     idempotent, like every controller here.
package serviceaccount
