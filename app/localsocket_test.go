package app_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/kubeconfig"
)

// TestComponentsUseTheLocalSocket: the API server serves its data dir's
// socket to its owner only; a component's kubeconfig names it; and a
// client built from that kubeconfig reaches the server on it, with the
// component's own identity, even with the HTTPS address made useless.
func TestComponentsUseTheLocalSocket(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	cfg := app.Default()
	cfg.DataDir = s.DataDir
	sock := cfg.APISocket()
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v; want a socket, 0600", sock, err, fi.Mode())
	}
	path, err := cfg.ComponentKubeconfig(zerolog.Nop(), authn.SchedulerUser)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubeconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kc.Clusters[0].Cluster.Socket(), mustAbs(t, sock); got != want {
		t.Fatalf("component kubeconfig's socket %q, want %q", got, want)
	}
	kc.Clusters[0].Cluster.Server = "https://127.0.0.1:1" // nothing listens there
	if err := kc.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := client.FromKubeconfig(path, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Pods' traffic is forwarded to the server's address, not the socket.
	if got := c.Server(); got.String() != "https://127.0.0.1:1" {
		t.Fatalf("Server() %s, want the kubeconfig's https://127.0.0.1:1", got.String())
	}
	var review struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	in := map[string]string{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
	if err := c.Do(context.Background(), "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", in, &review); err != nil {
		t.Fatalf("over the socket: %v", err)
	}
	if got := review.Status.UserInfo.Username; got != authn.SchedulerUser {
		t.Fatalf("over the socket, the server saw %q, want %q", got, authn.SchedulerUser)
	}
}

// TestLocalSocketLeftByAKilledServer: a socket file left behind (no one
// listens) does not keep the next API server on the data dir from serving
// one; a socket another server serves is left to it.
func TestLocalSocketLeftByAKilledServer(t *testing.T) {
	dir := t.TempDir()
	cfg := app.Default()
	cfg.DataDir = dir
	ln, err := net.Listen("unix", cfg.APISocket())
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // as a killed server leaves it
	s := testenv.StartAPIServer(t, testenv.Options{DataDir: dir})
	conn, err := net.Dial("unix", cfg.APISocket())
	if err != nil {
		t.Fatalf("the new server does not serve the socket: %v", err)
	}
	conn.Close()
	// A second server on the same data dir leaves the socket to the first.
	second := testenv.StartAPIServer(t, testenv.Options{DataDir: dir})
	second.Stop()
	if conn, err = net.Dial("unix", cfg.APISocket()); err != nil {
		t.Fatalf("stopping a second server on the data dir took the first's socket: %v", err)
	}
	conn.Close()
	s.Stop()
	if _, err := os.Stat(cfg.APISocket()); !os.IsNotExist(err) {
		t.Fatalf("a stopped server left its socket: %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
