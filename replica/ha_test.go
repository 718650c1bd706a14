package replica_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/replica"
)

// Short election settings, so that a failover takes seconds.
const (
	haLease = 3 * time.Second
	haRenew = 2 * time.Second
	haRetry = 500 * time.Millisecond

	haNodes = 20
	haPods  = 500
)

// binDir holds the binary built for the HA tests; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds minik8s once per test binary.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "minik8s-ha-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "minik8s")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// proc is one `minik8s scheduler --replicas 1` process.
type proc struct {
	cmd     *exec.Cmd
	port    int
	logPath string
	srv     *testenv.APIServer // for the CA and the admin token of the port
}

func startProc(t *testing.T, bin string, srv *testenv.APIServer, backend, redisURL string, i int) *proc {
	t.Helper()
	p := &proc{port: testenv.FreePort(t), logPath: filepath.Join(t.TempDir(), fmt.Sprintf("scheduler-%d.log", i)), srv: srv}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	args := []string{
		"--log-level", "debug", "--log-format", "json", "--data-dir", srv.DataDir,
		"scheduler", "--replicas", "1", "--port", strconv.Itoa(p.port), "--kubeconfig", srv.Kubeconfig,
		"--leader-elect-backend", backend,
		"--leader-elect-lease-duration", haLease.String(),
		"--leader-elect-renew-deadline", haRenew.String(),
		"--leader-elect-retry-period", haRetry.String(),
	}
	if redisURL != "" {
		args = append(args, "--redis", redisURL)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = t.TempDir() // no config.yaml
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		if t.Failed() || os.Getenv("HA_DEBUG") != "" {
			b, _ := os.ReadFile(p.logPath)
			t.Logf("log of scheduler %d (last 3000 bytes):\n%s", i, tail(b, 3000))
		}
	})
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// get asks the process's port for path, as the admin.
func (p *proc) get(path string, timeout time.Duration) (*http.Response, error) {
	req, err := http.NewRequest("GET", fmt.Sprintf("https://127.0.0.1:%d%s", p.port, path), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+p.srv.Token)
	hc := http.Client{Transport: p.srv.HTTP.Transport, Timeout: timeout}
	return hc.Do(req)
}

// status asks the process for its replica's state; ok is false if it does
// not answer.
func (p *proc) status() (replica.Status, bool) {
	resp, err := p.get("/replicas", 300*time.Millisecond)
	if err != nil {
		return replica.Status{}, false
	}
	defer resp.Body.Close()
	var sts []replica.Status
	if err := json.NewDecoder(resp.Body).Decode(&sts); err != nil || len(sts) != 1 {
		return replica.Status{}, false
	}
	return sts[0], true
}

// attempts reads the process's count of scheduling attempts.
func (p *proc) attempts(t *testing.T) float64 {
	t.Helper()
	resp, err := p.get("/metrics", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "minik8s_scheduler_scheduling_attempt_duration_seconds_count") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return v
		}
	}
	return 0
}

