package clientgo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/features"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
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
	c := &testCluster{dir: dir}
	start := time.Now()
	if err := c.start(); err != nil {
		c.stop()
		c.dumpLogs()
		fmt.Fprintf(os.Stderr, "start minik8s: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "minik8s (%s) ready with %d nodes in %.1fs\n", c.mode, nodes, time.Since(start).Seconds())
	cluster = c
	code := m.Run()
	c.stop()
	if code != 0 {
		c.dumpLogs()
	}
	return code
}

// portsOff is the cluster's config file: any free port for the API server
// and the kubelets' log servers, none for the scheduler's and controller
// manager's own endpoints.
const portsOff = `apiserver:
  listen: 127.0.0.1:0
scheduler:
  port: 0
controllerManager:
  port: 0
kubelet:
  port: 0
`

// testCluster is a minik8s cluster run as child processes.
type testCluster struct {
	dir    string
	mode   string // all or split
	bin    string
	global []string     // global flags of every process
	config *rest.Config // the admin kubeconfig's; copy before changing
	client kubernetes.Interface
	procs  []*process
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

// start builds minik8s unless $MINIK8S_BIN names a binary, runs it with a
// fresh data dir, and waits for the API server and every node to be ready.
func (c *testCluster) start() error {
	bin := os.Getenv("MINIK8S_BIN")
	if bin == "" {
		bin = filepath.Join(c.dir, "minik8s")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = filepath.Join("..", "..")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build minik8s: %w\n%s", err, out)
		}
	}
	// Every port 0, so that the suite can run beside other clusters (and
	// ignores any ./config.yaml).
	conf := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(conf, []byte(portsOff), 0o600); err != nil {
		return err
	}
	data := filepath.Join(c.dir, "data")
	c.bin, c.global = bin, []string{"--config", conf, "--data-dir", data, "--log-format", "console"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	c.mode = os.Getenv("MINIK8S_CLIENTGO_MODE")
	switch c.mode {
	case "", "all":
		c.mode = "all"
		if err := c.run("all", "--nodes", fmt.Sprint(nodes), "--runtime", "sim"); err != nil {
			return err
		}
		if err := c.waitAPI(ctx, filepath.Join(data, "kubeconfig")); err != nil {
			return err
		}
	case "split":
		if err := c.run("apiserver"); err != nil {
			return err
		}
		if err := c.waitAPI(ctx, filepath.Join(data, "kubeconfig")); err != nil {
			return err
		}
		for _, args := range [][]string{
			{"scheduler"},
			{"controller-manager"},
			{"kubelet", "--sim-nodes", fmt.Sprint(nodes), "--runtime", "sim"},
		} {
			if err := c.run(args[0], args[1:]...); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("MINIK8S_CLIENTGO_MODE=%q: want all or split", c.mode)
	}
	return c.poll(ctx, func() error {
		list, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range list.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		if ready != nodes {
			return fmt.Errorf("%d of %d nodes Ready", ready, nodes)
		}
		return nil
	})
}

// run starts `minik8s name args...`, its output going to a log file.
func (c *testCluster) run(name string, args ...string) error {
	log := filepath.Join(c.dir, name+".log")
	f, err := os.Create(log)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(c.bin, append(append(c.global[:len(c.global):len(c.global)], name), args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start minik8s %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

// waitAPI waits for the kubeconfig to be written and /readyz to answer ok.
func (c *testCluster) waitAPI(ctx context.Context, kubeconfig string) error {
	return c.poll(ctx, func() error {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return err
		}
		// The default 5 requests per second would throttle the tests.
		cfg.QPS, cfg.Burst = 200, 400
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("readyz: %w", err)
		}
		if string(body) != "ok" {
			return fmt.Errorf("readyz: %q", body)
		}
		c.config, c.client = cfg, cs
		return nil
	})
}

// poll calls f every 100ms until it succeeds, a process exits, or ctx ends.
func (c *testCluster) poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("minik8s %s exited: %v", p.name, p.cmd.ProcessState)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop interrupts the processes in reverse start order (node agents before
// the API server), as Ctrl-C would, and kills any that do not exit.
func (c *testCluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			fmt.Fprintf(os.Stderr, "minik8s %s did not stop within 20s; killing it\n", p.name)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// dumpLogs prints the end of every process's log to stderr.
func (c *testCluster) dumpLogs() {
	for _, p := range c.procs {
		b, err := os.ReadFile(p.log)
		if err != nil {
			continue
		}
		lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(os.Stderr, "--- last lines of minik8s %s (%s)\n%s\n", p.name, p.log, bytes.Join(lines, []byte("\n")))
	}
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
