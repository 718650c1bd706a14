package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
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
