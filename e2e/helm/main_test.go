package helm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	minik8s "github.com/minik8s/minik8s/e2e/clientgo/cluster"
)

// cluster is the minik8s cluster the suite runs against, started by
// TestMain; dir holds its logs, Helm's log (helm.log) and the discovery
// cache.
var (
	cluster *minik8s.Cluster
	dir     string
	helmLog *lockedFile
)

// timeout bounds each Helm action's wait; the cases take seconds.
const timeout = 2 * time.Minute

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	var err error
	dir, err = os.MkdirTemp("", "minik8s-helm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "helm.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	helmLog = &lockedFile{f: f}
	c, err := minik8s.Start(dir, minik8s.Options{Nodes: 2})
	if err != nil {
		c.DumpLogs(os.Stderr)
		fmt.Fprintf(os.Stderr, "start minik8s: %v\n", err)
		return 1
	}
	cluster = c
	code := m.Run()
	if code != 0 {
		c.DumpLogs(os.Stderr)
		if b, err := os.ReadFile(f.Name()); err == nil {
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(lines) > 100 {
				lines = lines[len(lines)-100:]
			}
			fmt.Fprintf(os.Stderr, "--- last lines of Helm's log\n%s\n", strings.Join(lines, "\n"))
		}
	}
	c.Stop()
	return code
}

// lockedFile is Helm's log, written by the actions and by the status
// watcher's goroutines.
type lockedFile struct {
	mu sync.Mutex
	f  *os.File
}

func (l *lockedFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// mark writes a line to Helm's log, so that its lines can be told apart
// by test.
func mark(t *testing.T, what string) {
	fmt.Fprintf(helmLog, "=== %s: %s\n", t.Name(), what)
}

// newConfig is Helm's action configuration for namespace ns, as the helm
// CLI builds it from --kubeconfig and --namespace, with release storage in
// Secrets (the default driver). hookOutput, if not nil, receives the hook
// pods' logs that Helm copies.
func newConfig(t *testing.T, ns string, hookOutput io.Writer) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(true)
	kubeconfig, cache := cluster.Kubeconfig, filepath.Join(dir, "cache")
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &ns, &cache
	// As the helm CLI's defaults (--qps, --burst).
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.QPS, c.Burst = 100, 200
		return c
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(
		slog.NewTextHandler(helmLog, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := cfg.Init(flags, ns, "secret"); err != nil {
		t.Fatalf("helm configuration: %v", err)
	}
	if hookOutput != nil {
		cfg.SetHookOutputFunc(func(_, _, _ string) io.Writer { return hookOutput })
	}
	return cfg
}

// mode is how Helm 4 writes a chart's objects and waits for them.
type mode struct {
	name string
	// ssa: server-side apply (Helm 4's default), else client-side apply
	// (three-way merge patches, --server-side=false).
	ssa bool
	// wait is --wait's strategy: watcher (kstatus over watches, the
	// default) or legacy (Helm 3's readiness checks, polled).
	wait kube.WaitStrategy
}

var modes = []mode{
	{"client-side", false, kube.StatusWatcherStrategy},
	{"client-side-legacy-wait", false, kube.LegacyStrategy},
	{"server-side", true, kube.StatusWatcherStrategy},
}

// forEachMode runs f once per mode, or per mode that each of only
// accepts. The server-side run skips while the API server does not serve
// server-side apply, which it finds out by sending one (a dry run).
func forEachMode(t *testing.T, f func(t *testing.T, m mode), only ...func(mode) bool) {
modes:
	for _, m := range modes {
		for _, ok := range only {
			if !ok(m) {
				continue modes
			}
		}
		t.Run(m.name, func(t *testing.T) {
			if m.ssa {
				requireServerSideApply(t)
			}
			f(t, m)
		})
	}
}

// requireServerSideApply fails the test unless the API server takes an
// apply patch (application/apply-patch+yaml, dry run): Helm 4 applies
// server-side by default, and minik8s serves it.
func requireServerSideApply(t *testing.T) {
	t.Helper()
	body := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: helm-ssa-probe\n  namespace: default\ndata:\n  probe: \"1\"\n")
	err := cluster.Client.CoreV1().RESTClient().Patch(types.ApplyPatchType).
		Namespace("default").Resource("configmaps").Name("helm-ssa-probe").
		Param("fieldManager", "helm-e2e-probe").Param("dryRun", "All").
		Body(body).Do(t.Context()).Error()
	if err != nil {
		t.Fatalf("server-side apply probe (dry run): %v", err)
	}
}

// release returns the v1 release an action returned.
func asRelease(t *testing.T, r any) *release.Release {
	t.Helper()
	rel, ok := r.(*release.Release)
	if !ok {
		t.Fatalf("Helm returned %T, want *v1.Release", r)
	}
	return rel
}

// timed runs f, logging how long it took.
func timed(t *testing.T, what string, f func() error) error {
	t.Helper()
	mark(t, what)
	start := time.Now()
	err := f()
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	return err
}

// eventually is minik8s.Eventually with the suite's usual timeout.
func eventually(t *testing.T, what string, f func(ctx context.Context) error) {
	t.Helper()
	minik8s.Eventually(t, 30*time.Second, what, f)
}

// createdChart is the chart `helm create demo` makes, loaded.
func createdChart(t *testing.T) *chart.Chart {
	t.Helper()
	path, err := chartutil.Create("demo", t.TempDir())
	if err != nil {
		t.Fatalf("helm create: %v", err)
	}
	chrt, err := loader.Load(path)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return chrt
}

// newInstall is `helm install name --namespace ns` in mode m, waiting
// (--wait) unless dry is set, which makes it --dry-run=server.
func newInstall(cfg *action.Configuration, m mode, ns, name string, dry bool) *action.Install {
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace = name, ns
	inst.ServerSideApply = m.ssa
	if dry {
		inst.DryRunStrategy = action.DryRunServer
	} else {
		inst.WaitStrategy, inst.Timeout = m.wait, timeout
	}
	return inst
}

// dryRun runs `helm install name --dry-run=server` and checks that it
// stored no release; it returns the release Helm rendered.
func dryRun(t *testing.T, cfg *action.Configuration, m mode, ns, name string, chrt *chart.Chart) *release.Release {
	t.Helper()
	var rel any
	if err := timed(t, "install --dry-run=server", func() (err error) {
		rel, err = newInstall(cfg, m, ns, name, true).RunWithContext(t.Context(), chrt, nil)
		return
	}); err != nil {
		t.Fatalf("install --dry-run=server: %v", err)
	}
	checkStorage(t, ns, name)
	return asRelease(t, rel)
}

// history is `helm history name`, one "revision status" line per
// revision, with its description if descriptions is set.
func history(t *testing.T, cfg *action.Configuration, name string, descriptions bool) string {
	t.Helper()
	hist, err := action.NewHistory(cfg).Run(name)
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	var lines []string
	for _, h := range hist {
		r := asRelease(t, h)
		line := fmt.Sprintf("%d %s", r.Version, r.Info.Status)
		if descriptions {
			line += " " + r.Info.Description
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
