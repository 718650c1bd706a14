package dashboard

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

var apiserverLogin = regexp.MustCompile(`dashboard: open (http://\S+/login\?secret=\w+)`)

// startAPIServer runs `minik8s apiserver --dashboard` on fixed ports in
// dir, and returns the login URL it prints and a function that stops it.
func startAPIServer(t *testing.T, dir, apiAddr, dashAddr string) (string, func()) {
	t.Helper()
	bin, err := minik8sBin(dir)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(filepath.Join(dir, "apiserver.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "apiserver", "--data-dir", filepath.Join(dir, "data"), "--config", filepath.Join(dir, "config.yaml"),
		"--listen", apiAddr, "--dashboard", "--dashboard-listen", dashAddr)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	login := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := apiserverLogin.FindStringSubmatch(sc.Text()); m != nil {
				login <- m[1]
			}
		}
		_ = cmd.Wait()
		log.Close()
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	select {
	case u := <-login:
		return u, stop
	case <-done:
		b, _ := os.ReadFile(filepath.Join(dir, "apiserver.log"))
		t.Fatalf("minik8s apiserver exited:\n%s", tail(b, 4096))
	case <-time.After(60 * time.Second):
		t.Fatal("minik8s apiserver printed no dashboard URL within 60s")
	}
	return "", nil
}

// TestRestart stops the API server under the page and starts it again on
// the same data dir and ports: the page says it is reconnecting, then
// watches again with the session it had, and shows changes made since.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("scheduler:\n  port: 0\ncontrollerManager:\n  port: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	apiAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dashAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	login, stop := startAPIServer(t, dir, apiAddr, dashAddr)
	c := &cluster{kubeconfig: filepath.Join(dir, "data", "kubeconfig")}

	b := newBrowser(t)
	b.do(t, chromedp.Navigate(login))
	b.waitJS(t, 10*time.Second, "page watching", `document.querySelector("#conn.ok")`)
	c.kubectl(t, "run", "before", "--image=nginx")
	b.waitJS(t, 10*time.Second, "pod before", `document.querySelector('[data-pod="default/before"]')`)

	stop()
	b.waitJS(t, 15*time.Second, "page says it is reconnecting", `document.querySelector("#conn.bad") && !document.querySelector("#banner").hidden`)
	b.screenshot(t, "reconnecting")

	startAPIServer(t, dir, apiAddr, dashAddr) // its new login URL is not needed: the cookie still works
	b.waitJS(t, 30*time.Second, "page watching again", `document.querySelector("#conn.ok")`)
	b.waitJS(t, 5*time.Second, "recovery noted", `document.querySelector("#recovered").textContent.includes("watching again")`)
	c.kubectl(t, "run", "after", "--image=nginx")
	b.waitJS(t, 10*time.Second, "pod after", `document.querySelector('[data-pod="default/after"]')`)
	if errs := b.consoleErrors(true); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}

// TestGone makes the page's watches too old: the browser cannot reach the
// dashboard's watch relay while the API server restarts (its in-memory
// ring empty) and the store's change log is compacted past the page's
// revisions. When the page can watch again it gets 410 Gone, lists again,
// as an informer does, says so, and shows what changed meanwhile.
func TestGone(t *testing.T) {
	dir := t.TempDir()
	conf := "scheduler:\n  port: 0\ncontrollerManager:\n  port: 0\napiserver:\n  compactInterval: 1s\nstoreTuning:\n  compactWindow: 20\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	apiAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dashAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	login, stop := startAPIServer(t, dir, apiAddr, dashAddr)
	c := &cluster{kubeconfig: filepath.Join(dir, "data", "kubeconfig")}

	b := newBrowser(t)
	b.do(t, chromedp.Navigate(login))
	b.waitJS(t, 10*time.Second, "page watching", `document.querySelector("#conn.ok")`)
	block := func(patterns ...string) {
		t.Helper()
		var ps []*network.BlockPattern
		for _, p := range patterns {
			ps = append(ps, &network.BlockPattern{URLPattern: p, Block: true})
		}
		if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(b.ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: ps}); err != nil {
			t.Fatal(err)
		}
	}
	block("http://" + dashAddr + "/watch*")
	oldest := eval[float64](t, b, `Math.min(...informers.map((i) => +i.rv))`)
	stop()
	b.waitJS(t, 15*time.Second, "page says it is reconnecting", `document.querySelector("#conn.bad")`)
	// Changes the page cannot see, then a restart, so that the ring
	// starts after them.
	_, stop = startAPIServer(t, dir, apiAddr, dashAddr)
	for i := range 25 {
		c.kubectl(t, "label", "namespace", "default", fmt.Sprintf("step=%d", i), "--overwrite")
	}
	c.kubectl(t, "run", "meanwhile", "--image=nginx")
	stop()
	startAPIServer(t, dir, apiAddr, dashAddr)
	var out string
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out, `"code":410`) {
		if time.Now().After(deadline) {
			t.Fatalf("the change log not compacted past the page's revision %v within 15s: a watch from it says\n%s", oldest, out)
		}
		out = c.kubectl(t, "get", "--raw", fmt.Sprintf("/api/v1/pods?watch=true&resourceVersion=%d&timeoutSeconds=1", int64(oldest)))
	}
	block() // the page may watch again
	b.waitJS(t, 30*time.Second, "page relisted after 410", `wire.some((e) => e.type === "RELIST") && document.querySelector("#recovered").textContent.includes("410")`)
	b.waitJS(t, 10*time.Second, "page watching again", `document.querySelector("#conn.ok")`)
	b.waitJS(t, 10*time.Second, "the pod made meanwhile", `document.querySelector('[data-pod="default/meanwhile"]')`)
	t.Logf("page says: %s", eval[string](t, b, `document.querySelector("#recovered").textContent`))
}