// bound returns the pods the process logged as bound.
func (p *proc) bound(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pods []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Message string `json:"message"`
			Pod     string `json:"pod"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "bound" {
			pods = append(pods, line.Pod)
		}
	}
	return pods
}

// leader waits until exactly one live process leads, and returns it.
func leader(t *testing.T, procs []*proc, skip *proc, timeout time.Duration) (*proc, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var leaders []*proc
		for _, p := range procs {
			if p == skip {
				continue
			}
			if st, ok := p.status(); ok && st.Leading {
				leaders = append(leaders, p)
			}
		}
		if len(leaders) == 1 {
			return leaders[0], time.Now()
		}
		if len(leaders) > 1 {
			t.Fatalf("%d processes lead at once", len(leaders))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no leader within %s", timeout)
	return nil, time.Time{}
}

// bindings counts, from a watch on pods, how often each pod was bound and
// whether any moved from one node to another.
type bindings struct {
	mu     sync.Mutex
	count  map[string]int
	moved  []string
	total  int
	signal chan struct{}
}

func watchBindings(t *testing.T, c *client.Client) *bindings {
	t.Helper()
	b := &bindings{count: map[string]int{}, signal: make(chan struct{}, 1)}
	inf := informer.New(client.ListWatch(c.Pods("default"), client.ListOptions{}), 0)
	inf.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc: func(p *api.Pod) {
			if p.Spec.NodeName != "" {
				b.bound(p.Name)
			}
		},
		UpdateFunc: func(old, p *api.Pod) {
			switch {
			case old.Spec.NodeName == "" && p.Spec.NodeName != "":
				b.bound(p.Name)
			case old.Spec.NodeName != p.Spec.NodeName:
				b.mu.Lock()
				b.moved = append(b.moved, fmt.Sprintf("%s: %s → %s", p.Name, old.Spec.NodeName, p.Spec.NodeName))
				b.mu.Unlock()
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = inf.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if !informer.WaitForCacheSync(ctx, inf.HasSynced) {
		t.Fatal("pod watch did not sync")
	}
	return b
}

func (b *bindings) bound(name string) {
	b.mu.Lock()
	b.count[name]++
	b.total++
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

func (b *bindings) bindCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

func (b *bindings) waitFor(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for b.bindCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d pods bound after %s", b.bindCount(), n, timeout)
		}
		select {
		case <-b.signal:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkExactlyOnce checks that each of the pods was bound once, by the
// watch, by the API, and by the schedulers' own logs.
func (b *bindings) checkExactlyOnce(t *testing.T, c *client.Client, procs []*proc) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.moved) > 0 {
		t.Errorf("pods moved between nodes (double binds): %v", b.moved)
	}
	if len(b.count) != haPods || b.total != haPods {
		t.Errorf("watch saw %d bindings of %d pods, want %d of %d", b.total, len(b.count), haPods, haPods)
	}
	pods, _, err := c.Pods("default").List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			t.Errorf("pod %s is not bound", p.Name)
		}
	}
	// Each successful Bind is logged once; a process killed between the
	// server's answer and the log line loses a few, never adds any.
	logged := map[string]int{}
	total := 0
	for _, p := range procs {
		for _, pod := range p.bound(t) {
			logged[pod]++
			total++
		}
	}
	for pod, n := range logged {
		if n > 1 {
			t.Errorf("pod %s: %d successful binds in the schedulers' logs", pod, n)
		}
	}
	if total > haPods || total < haPods-64 {
		t.Errorf("schedulers logged %d successful binds, want at most %d and close to it", total, haPods)
	}
	t.Logf("bindings: watch %d, scheduler logs %d", b.total, total)
}

func createNodesAndPods(t *testing.T, c *client.Client) (done <-chan error) {
	t.Helper()
	ctx := context.Background()
	for i := range haNodes {
		n := &api.Node{
			ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
			Status: api.NodeStatus{
				Allocatable: api.ResourceList{
					api.ResourceCPU: api.MustParse("8"), api.ResourceMemory: api.MustParse("16Gi"), api.ResourcePods: api.MustParse("110"),
				},
				Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}},
			},
		}
		if _, err := c.Nodes().Create(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	errc := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		next := make(chan int)
		var once sync.Once
		for range 4 {
			wg.Go(func() {
				for i := range next {
					p := &api.Pod{
						ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Namespace: "default"},
						Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx",
							Resources: api.ResourceRequirements{Requests: api.ResourceList{
								api.ResourceCPU: api.MustParse("100m"), api.ResourceMemory: api.MustParse("128Mi"),
							}}}}},
					}
					if _, err := c.Pods("default").Create(ctx, p); err != nil {
						once.Do(func() { errc <- err })
					}
					// Spread creation over a few seconds, so that the
					// leader is busy when it is killed or frozen.
					time.Sleep(15 * time.Millisecond)
				}
			})
		}
		for i := range haPods {
			next <- i
		}
		close(next)
		wg.Wait()
		close(errc)
	}()
	return errc
}

func setupHA(t *testing.T, backend string) (*client.Client, []*proc) {
	t.Helper()
	// The services first: without them (go test -short) the test skips
	// before it spends time building the binary.
	redisURL, pg := testenv.Redis(t), testenv.Postgres(t)
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.StartAPIServer(t, testenv.Options{
		Store: pg, Redis: redisURL,
		Configure: func(c *app.Config) { c.APIServer.Limits.QPS = 0 },
	})
	c, err := client.FromKubeconfig(srv.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var procs []*proc
	for i := range 3 {
		procs = append(procs, startProc(t, bin, srv, backend, redisURL, i))
	}
	return c, procs
}

// TestHAKillLeader: three scheduler processes elected through Redis; the
// leader is SIGKILLed mid-way; a standby takes over within the lease
// duration plus a retry period, and every pod is bound exactly once.
func TestHAKillLeader(t *testing.T) {
	c, procs := setupHA(t, "redis")
	first, _ := leader(t, procs, nil, 15*time.Second)
	b := watchBindings(t, c)
	created := createNodesAndPods(t, c)

	b.waitFor(t, haPods/4, 30*time.Second)
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = first.cmd.Wait()
	next, at := leader(t, procs, first, 3*haLease)
	failover := at.Sub(killed)
	st, _ := next.status()
	t.Logf("redis backend: leader SIGKILLed after %d bindings; standby %s took over after %s (lease %s, retry %s)",
		b.bindCount(), st.Identity, failover.Round(time.Millisecond), haLease, haRetry)
	// Expiry, then the standby's next attempt (retry plus 20% jitter),
	// plus the 50 ms of polling above.
	if limit := haLease + haRetry*6/5 + 100*time.Millisecond; failover > limit {
		t.Errorf("failover took %s, want at most %s", failover, limit)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, haPods, 30*time.Second)
	time.Sleep(500 * time.Millisecond) // a late double bind would show up now
	b.checkExactlyOnce(t, c, procs)
}

// TestHAFreezeLeader: the leader (Lease objects) is SIGSTOPped past its
// lease; a standby takes over; after SIGCONT the old leader sees it lost
// the lease and schedules nothing more; every pod is bound exactly once.
func TestHAFreezeLeader(t *testing.T) {
	c, procs := setupHA(t, "lease")
	first, _ := leader(t, procs, nil, 15*time.Second)
	b := watchBindings(t, c)
	created := createNodesAndPods(t, c)

	b.waitFor(t, haPods/4, 30*time.Second)
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	next, at := leader(t, procs, first, 3*haLease)
	failover := at.Sub(stopped)
	t.Logf("lease backend: leader SIGSTOPped after %d bindings; standby took over after %s",
		b.bindCount(), failover.Round(time.Millisecond))
	// The Lease records whole seconds and is judged by renewTime, written
	// up to one retry period before the stop.
	if limit := haLease + haRetry*6/5 + 100*time.Millisecond; failover > limit {
		t.Errorf("failover took %s, want at most %s", failover, limit)
	}
	if next == first {
		t.Fatal("the stopped process leads")
	}
	time.Sleep(time.Second) // frozen well past its lease
	if err := first.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	var attemptsAtResume float64
	for {
		st, ok := first.status()
		if ok && !st.Leading {
			attemptsAtResume = first.attempts(t)
			t.Logf("resumed leader noticed it lost the lease after %s (fence %d)", time.Since(resumed).Round(time.Millisecond), st.Fence)
			break
		}
		if time.Since(resumed) > 2*time.Second {
			t.Fatalf("resumed leader still leads after %s: %+v", time.Since(resumed), st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, haPods, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	if got := first.attempts(t); got != attemptsAtResume {
		t.Errorf("the resumed replica made %v scheduling attempts after losing the lease", got-attemptsAtResume)
	}
	if st, _ := next.status(); !st.Leading {
		t.Errorf("the new leader lost the lease: %+v", st)
	}
	if log, _ := os.ReadFile(first.logPath); !strings.Contains(string(log), `"message":"lost lease"`) {
		t.Error(`the resumed replica did not log "lost lease"`)
	}
	b.checkExactlyOnce(t, c, procs)
}
