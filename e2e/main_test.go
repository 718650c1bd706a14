package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testenv"
)

// Paths TestMain sets up for every test of the package.
var (
	repoRoot string // the repository, the parent of e2e/
	binPath  string // the minik8s binary under test
	kubectl  string // the real kubectl
	cacheDir string // kubectl's discovery cache, apart from the user's
)

// TestMain builds minik8s once (unless MINIK8S_BIN names a binary, taken
// relative to the repository as make would) and exports MINIK8S_BIN
// (testenv.Binary), so that every test in the package, ha_test.go's too,
// runs that binary.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// Every test here runs the real kubectl against the built binary,
		// several processes, or the HA recipe: minutes, not seconds.
		fmt.Println("e2e: skipped under -short (make unit): make test and make e2e run it")
		return 0
	}
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "minik8s-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	cacheDir = filepath.Join(tmp, "kube-cache")

	if kubectl, err = exec.LookPath("/usr/bin/kubectl"); err != nil {
		if kubectl, err = exec.LookPath("kubectl"); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: the real kubectl is needed:", err)
			return 1
		}
	}
	if binPath, err = testenv.Binary(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// testTimeout bounds every wait of the suite: a rollout, a command.
const testTimeout = 60 * time.Second

// cluster is one `minik8s all` subprocess.
type cluster struct {
	t          *testing.T
	dataDir    string
	config     string // the --config file
	addr       string // --listen
	kubeconfig string
	stdout     *syncbuf.Buffer
	stderr     *syncbuf.Buffer
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the process has exited
	exitErr    error         // cmd.Wait's result, once exited is closed
}

// clusterOptions shape a cluster.
type clusterOptions struct {
	dataDir  string   // "" for a new temp dir
	nodeName string   // the kubelets' base node name; "" for the host name
	config   string   // YAML appended to testConfig; no scheduler: or kubelet: key
	args     []string // flags of `all` besides --listen (e.g. --runtime)
}

// testConfig is the config file every cluster gets: the scheduler's own
// port is off and the kubelets' log port (10250 by default) is picked
// freely, so that clusters of parallel tests do not collide; nodeName sets
// the kubelets' base node name. Everything else is the default.
func testConfig(nodeName string) string {
	return fmt.Sprintf("scheduler:\n  port: 0\nkubelet:\n  port: 0\n  nodeName: %q\n", nodeName)
}

// startCluster starts `minik8s all` with opt on a free port, waits until
// it prints that it is ready, and stops it (SIGINT) when the test ends;
// if the test failed, it then logs the process's stdout and stderr tail.
func startCluster(t *testing.T, opt clusterOptions) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, dataDir: opt.dataDir, config: filepath.Join(dir, "config.yaml"), addr: freeAddr(t),
		stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
	if c.dataDir == "" {
		c.dataDir = filepath.Join(dir, "data")
	}
	c.kubeconfig = filepath.Join(c.dataDir, "kubeconfig")
	if err := os.WriteFile(c.config, []byte(testConfig(opt.nodeName)+opt.config), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data-dir", c.dataDir, "--config", c.config, "all", "--listen", c.addr}
	c.cmd = exec.Command(binPath, append(args, opt.args...)...)
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	c.cmd.Env = cleanEnv()
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start minik8s: %v", err)
	}
	go func() {
		c.exitErr = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("minik8s stdout:\n%s", c.stdout.String())
			t.Logf("minik8s stderr (tail):\n%s", tail(plain(c.stderr.String()), 60))
		}
	})
	c.waitReady()
	return c
}

// waitReady waits for the end of what minik8s prints once it is ready
// ("cluster ready in …", then the commands to try and "Ctrl-C stops every
// component.").
func (c *cluster) waitReady() {
	c.t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(c.stdout.String(), "Ctrl-C stops every component") {
		select {
		case <-c.exited:
			c.t.Fatalf("minik8s exited before it was ready (%v); stderr:\n%s", c.exitErr, tail(plain(c.stderr.String()), 40))
		case <-deadline:
			c.t.Fatalf("minik8s not ready after 30s; stdout:\n%s", c.stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// interrupt sends SIGINT (Ctrl-C) and returns the process's exit code once
// it has exited; it fails the test if that takes more than 30s.
func (c *cluster) interrupt() int {
	c.t.Helper()
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		c.t.Fatal("minik8s did not stop within 30s of SIGINT")
	}
	return c.cmd.ProcessState.ExitCode()
}

// stop stops the process if it still runs: SIGINT, then SIGKILL after 20s.
func (c *cluster) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.exited
	}
}

// result is what one kubectl run did.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int // exit code; -1 when it did not run or was killed
}

