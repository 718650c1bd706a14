package app

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/kubeconfig"
)

func TestComponentKubeconfig(t *testing.T) {
	cfg := Default()
	cfg.DataDir = t.TempDir()
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	// warned checks that the last call warned that the component runs
	// with the kubeconfig's identity, giving the reason, or did not warn.
	warned := func(what, reason string) {
		t.Helper()
		out := logged.String()
		logged.Reset()
		if reason == "" {
			if out != "" {
				t.Errorf("%s: logged %s", what, out)
			}
			return
		}
		if !strings.Contains(out, `"level":"warn"`) || !strings.Contains(out, `"user":"system:kube-scheduler"`) ||
			!strings.Contains(out, `"kubeconfig":"`+cfg.KubeconfigPath()+`"`) || !strings.Contains(out, reason) {
			t.Errorf("%s: logged %q, want a warning naming the user, the kubeconfig and %q", what, out, reason)
		}
	}
	// Without a token file (a component on another machine), the given
	// kubeconfig is used as it is, with a warning.
	if p, err := cfg.ComponentKubeconfig(log, authn.SchedulerUser); err != nil || p != cfg.KubeconfigPath() {
		t.Fatalf("no token file: %q %v", p, err)
	}
	warned("no token file", "no token file "+cfg.TokenFile())
	adminToken, _, err := authn.EnsureTokenFile(cfg.TokenFile())
	if err != nil {
		t.Fatal(err)
	}
	// A kubeconfig of another cluster is used as it is, with a warning.
	if err := kubeconfig.Write(cfg.KubeconfigPath(), "https://127.0.0.1:1234", "elsewhere", "minik8s"); err != nil {
		t.Fatal(err)
	}
	if p, err := cfg.ComponentKubeconfig(log, authn.SchedulerUser); err != nil || p != cfg.KubeconfigPath() {
		t.Fatalf("another cluster's kubeconfig: %q %v", p, err)
	}
	warned("another cluster's kubeconfig", "the kubeconfig's credential is none of the tokens of "+cfg.TokenFile())
	if err := kubeconfig.Write(cfg.KubeconfigPath(), "https://127.0.0.1:1234", adminToken, "minik8s"); err != nil {
		t.Fatal(err)
	}
	token := func(user string, groups ...string) string {
		t.Helper()
		p, err := cfg.ComponentKubeconfig(log, user, groups...)
		if err != nil {
			t.Fatal(err)
		}
		warned(user+"'s own", "")
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
	p, err := cfg.ComponentKubeconfig(zerolog.Nop(), authn.ControllerManagerUser)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
