package kubeconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A file in the shape kind and kubectl write, with fields we do not model.
const sample = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://127.0.0.1:6443
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {}
  name: prod
- cluster:
    insecure-skip-tls-verify: true
    server: http://127.0.0.1:8080
  name: dev
contexts:
- context:
    cluster: prod
    user: admin
    namespace: kube-system
  name: prod-admin
- context:
    cluster: dev
    user: dev
  name: dev
- context:
    cluster: missing
    user: dev
  name: broken-cluster
- context:
    cluster: dev
    user: missing
  name: broken-user
- context:
    cluster: dev
  name: anonymous
current-context: prod-admin
preferences: {}
users:
- name: admin
  user:
    token: s3cret
    client-certificate-data: Zm9v
- name: dev
  user:
    tokenFile: TOKENFILE
`

func writeSample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(sample, "TOKENFILE", tok)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	c, err := Load(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		context string
		want    Resolved
		wantErr string
	}{
		{context: "prod-admin", want: Resolved{
			Context:   "prod-admin",
			Cluster:   Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("-----BEGIN CERTIFICATE-----\n")},
			Token:     "s3cret",
			Namespace: "kube-system",
		}},
		{context: "dev", want: Resolved{
			Context:   "dev",
			Cluster:   Cluster{Server: "http://127.0.0.1:8080", InsecureSkipTLSVerify: true},
			Token:     "from-file",
			Namespace: "default",
		}},
		{context: "anonymous", want: Resolved{
			Context:   "anonymous",
			Cluster:   Cluster{Server: "http://127.0.0.1:8080", InsecureSkipTLSVerify: true},
			Namespace: "default",
		}},
		{context: "", wantErr: "no current-context"},
		{context: "nope", wantErr: `context "nope" not found`},
		{context: "broken-cluster", wantErr: `cluster "missing"`},
		{context: "broken-user", wantErr: `user "missing"`},
	}
	for _, tc := range tests {
		t.Run(tc.context, func(t *testing.T) {
			c.CurrentContext = tc.context
			got, err := c.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Context != tc.want.Context || got.Token != tc.want.Token || got.Namespace != tc.want.Namespace ||
				got.Cluster.Server != tc.want.Cluster.Server ||
				got.Cluster.InsecureSkipTLSVerify != tc.want.Cluster.InsecureSkipTLSVerify ||
				string(got.Cluster.CertificateAuthorityData) != string(tc.want.Cluster.CertificateAuthorityData) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			server, token, err := c.Current()
			if err != nil || server != tc.want.Cluster.Server || token != tc.want.Token {
				t.Fatalf("Current = %q, %q, %v", server, token, err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "absent")); !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("missing file: err = %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("clusters: [unterminated"), 0o600)
	if _, err := Load(bad); err == nil {
		t.Fatal("malformed YAML loaded without error")
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestWriteRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "config")
	if err := Write(p, "http://127.0.0.1:6443", "tok", "minik8s"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Fatalf("mode = %v, want 0600", mode)
	}
	// Overwrite: the old content is replaced and no temp file remains.
	if err := Write(p, "http://10.0.0.1:6443", "tok2", "minik8s"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the config", len(entries))
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	server, token, err := c.Current()
	if err != nil || server != "http://10.0.0.1:6443" || token != "tok2" {
		t.Fatalf("Current = %q, %q, %v", server, token, err)
	}
}

func TestSaveKeepsCAData(t *testing.T) {
	c := New("https://127.0.0.1:6443", "tok", "x")
	c.Clusters[0].Cluster.CertificateAuthorityData = []byte("pem bytes")
	p := filepath.Join(t.TempDir(), "config")
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "certificate-authority-data: cGVtIGJ5dGVz") {
		t.Fatalf("CA data not base64-encoded in file:\n%s", b)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Clusters[0].Cluster.CertificateAuthorityData) != "pem bytes" {
		t.Fatalf("CA data = %q", got.Clusters[0].Cluster.CertificateAuthorityData)
	}
}

// TestKubectlAcceptsWrittenFile runs the real kubectl on a written file.
func TestKubectlAcceptsWrittenFile(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("the real kubectl is needed: %v", err)
	}
	p := filepath.Join(t.TempDir(), "config")
	if err := Write(p, "http://127.0.0.1:6443", "tok", "minik8s"); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(kubectl, append([]string{"--kubeconfig", p}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("config", "current-context"); got != "minik8s" {
		t.Fatalf("current-context = %q", got)
	}
	if got := run("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server} {.users[0].user.token} {.contexts[0].context.user}"); got != "http://127.0.0.1:6443 tok minik8s" {
		t.Fatalf("kubectl config view = %q", got)
	}
}

// TestSocketExtension: SetSocket adds, replaces and removes the
// SocketExtension without touching other extensions or the slice of the
// cluster it was copied from, and the path survives Save and Load.
func TestSocketExtension(t *testing.T) {
	base := Cluster{Server: "https://127.0.0.1:6443", Extensions: []NamedExtension{{Name: "other", Extension: []byte(`{}`)}}}
	c := base
	c.SetSocket("/data/apiserver.sock")
	c.SetSocket("/data/apiserver.sock") // replaces, does not add
	if got := c.Socket(); got != "/data/apiserver.sock" || len(c.Extensions) != 2 {
		t.Fatalf("after SetSocket: Socket() %q, extensions %+v", got, c.Extensions)
	}
	if base.Socket() != "" || len(base.Extensions) != 1 {
		t.Fatalf("SetSocket changed the cluster it was copied from: %+v", base.Extensions)
	}
	kc := New(c.Server, "tok", "minik8s")
	kc.Clusters[0].Cluster = c
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kc.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Clusters[0].Cluster.Socket(); got != "/data/apiserver.sock" {
		t.Fatalf("after Save and Load: Socket() %q", got)
	}
	c.SetSocket("")
	if c.Socket() != "" || len(c.Extensions) != 1 || c.Extensions[0].Name != "other" {
		t.Fatalf("SetSocket(\"\") left %+v", c.Extensions)
	}
	if IsSocket(path) {
		t.Fatalf("IsSocket(%s), a regular file", path)
	}
}
