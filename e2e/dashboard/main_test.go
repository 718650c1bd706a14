package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// cluster is a `minik8s all` run as a child process.
type cluster struct {
	dir        string
	cmd        *exec.Cmd
	log        *os.File
	kubeconfig string
	login      string // the dashboard's one-time login URL
	done       chan struct{}
}

// minik8sBin builds minik8s into dir unless $MINIK8S_BIN names a binary.
func minik8sBin(dir string) (string, error) {
	if bin := os.Getenv("MINIK8S_BIN"); bin != "" {
		return bin, nil
	}
	bin := filepath.Join(dir, "minik8s")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build minik8s: %w\n%s", err, out)
	}
	return bin, nil
}

// freePort returns a port that was free a moment ago, chosen at random
// below the kernel's ephemeral range (32768 on Linux), where no outgoing
// connection or listen on port 0 can take it before minik8s listens on it.
// It is the main module's testenv.FreePorts, which this module cannot
// import, in short.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20768+rand.IntN(12000)))
		if err == nil {
			defer ln.Close()
			return ln.Addr().(*net.TCPAddr).Port
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}

var loginLine = regexp.MustCompile(`dashboard\s+(http://\S+/login\?secret=\w+)`)

// startAll runs `minik8s all` with config (YAML) and args in a fresh data
// dir, and waits until it prints "cluster ready". It stops the cluster
// when the test ends.
func startAll(t *testing.T, config string, args ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	bin, err := minik8sBin(dir)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(conf, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: dir, kubeconfig: filepath.Join(dir, "data", "kubeconfig"), done: make(chan struct{})}
	if c.log, err = os.Create(filepath.Join(dir, "minik8s.log")); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, append([]string{"all", "--config", conf, "--data-dir", filepath.Join(dir, "data")}, args...)...)
	c.cmd.Stderr = c.log
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(c.log, line)
			if m := loginLine.FindStringSubmatch(line); m != nil {
				c.login = m[1]
			}
			if strings.HasPrefix(line, "cluster ready") {
				once.Do(func() { close(ready) })
			}
		}
		_ = c.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		c.log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(c.log.Name())
			t.Logf("minik8s log (last 4 KiB):\n%s", tail(b, 4096))
		}
	})
	select {
	case <-ready:
	case <-c.done:
		t.Fatal("minik8s exited before the cluster was ready")
	case <-time.After(120 * time.Second):
		t.Fatal("cluster not ready within 120s")
	}
	if c.login == "" {
		t.Fatal("minik8s all printed no dashboard URL")
	}
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// kubectl runs kubectl against c and returns its output.
func (c *cluster) kubectl(t *testing.T, args ...string) string {
	t.Helper()
	return c.kubectlIn(t, "", args...)
}

// kubectlIn runs kubectl against c with stdin and returns its output.
func (c *cluster) kubectlIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("kubectl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// browser is a headless Chromium whose console errors (calls of
// console.error, uncaught exceptions, and errors of the browser log) are
// collected.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []chromedp.ConsoleMessage
}

// newBrowser starts headless Chromium ($CHROMIUM, or chromium on $PATH);
// it stops when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := os.Getenv("CHROMIUM")
	if exe == "" {
		exe = "chromium"
	}
	if _, err := exec.LookPath(exe); err != nil {
		t.Fatalf("no %s: install Debian's chromium package (hack/services.sh does): %v", exe, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests may run as root
		chromedp.WindowSize(1200, 700),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m)
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); cancelA() })
	return b
}

// consoleErrors returns the console errors seen so far; with pageOnly,
// only the page's own (not the browser's log of a failed request, such
// as the 409 the conflict demo asks for).
func (b *browser) consoleErrors(pageOnly bool) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.errors {
		if pageOnly && m.Source == "network" {
			continue
		}
		out = append(out, m.String()+" "+m.URL)
	}
	return out
}

// do runs chromedp actions with a deadline.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](t *testing.T, b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls until the JavaScript expression is truthy, failing after
// timeout with what.
func (b *browser) waitJS(t *testing.T, timeout time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !eval[bool](t, b, "!!("+expr+")") {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (%s)\nrequests the page made:\n%s\nconsole errors: %q", what, timeout, expr,
				eval[string](t, b, `document.querySelector("#requests").innerText`), b.consoleErrors(false))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// screenshot saves a PNG of the page to $MINIK8S_SCREENSHOTS (default a
// directory in the system's temp dir) and returns its path.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("MINIK8S_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "minik8s-dashboard-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
	return path
}

// click clicks the first element matching the CSS selector.
func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.CSS(sel)))
}

// press clicks the first element matching the CSS selector from
// JavaScript: for buttons inside views that redraw as events arrive, where
// a mouse click could land between two frames.
func (b *browser) press(t *testing.T, sel string) {
	t.Helper()
	if !eval[bool](t, b, `(() => { const el = document.querySelector(`+strconv.Quote(sel)+`); el && el.click(); return !!el; })()`) {
		t.Fatalf("no element %s to click", sel)
	}
}

// tab opens one of the dashboard's views.
func (b *browser) tab(t *testing.T, view string) {
	t.Helper()
	b.click(t, `#tabs button[data-view="`+view+`"]`)
}