func (r result) String() string {
	return fmt.Sprintf("kubectl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// kubectlRun runs kubectl with args against the cluster, with stdin
// (when not empty), within testTimeout.
func (c *cluster) kubectlRun(stdin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return runKubectl(ctx, []string{"KUBECONFIG=" + c.kubeconfig}, stdin, args...)
}

// kubectl runs kubectl with args, fails the test unless it exits 0, and
// returns its stdout.
func (c *cluster) kubectl(args ...string) string {
	c.t.Helper()
	r := c.kubectlRun("", args...)
	if r.code != 0 {
		c.t.Fatal(r)
	}
	return r.stdout
}

// kubectlStdin is kubectl with stdin.
func (c *cluster) kubectlStdin(stdin string, args ...string) string {
	c.t.Helper()
	r := c.kubectlRun(stdin, args...)
	if r.code != 0 {
		c.t.Fatal(r)
	}
	return r.stdout
}

// runKubectl runs kubectl with env added to a clean environment.
func runKubectl(ctx context.Context, env []string, stdin string, args ...string) result {
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout = &stdout
	r := runCmd(cmd, env, args)
	r.stdout = stdout.String()
	return r
}

// runKubectlTo runs kubectl with env, writing its stdout to w as it
// comes, until it exits or ctx ends.
func runKubectlTo(ctx context.Context, w io.Writer, env []string, args ...string) result {
	cmd := exec.CommandContext(ctx, kubectl, args...)
	cmd.Stdout = w
	return runCmd(cmd, env, args)
}

func runCmd(cmd *exec.Cmd, env, args []string) result {
	cmd.Env = append(cleanEnv(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	r := result{args: args, stderr: stderr.String(), code: -1}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
	}
	if err != nil && r.code == 0 {
		r.code = -1
	}
	return r
}

// cleanEnv is the environment without the settings that would point
// kubectl or minik8s elsewhere than the test says, with kubectl's cache
// kept out of the user's home.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KUBECONFIG=") || strings.HasPrefix(kv, "KUBECACHEDIR=") ||
			(strings.HasPrefix(kv, "MINIK8S_") && !strings.HasPrefix(kv, "MINIK8S_TEST_") && !strings.HasPrefix(kv, "MINIK8S_BIN=")) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "KUBECACHEDIR="+cacheDir)
}

// eventually polls cond every 200ms until it returns "" (done) or timeout
// passes; then it fails the test with what cond last said.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %s", what, timeout, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// podRow is one line of `kubectl get pods -o wide`.
type podRow struct {
	name, ready, status, restarts, ip, node string
}

// getPods runs `kubectl get pods -o wide --no-headers` with args and
// parses its rows.
func (c *cluster) getPods(args ...string) []podRow {
	c.t.Helper()
	out := c.kubectl(append([]string{"get", "pods", "-o", "wide", "--no-headers"}, args...)...)
	var rows []podRow
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if len(f) < 7 {
			c.t.Fatalf("get pods -o wide: row %q has %d columns", l, len(f))
		}
		// RESTARTS may read "1 (2s ago)": IP and NODE follow AGE.
		n := len(f)
		rows = append(rows, podRow{name: f[0], ready: f[1], status: f[2], restarts: f[3], ip: f[n-4], node: f[n-3]})
	}
	return rows
}

// waitRunning waits until the pods args select are exactly n, all
// Running and ready, and returns them.
func (c *cluster) waitRunning(n int, args ...string) []podRow {
	c.t.Helper()
	var rows []podRow
	eventually(c.t, testTimeout, fmt.Sprintf("%d pods Running (%s)", n, strings.Join(args, " ")), func() string {
		rows = c.getPods(args...)
		if len(rows) != n {
			return fmt.Sprintf("%d pods: %v", len(rows), rows)
		}
		for _, r := range rows {
			if r.status != "Running" || !allReady(r.ready) {
				return fmt.Sprintf("pod %s is %s, %s ready", r.name, r.status, r.ready)
			}
		}
		return ""
	})
	return rows
}

func allReady(s string) bool {
	a, b, ok := strings.Cut(s, "/")
	return ok && a == b && a != "0"
}

// freeAddr returns 127.0.0.1:PORT with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lines splits s into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// hasField reports whether kubectl describe's output out has a line
// "key:" (maybe indented) followed by white space and value.
func hasField(out, key, value string) bool {
	return regexp.MustCompile(`(?m)^[ \t]*` + regexp.QuoteMeta(key+":") + `\s+` + regexp.QuoteMeta(value)).MatchString(out)
}

func tail(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// plain removes the colours of minik8s's console log.
func plain(s string) string { return ansi.ReplaceAllString(s, "") }
