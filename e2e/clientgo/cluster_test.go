package clientgo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/features"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	minik8s "github.com/minik8s/minik8s/e2e/clientgo/cluster"
)

// nodes is how many simulated nodes the cluster runs.
const nodes = 3

// cluster is the minik8s cluster every test talks to, started by TestMain.
var cluster *testCluster

// gates is client-go's feature gates as the tests see them: client-go's
// own (defaults and KUBE_FEATURE_* variables), except where a test
// overrides WatchListClient. TestMain installs it before client-go reads
// any gate.
var gates = &featureGates{base: features.FeatureGates()}

type featureGates struct {
	base      features.Gates
	watchList atomic.Pointer[bool]
}

func (g *featureGates) Enabled(f features.Feature) bool {
	if v := g.watchList.Load(); v != nil && f == features.WatchListClient {
		return *v
	}
	return g.base.Enabled(f)
}

// setWatchList sets the WatchListClient gate for reflectors created until
// the test ends; then client-go's value applies again. Tests that call it
// must not run in parallel.
func setWatchList(t *testing.T, on bool) {
	t.Helper()
	gates.watchList.Store(&on)
	t.Cleanup(func() { gates.watchList.Store(nil) })
}

func TestMain(m *testing.M) {
	features.ReplaceFeatureGates(gates)
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "minik8s-clientgo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	c, err := minik8s.Start(dir, minik8s.Options{Nodes: nodes, Mode: os.Getenv("MINIK8S_CLIENTGO_MODE")})
	if err != nil {
		c.DumpLogs(os.Stderr)
		fmt.Fprintf(os.Stderr, "start minik8s: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "minik8s (%s) ready with %d nodes in %.1fs\n", c.Mode, nodes, time.Since(start).Seconds())
	cluster = &testCluster{Cluster: c, config: c.Config, client: c.Client}
	code := m.Run()
	if code != 0 {
		c.DumpLogs(os.Stderr)
	}
	c.Stop()
	return code
}

// testCluster is the cluster the tests talk to.
type testCluster struct {
	*minik8s.Cluster
	config *rest.Config // the admin kubeconfig's; copy before changing
	client kubernetes.Interface
}

// newNamespace creates a namespace for one test, deleted when it ends.
func newNamespace(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-", "=", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	name += "-" + hex.EncodeToString(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cluster.client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		err := cluster.client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	return name
}

// eventually calls f every 100ms until it returns nil, failing the test
// with f's last error if that takes longer than timeout.
func eventually(t *testing.T, timeout time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for {
		err := f(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
