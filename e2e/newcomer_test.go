package e2e

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	readyIn     = regexp.MustCompile(`cluster ready in ([0-9.]+)s`)
	stoppedLine = regexp.MustCompile(`(?m) INF stopped component=("[^"]*"|\S+)$`)
)

// TestNewcomer follows a newcomer: `minik8s all` with 3 simulated nodes
// prints its banner, its progress and how long it took to be ready, and
// the next commands it prints work when pasted.
func TestNewcomer(t *testing.T) {
	t.Parallel()
	start := time.Now()
	c := startCluster(t, clusterOptions{args: []string{"--nodes", "3", "--runtime", "sim"}})
	out := c.stdout.String()
	t.Logf("minik8s all: ready %s after start (wall clock, 3 sim nodes); banner:\n%s", time.Since(start).Round(time.Millisecond), out)

	for _, want := range []string{
		"minik8s ", "API server          https://" + c.addr,
		"store, watch        store SQLite", "scheduler", "controller manager",
		"node agents         3, sim runtime", "data dir            " + c.dataDir,
		"kubeconfig          " + c.kubeconfig, "waiting for nodes: ", "3/3 Ready",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q", want)
		}
	}
	m := readyIn.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line", readyIn)
	}
	secs, err := strconv.ParseFloat(m[1], 64)
	if err != nil || secs <= 0 {
		t.Errorf("cluster ready in %q: want a positive number of seconds", m[1])
	}
	t.Logf("time to ready, as minik8s reports it: %ss", m[1])

	// The printed next commands, pasted.
	var env []string
	var cmds [][]string
	for _, l := range lines(out[strings.Index(out, "Try:"):]) {
		l = strings.TrimSpace(l)
		if kv, ok := strings.CutPrefix(l, "export "); ok {
			env = append(env, kv)
		} else if args, ok := strings.CutPrefix(l, "kubectl "); ok {
			cmds = append(cmds, strings.Fields(args))
		}
	}
	if !slices.Equal(env, []string{"KUBECONFIG=" + c.kubeconfig}) {
		t.Fatalf("printed exports %q, want KUBECONFIG=%s", env, c.kubeconfig)
	}
	if len(cmds) < 2 || cmds[0][0] != "get" || cmds[1][0] != "create" {
		t.Fatalf("printed kubectl commands %q: want get nodes, create deployment, ...", cmds)
	}
	pasted := func(args []string) result {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		return runKubectl(ctx, env, "", args...)
	}

	r := pasted(cmds[0])
	if r.code != 0 {
		t.Fatal(r)
	}
	nodes := lines(r.stdout)
	if len(nodes) != 4 || !strings.HasPrefix(nodes[0], "NAME") {
		t.Fatalf("kubectl get nodes: want a header and 3 nodes:\n%s", r.stdout)
	}
	for _, n := range nodes[1:] {
		if f := strings.Fields(n); f[1] != "Ready" {
			t.Errorf("node %s is %s, want Ready", f[0], f[1])
		}
	}

	r = pasted(cmds[1])
	if r.code != 0 || !strings.Contains(r.stdout, "deployment.apps/web created") {
		t.Fatal(r)
	}
	want := 3
	if i := slices.IndexFunc(cmds[1], func(a string) bool { return strings.HasPrefix(a, "--replicas=") }); i >= 0 {
		want, _ = strconv.Atoi(strings.TrimPrefix(cmds[1][i], "--replicas="))
	}
	for _, args := range cmds[2:] {
		eventually(t, testTimeout, "the printed "+strings.Join(args, " "), func() string {
			r := pasted(args)
			if r.code != 0 {
				return r.String()
			}
			if args[0] == "logs" {
				if strings.TrimSpace(r.stdout) == "" {
					return "no log lines"
				}
				return ""
			}
			if n := strings.Count(r.stdout, " Running "); n != want {
				return r.stdout
			}
			return ""
		})
	}
}

// TestInterruptAndResume stops a cluster with Ctrl-C (SIGINT) and starts it
// again on the same data dir: the Deployment and its pods are there and
// Running again, and no pod is added.
func TestInterruptAndResume(t *testing.T) {
	t.Parallel()
	args := []string{"--runtime", "sim"}
	c := startCluster(t, clusterOptions{args: args})
	c.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3")
	before := c.waitRunning(3, "-l", "app=web")

	if code := c.interrupt(); code != 0 {
		t.Fatalf("exit code after SIGINT = %d, want 0", code)
	}
	// The components stop in order: node agents first, the API server last.
	log := plain(c.stderr.String())
	if !strings.Contains(log, "stopping: node agents, controllers, scheduler, dashboard, then the API server") {
		t.Errorf("no stop announcement in stderr")
	}
	var order []string
	for _, m := range stoppedLine.FindAllStringSubmatch(log, -1) {
		order = append(order, strings.Trim(m[1], `"`))
	}
	if want := []string{"node agents", "controller manager", "scheduler", "dashboard", "API server"}; !slices.Equal(order, want) {
		t.Errorf("components stopped in order %q, want %q", order, want)
	}

	again := startCluster(t, clusterOptions{dataDir: c.dataDir, args: args})
	if again.kubeconfig != c.kubeconfig {
		t.Fatalf("kubeconfig moved: %s, was %s", again.kubeconfig, c.kubeconfig)
	}
	if out := again.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "3" {
		t.Errorf("after restart: web has %q replicas, want 3", out)
	}
	after := again.waitRunning(3, "-l", "app=web")
	names := func(rows []podRow) []string {
		var s []string
		for _, r := range rows {
			s = append(s, r.name)
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(names(before), names(after)) {
		t.Errorf("pods after restart %v, want the same pods as before %v", names(after), names(before))
	}
	// Give the controllers time to act on any mistaken view, then check
	// again that nothing was added.
	time.Sleep(2 * time.Second)
	if rows := again.getPods(); len(rows) != 3 {
		t.Errorf("%d pods a while after restart, want 3: %v", len(rows), rows)
	}
	if out := again.kubectl("get", "rs", "--no-headers"); len(lines(out)) != 1 {
		t.Errorf("ReplicaSets after restart:\n%s\nwant just one", out)
	}
}
