package clientgo

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

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
	return cluster.NewNamespace(t)
}

// eventually calls f every 100ms until it returns nil, failing the test
// with f's last error if that takes longer than timeout.
func eventually(t *testing.T, timeout time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	minik8s.Eventually(t, timeout, what, f)
}
