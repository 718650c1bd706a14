package apiserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/pki"
)

// whoami sends a SelfSubjectReview with client and returns its user, or
// the HTTP code when it is not 201.
func whoami(t *testing.T, s *testenv.APIServer, client *http.Client, token string) (api.UserInfo, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/apis/authentication.k8s.io/v1/selfsubjectreviews",
		strings.NewReader(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return api.UserInfo{}, resp.StatusCode
	}
	var review api.SelfSubjectReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil {
		t.Fatal(err)
	}
	return review.Status.UserInfo, resp.StatusCode
}

// certClient is an HTTPS client of s presenting cert.
func certClient(s *testenv.APIServer, cert tls.Certificate) *http.Client {
	tr := s.HTTP.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = tr.TLSClientConfig.Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &http.Client{Transport: tr}
}

// TestClientCertificates: a certificate the cluster CA signed
// authenticates as its CN in its O groups (and system:authenticated); one
// of another CA, an expired one or one for servers only is a 401 Status,
// unless a valid token comes with it.
func TestClientCertificates(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	ca, err := pki.LoadCA(s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := ca.ClientCert("alice", "dev", "ops")
	if err != nil {
		t.Fatal(err)
	}
	u, code := whoami(t, s, certClient(s, alice), "")
	if code != http.StatusCreated || u.Username != "alice" || !slices.Equal(u.Groups, []string{"dev", "ops", "system:authenticated"}) {
		t.Fatalf("whoami with alice's certificate = %d %+v", code, u)
	}

	// A CA of another cluster, with the same name.
	other := t.TempDir()
	if _, _, err := pki.Ensure(pki.In(other), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	otherCA, err := pki.LoadCA(other)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := otherCA.ClientCert("admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.ServingCert("mallory", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// alice again, signed by the cluster CA, but expired a minute ago.
	expired := expiredClientCert(t, s.DataDir, "alice", "system:masters")
	for name, cert := range map[string]tls.Certificate{"foreign CA": foreign, "server certificate": serving, "expired": expired} {
		t.Run(name, func(t *testing.T) {
			c := certClient(s, cert)
			if _, code := whoami(t, s, c, ""); code != http.StatusUnauthorized {
				t.Fatalf("whoami = %d, want 401", code)
			}
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/namespaces", nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var st api.Status
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if resp.StatusCode != 401 || st.Kind != "Status" || st.Reason != api.StatusReasonUnauthorized {
				t.Fatalf("list = %d %+v, want a 401 Unauthorized Status", resp.StatusCode, st)
			}
			// A valid token authenticates whatever else comes with it.
			if u, code := whoami(t, s, c, s.Token); code != http.StatusCreated || u.Username != "admin" {
				t.Fatalf("whoami with the admin token = %d %+v", code, u)
			}
		})
	}
}

// expiredClientCert is a client certificate for cn in groups that the CA
// in dataDir signed, valid from two hours ago until a minute ago.
func expiredClientCert(t *testing.T, dataDir, cn string, groups ...string) tls.Certificate {
	t.Helper()
	f := pki.In(dataDir)
	ca, err := tls.LoadX509KeyPair(f.CACert, f.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: groups},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     time.Now().Add(-time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, caCert.Raw}, PrivateKey: key}
}

// TestAnonymous: without credentials only the health, version and issuer
// discovery paths pass authentication (everything else is 401); RBAC then
// lets anonymous callers read health and version only (the issuer
// discovery role is bound to ServiceAccounts, as in Kubernetes).
func TestAnonymous(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	for path, want := range map[string]int{
		"/healthz": 200, "/livez": 200, "/readyz": 200, "/version": 200,
		"/.well-known/openid-configuration": 403, "/openid/v1/jwks": 403,
		"/api": 401, "/apis": 401, "/api/v1/namespaces": 401, "/openapi/v2": 401, "/metrics": 401,
	} {
		resp, err := s.HTTP.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s anonymously = %d, want %d", path, resp.StatusCode, want)
		}
	}
	if _, code := whoami(t, s, s.HTTP, ""); code != http.StatusUnauthorized {
		t.Errorf("anonymous whoami = %d, want 401", code)
	}
	u, code := whoami(t, s, s.HTTP, s.Token)
	if code != http.StatusCreated || u.Username != "admin" || !slices.Equal(u.Groups, []string{"system:masters", "system:authenticated"}) {
		t.Errorf("admin whoami = %d %+v", code, u)
	}
}

// TestUserKubeconfig: `minik8s kubeconfig --user` (app.UserKubeconfig)
// gives kubectl a working credential, which `kubectl auth whoami` names.
func TestUserKubeconfig(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	cfg := app.Default()
	cfg.DataDir = s.DataDir
	kc, err := cfg.UserKubeconfig("student-1", []string{"students", "workshop"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "student.kubeconfig")
	if err := kc.Save(path); err != nil {
		t.Fatal(err)
	}
	student := *s
	student.Kubeconfig = path
	out, err := student.Kubectl(t, "", "auth", "whoami", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var review api.SelfSubjectReview
	if err := json.Unmarshal([]byte(out), &review); err != nil {
		t.Fatalf("whoami -o json: %v\n%s", err, out)
	}
	if u := review.Status.UserInfo; u.Username != "student-1" || !slices.Equal(u.Groups, []string{"students", "workshop", "system:authenticated"}) {
		t.Fatalf("whoami = %+v", u)
	}
	// Certificates carry groups: RBAC grants the students' group view.
	if _, err := s.Kubectl(t, "", "create", "clusterrolebinding", "students-view", "--clusterrole=view", "--group=students"); err != nil {
		t.Fatal(err)
	}
	if out, err := student.Kubectl(t, "", "get", "ns", "default", "-o", "name"); err != nil || strings.TrimSpace(out) != "namespace/default" {
		t.Fatalf("get ns as the student: %v %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), s.Token) {
		t.Fatal("the student's kubeconfig holds the admin token")
	}
	for _, bad := range []struct {
		user   string
		groups []string
	}{{"", nil}, {" bob", nil}, {"bob", []string{""}}, {"bob\n", nil}} {
		if _, err := cfg.UserKubeconfig(bad.user, bad.groups); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("UserKubeconfig(%q, %q) = %v, want a one-line error", bad.user, bad.groups, err)
		}
	}
}
