// Package authn authenticates API requests, as kube-apiserver's union of
// authenticators does: by client certificate signed by the cluster CA (CN
// the user, O the groups; CertUser), by service account token (a
// TokenAuthenticator the API server provides, see package satoken), or by
// bearer token against a static token file, the format of
// kube-apiserver's --token-auth-file.
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
// Contract of Authenticator.Middleware (Middleware: tokens only):
//   - A request that any of its credentials authenticates (a verified
//     client certificate, a service account token, a token in the file)
//     runs with its User in the request context (UserFrom) and in the echo
//     context under ContextKey; the User's groups end with
//     system:authenticated (AuthenticatedGroup).
//   - A request with no credential on a public path (PublicPath: health,
//     version, the issuer's discovery document and keys) runs anonymously
//     (no User). On any other path it gets 401 with a Kubernetes Status
//     body, reason Unauthorized.
//   - A request whose credentials all fail (a token in no file and no valid
//     service account token, a certificate of another CA, expired, or not
//     for client authentication) gets 401 on every path, public or not, as
//     kube-apiserver does: bad credentials are never downgraded to
//     anonymous.
//   - Tokens are compared in constant time; the time taken does not depend on
//     which token matched, or how much of one did.
//
// Tokens and Middleware are safe for concurrent use. The file functions
// (EnsureTokenFile, AddToken) are not safe against concurrent writers of the
// same file.
package authn
