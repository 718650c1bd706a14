package authn

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/pki"
)

func testCA(t testing.TB) *pki.CA {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := pki.Ensure(pki.In(dir), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestCertUser(t *testing.T) {
	ca, other := testCA(t), testCA(t)
	leaf := func(ca *pki.CA, cn string, groups ...string) []*x509.Certificate {
		c, err := ca.ClientCert(cn, groups...)
		if err != nil {
			t.Fatal(err)
		}
		return []*x509.Certificate{c.Leaf}
	}
	serving, err := ca.ServingCert("web", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// A chain that claims the other CA's certificate as an intermediate
	// proves nothing.
	mixed := append(leaf(other, "eve", "system:masters"), leaf(ca, "x")[0])
	for _, tc := range []struct {
		name   string
		chain  []*x509.Certificate
		ok     bool
		user   string
		groups []string
	}{
		{"client certificate", leaf(ca, "alice", "dev", "ops"), true, "alice", []string{"dev", "ops"}},
		{"no groups", leaf(ca, "bob"), true, "bob", nil},
		{"another CA", leaf(other, "alice", "system:masters"), false, "", nil},
		{"server certificate", []*x509.Certificate{serving.Leaf}, false, "", nil},
		{"no common name", leaf(ca, ""), false, "", nil},
		{"other CA with a leaf of ours as intermediate", mixed, false, "", nil},
		{"empty chain", nil, false, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, ok := CertUser(tc.chain, ca.Pool())
			if ok != tc.ok || u.Name != tc.user || !slices.Equal(u.Groups, tc.groups) {
				t.Fatalf("CertUser = %+v %v, want %q %q %v", u, ok, tc.user, tc.groups, tc.ok)
			}
		})
	}
}

// FuzzCertUser: any DER the TLS stack could hand over parses or not, and
// never authenticates unless the cluster CA signed it; nothing panics.
func FuzzCertUser(f *testing.F) {
	dir := f.TempDir()
	if _, _, err := pki.Ensure(pki.In(dir), []string{"127.0.0.1"}); err != nil {
		f.Fatal(err)
	}
	ca, err := pki.LoadCA(dir)
	if err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(pki.In(dir).CACert)
	if err != nil {
		f.Fatal(err)
	}
	p, _ := pem.Decode(b)
	root, err := x509.ParseCertificate(p.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := ca.ClientCert("alice", "dev")
	foreign, _ := testCA(f).ClientCert("eve", "system:masters")
	f.Add(good.Certificate[0])
	f.Add(foreign.Certificate[0])
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		if u, ok := CertUser([]*x509.Certificate{c}, ca.Pool()); ok && c.CheckSignatureFrom(root) != nil {
			t.Fatalf("authenticated %+v from a certificate the CA did not sign", u)
		}
	})
}
