// Package authn authenticates API requests by bearer token against a static
// token file, the format of kube-apiserver's --token-auth-file.
//
// The token file is CSV, one credential per line:
//
//	token,user,uid,"group1,group2"
//
// The groups column is optional; lines starting with '#' and blank lines are
// ignored. EnsureTokenFile creates the file on first start with a random
// token for user "admin" in group "system:masters"; AddToken appends a line;
// EnsureUser returns a component's token, appending one on its first start
// (system:kube-scheduler, system:kube-controller-manager,
// system:node:<name> in system:nodes). A loaded Tokens reads the file again
// when a token is not found and the file changed, so lines appended while
// the API server runs take effect at once.
//
// Contract of Middleware:
//   - A request with "Authorization: Bearer <token>" whose token is in the
//     file runs with its User in the request context (UserFrom) and in the
//     echo context under ContextKey.
//   - A request with no bearer token on a public path runs anonymously (no
//     User). On any other path it gets 401 with a Kubernetes Status body,
//     reason Unauthorized.
//   - A request with a bearer token that is not in the file gets 401 on every
//     path, public or not, as kube-apiserver does: bad credentials are never
//     downgraded to anonymous.
//   - Tokens are compared in constant time; the time taken does not depend on
//     which token matched, or how much of one did.
//
// Tokens and Middleware are safe for concurrent use. The file functions
// (EnsureTokenFile, AddToken) are not safe against concurrent writers of the
// same file.
package authn
