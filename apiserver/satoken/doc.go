// Package satoken issues and verifies ServiceAccount tokens: JWTs signed
// (ES256) with a key kept in the data directory, with the claims
// Kubernetes puts in them, and the issuer's OpenID discovery document and
// key set.
//
// Contract:
//   - EnsureKey makes the signing key on first start (mode 0600) and
//     returns the same key on every later start, also to API servers that
//     share the data directory and start at once.
//   - Issuer.Issue signs the claims it is given; Issuer.Verify accepts a
//     token only if it is an ES256 JWS whose signature the issuer's key
//     verifies, whose iss is the issuer, whose aud shares one audience with
//     the issuer's API audiences, and which is within nbf and exp (a minute
//     of leeway for clocks, as Kubernetes allows). A token that does not
//     look like a JWT of this issuer is ErrNotMine, so that other
//     authenticators may try it; every other failure is an error too.
//   - Verify checks the token alone; that the service account, and the
//     pod or secret the token is bound to, still exist with the uids the
//     token names is the caller's check (it knows the store).
//
// Issuer is immutable and safe for concurrent use.
//
// go-jose (github.com/go-jose/go-jose/v4) does the JOSE work: Kubernetes
// itself uses it for these tokens, and it refuses the classic JWT traps
// (alg "none", algorithm confusion) by making the caller name the
// algorithms it accepts.
package satoken
