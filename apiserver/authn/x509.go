package authn

import (
	"crypto/x509"
	"slices"
	"time"
)

// CertUser authenticates a client certificate chain (leaf first, as TLS
// hands it over) against roots, as kube-apiserver's x509 authenticator
// does: the leaf must chain to a root, be valid now and allow client
// authentication; its subject's common name is the user and its
// organizations the groups. A chain that fails any check, or a leaf
// without a common name, does not authenticate.
func CertUser(chain []*x509.Certificate, roots *x509.CertPool) (User, bool) {
	if len(chain) == 0 || chain[0] == nil || roots == nil {
		return User{}, false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		if c != nil {
			inter.AddCert(c)
		}
	}
	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: time.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil || leaf.Subject.CommonName == "" {
		return User{}, false
	}
	return User{Name: leaf.Subject.CommonName, Groups: slices.Clone(leaf.Subject.Organization)}, true
}
