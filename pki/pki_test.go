package pki

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureServesVerifiableTLS(t *testing.T) {
	f := In(t.TempDir())
	cfg, caPEM, err := Ensure(f, DefaultHosts("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM does not parse")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("client trusting only the CA: %v", err)
	}
	resp.Body.Close()
}

func TestEnsureKeepsCAAndReissuesForNewHosts(t *testing.T) {
	f := In(t.TempDir())
	_, ca1, err := Ensure(f, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, ca2, err := Ensure(f, []string{"127.0.0.1", "10.1.2.3", "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	if string(ca1) != string(ca2) {
		t.Fatal("the CA changed between starts")
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"127.0.0.1", "10.1.2.3", "node-a"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("serving certificate not valid for %s: %v", h, err)
		}
	}
}

// Every file Ensure writes is for its owner only (certificates were 0644).
func TestEnsureWritesOwnerOnlyFiles(t *testing.T) {
	f := In(t.TempDir())
	if _, _, err := Ensure(f, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.CACert, f.CAKey, f.Cert, f.Key} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
}

// A server with a certificate from the CA accepts clients with one, tells
// apart a client without, and refuses one from another CA.
func TestCAServerAndClientCertificates(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if _, _, err := Ensure(In(d), []string{"127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := LoadCA(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(t.TempDir()); err == nil {
		t.Fatal("LoadCA of an empty dir succeeded")
	}
	serving, err := ca.ServingCert("node", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			w.Write([]byte("anonymous"))
			return
		}
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = ca.ServerTLS(serving)
	srv.StartTLS()
	defer srv.Close()
	get := func(cfg *tls.Config) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	good, err := ca.ClientCert(KubeletClientCN)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(ca.ClientTLS(good)); err != nil || got != KubeletClientCN {
		t.Errorf("client with the CA's certificate: %q, %v", got, err)
	}
	if got, err := get(&tls.Config{RootCAs: ca.Pool()}); err != nil || got != "anonymous" {
		t.Errorf("client without a certificate: %q, %v", got, err)
	}
	forged, err := otherCA.ClientCert(KubeletClientCN)
	if err != nil {
		t.Fatal(err)
	}
	cfg := otherCA.ClientTLS(forged)
	cfg.RootCAs = ca.Pool()
	if got, err := get(cfg); err == nil {
		t.Errorf("client with another CA's certificate got through: %q", got)
	}
	if _, err := get(otherCA.ClientTLS(good)); err == nil {
		t.Error("a client trusting another CA accepted the server")
	}
}
