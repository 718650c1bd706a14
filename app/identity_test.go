package app

import (
	"path/filepath"
	"testing"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/kubeconfig"
)

func TestComponentKubeconfig(t *testing.T) {
	cfg := Default()
	cfg.DataDir = t.TempDir()
	// Without a token file (a component on another machine), the given
	// kubeconfig is used as it is.
	if p, err := cfg.ComponentKubeconfig(authn.SchedulerUser); err != nil || p != cfg.KubeconfigPath() {
		t.Fatalf("no token file: %q %v", p, err)
	}
	adminToken, _, err := authn.EnsureTokenFile(cfg.TokenFile())
	if err != nil {
		t.Fatal(err)
	}
	// A kubeconfig of another cluster is used as it is.
	if err := kubeconfig.Write(cfg.KubeconfigPath(), "https://127.0.0.1:1234", "elsewhere", "minik8s"); err != nil {
		t.Fatal(err)
	}
	if p, err := cfg.ComponentKubeconfig(authn.SchedulerUser); err != nil || p != cfg.KubeconfigPath() {
		t.Fatalf("another cluster's kubeconfig: %q %v", p, err)
	}
	if err := kubeconfig.Write(cfg.KubeconfigPath(), "https://127.0.0.1:1234", adminToken, "minik8s"); err != nil {
		t.Fatal(err)
	}
	token := func(user string, groups ...string) string {
		t.Helper()
		p, err := cfg.ComponentKubeconfig(user, groups...)
		if err != nil {
			t.Fatal(err)
		}
		kc, err := kubeconfig.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		server, tok, err := kc.Current()
		if err != nil || server != "https://127.0.0.1:1234" {
			t.Fatalf("%s: server %q %v", user, server, err)
		}
		return tok
	}
	sched := token(authn.SchedulerUser)
	if again := token(authn.SchedulerUser); again != sched {
		t.Fatal("a restarted component got a new credential")
	}
	node := token(authn.NodeUser("n1"), authn.NodesGroup)
	toks, err := authn.Load(cfg.TokenFile())
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]string{sched: authn.SchedulerUser, node: "system:node:n1"} {
		if u, ok := toks.Authenticate(tok); !ok || u.Name != want {
			t.Errorf("token authenticates as %+v %v, want %s", u, ok, want)
		}
	}
	if u, _ := toks.Authenticate(node); !u.InGroup(authn.NodesGroup) {
		t.Errorf("node user not in %s: %v", authn.NodesGroup, u.Groups)
	}
	if filepath.Dir(filepath.Dir(kcPathOf(t, &cfg))) != cfg.DataDir {
		t.Error("component kubeconfigs are not in the data dir")
	}
}

func kcPathOf(t *testing.T, cfg *Config) string {
	t.Helper()
	p, err := cfg.ComponentKubeconfig(authn.ControllerManagerUser)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
