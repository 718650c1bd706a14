package cmd

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/kubeconfig"
	"github.com/minik8s/minik8s/pki"
)

// Global flags work before and after the command, and after wins.
func TestGlobalFlagsBeforeAndAfterTheCommand(t *testing.T) {
	dirs := map[string]string{}
	for _, name := range []string{"a", "b"} {
		dirs[name] = t.TempDir()
		if err := os.WriteFile(filepath.Join(dirs[name], "kubeconfig"), []byte("cluster "+name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-dir", dirs["a"], "kubeconfig"}, "cluster a"},
		{[]string{"kubeconfig", "--data-dir", dirs["b"]}, "cluster b"},
		{[]string{"--data-dir", dirs["a"], "kubeconfig", "--data-dir", dirs["b"]}, "cluster b"},
	} {
		a := App()
		var out bytes.Buffer
		a.Writer = &out
		if err := a.Run(append([]string{"minik8s"}, tc.args...)); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := out.String(); got != tc.want {
			t.Errorf("%v printed %q, want %q", tc.args, got, tc.want)
		}
	}
}

// A bad value is one error naming the flag.
func TestBadFlagValue(t *testing.T) {
	err := App().Run([]string{"minik8s", "all", "--log-level", "loud"})
	if err == nil || !strings.Contains(err.Error(), "--log-level") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// Console logs have colours on a terminal only; a file or a pipe gets
// plain text.
func TestLogColoursOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for name, w := range map[string]interface {
		Write([]byte) (int, error)
	}{"file": f, "buffer": &buf} {
		l := newLogger(app.LogConfig{Level: "info", Format: "console"}, w)
		l.Warn().Str("pod", "web").Str("writer", name).Msg("hello")
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"file": string(b), "buffer": buf.String()} {
		if !strings.Contains(out, "hello") || strings.Contains(out, "\x1b[") {
			t.Errorf("log to a %s = %q, want plain text", name, out)
		}
	}
}

// `minik8s kubeconfig --user` prints a kubeconfig with a client
// certificate; bad input is one line naming what is wrong.
func TestKubeconfigUser(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := pki.Ensure(pki.In(dir), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := kubeconfig.New("https://127.0.0.1:6443", "admin-token", "minik8s").Save(filepath.Join(dir, "kubeconfig")); err != nil {
		t.Fatal(err)
	}
	a := App()
	var out bytes.Buffer
	a.Writer = &out
	if err := a.Run([]string{"minik8s", "kubeconfig", "--data-dir", dir, "--user", "alice", "--group", "dev", "--group", "ops"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alice")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	kc, err := kubeconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kc.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pem.Decode(r.ClientCert)
	if p == nil || r.Token != "" || r.Cluster.Server != "https://127.0.0.1:6443" {
		t.Fatalf("kubeconfig %+v", r)
	}
	cert, err := x509.ParseCertificate(p.Bytes)
	if err != nil || cert.Subject.CommonName != "alice" || strings.Join(cert.Subject.Organization, ",") != "dev,ops" {
		t.Fatalf("certificate %v %v", cert.Subject, err)
	}
	for _, args := range [][]string{
		{"--user", ""},
		{"--group", "dev"},
		{"--user", "bob", "--group", ""},
		{"--user", "bob", "extra"},
	} {
		err := App().Run(append([]string{"minik8s", "kubeconfig", "--data-dir", dir}, args...))
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err = %v, want one line", args, err)
		}
	}
	if err := App().Run([]string{"minik8s", "kubeconfig", "--data-dir", t.TempDir(), "--user", "bob"}); err == nil {
		t.Error("a data dir without a cluster minted a credential")
	}
}
