package chaos

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
)

// The election settings of the failover cases, as hack/ha.sh has them.
const (
	chaosLease   = 4 * time.Second
	chaosRenew   = 3 * time.Second
	chaosRetry   = 500 * time.Millisecond
	takeoverSlop = chaosLease // a standby must lead within twice the lease
)

// electionArgs are the flags of a leader-elected process with those
// settings.
func electionArgs() []string {
	return []string{"--leader-elect-lease-duration", chaosLease.String(),
		"--leader-elect-renew-deadline", chaosRenew.String(), "--leader-elect-retry-period", chaosRetry.String()}
}

// Three scheduler processes (one replica each) share the work of an API
// server with Node objects and no kubelets, while pods are created at a
// steady pace. The leader's process is SIGKILLed (nothing is released: a
// standby takes over once the lease expires), then the next leader is
// SIGSTOPped (it stops renewing; a standby takes over) and later thawed
// (it must find its lease gone and bind nothing). Every pod is bound, and
// none twice or to two nodes.
func TestSchedulerLeaderKilledAndFrozen(t *testing.T) {
	r := newRow(t, "scheduler SIGKILL+SIGSTOP")
	var (
		pods      = pick(1000, 3000)
		perSecond = pick(100.0, 150.0)
		nodes     = 20
	)
	const ns = "chaos"
	ctx := context.Background()
	env := newEnv(t)
	srv, err := env.StartServer(ctx, bench.ServerOptions{})
	must(t, err)
	for i := range nodes {
		_, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/nodes", bench.NodeJSON("node-"+strconv.Itoa(i), pods))
		must(t, err)
	}
	must(t, bench.CreateNamespace(ctx, srv, ns))
	var scheds []*bench.Process
	for range 3 {
		p, err := env.StartProcessOn(srv, "scheduler", append([]string{"--port", "0"}, electionArgs()...)...)
		must(t, err)
		scheds = append(scheds, p)
	}
	c := newClient(t, srv)
	must(t, bench.WaitLeaders(ctx, srv, time.Minute, "kube-scheduler"))
	tracker := trackPods(t, c, ns)

	// The pods, at a steady pace, from one goroutine per 25/s.
	var created sync.WaitGroup
	var createErr error
	var errOnce sync.Once
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	clients := max(1, int(perSecond/25))
	every := time.Duration(float64(time.Second) * float64(clients) / perSecond)
	for k := range clients {
		created.Add(1)
		go func() {
			defer created.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for i := k; i < pods; i += clients {
				select {
				case <-wctx.Done():
					return
				case <-tick.C:
				}
				if _, err := srv.Expect(wctx, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/pods", bench.PodJSON(ns, "pod-"+strconv.Itoa(i))); err != nil {
					errOnce.Do(func() { createErr = err })
					return
				}
			}
		}()
	}
	seen := func() int {
		tracker.mu.Lock()
		defer tracker.mu.Unlock()
		return len(tracker.seen)
	}

	// SIGKILL the leader's process a quarter of the way.
	controllertest.Eventually(t, time.Minute, "a quarter of the pods created", func() bool { return seen() >= pods/4 })
	killed, holder := leaderProcess(t, c, "kube-scheduler", scheds)
	must(t, killed.Kill())
	killTakeover := awaitTakeover(t, c, "kube-scheduler", holder)

	// SIGSTOP the new leader three quarters of the way, and thaw it once a
	// standby leads.
	controllertest.Eventually(t, time.Minute, "three quarters of the pods created", func() bool { return seen() >= pods*3/4 })
	frozen, holder := leaderProcess(t, c, "kube-scheduler", scheds)
	must(t, frozen.Signal(syscall.SIGSTOP))
	stopTakeover := awaitTakeover(t, c, "kube-scheduler", holder)
	must(t, frozen.Signal(syscall.SIGCONT))

	created.Wait()
	must(t, createErr)
	// The thawed replica had the rest of the creates to bind anything it
	// still could: the bindings are judged once every pod is bound.
	controllertest.Eventually(t, time.Minute, fmt.Sprintf("%d pods bound", pods), func() bool { return tracker.bound() == pods })
	list, _, err := c.Pods(ns).List(ctx, client.ListOptions{})
	must(t, err)
	unbound := 0
	for _, p := range list {
		if p.Spec.NodeName == "" {
			unbound++
		}
	}
	twice := tracker.boundTwice()
	lat := tracker.bindLatencies()
	r.load = fmt.Sprintf("%d pods at %.0f/s, %d nodes, 3 scheduler processes, lease %s", pods, perSecond, nodes, chaosLease)
	r.lost = fmt.Sprintf("%d unbound", unbound)
	r.dup = fmt.Sprintf("%d bound twice", len(twice))
	r.recovery = fmt.Sprintf("takeover after SIGKILL %.1fs, after SIGSTOP %.1fs", killTakeover.Seconds(), stopTakeover.Seconds())
	if rss, err := srv.PeakRSS(); err == nil {
		r.rss = mib(rss) + " (API server)"
	}
	r.latency = fmt.Sprintf("create→bound p50 %s p99 %s max %s", ms(lat.Pct(0.5)), ms(lat.Pct(0.99)), ms(lat.Pct(1)))
	r.check(len(list) == pods && unbound == 0, "%d pods listed, %d unbound; want %d, all bound", len(list), unbound, pods)
	r.check(len(twice) == 0, "pods bound twice: %v", first(twice, 10))
	r.check(killTakeover <= chaosLease+takeoverSlop, "takeover %.1fs after the leader's SIGKILL (lease %s)", killTakeover.Seconds(), chaosLease)
	r.check(stopTakeover <= chaosLease+takeoverSlop, "takeover %.1fs after the leader's SIGSTOP (lease %s)", stopTakeover.Seconds(), chaosLease)
}

// leaderProcess finds the process of procs whose replica holds the Lease
// kube-system/lease (identities are <host>_<pid>_<replica>), and the
// holder.
func leaderProcess(t *testing.T, c *client.Client, lease string, procs []*bench.Process) (*bench.Process, string) {
	t.Helper()
	h := holder(t, c, lease)
	for _, p := range procs {
		if strings.Contains(h, "_"+strconv.Itoa(p.PID())+"_") {
			return p, h
		}
	}
	t.Fatalf("lease %s held by %q, none of the processes %v", lease, h, pids(procs))
	return nil, ""
}

func pids(procs []*bench.Process) []int {
	var out []int
	for _, p := range procs {
		out = append(out, p.PID())
	}
	return out
}

// holder is the holder of the Lease kube-system/lease, "" if none.
func holder(t *testing.T, c *client.Client, lease string) string {
	t.Helper()
	l, err := c.Leases("kube-system").Get(context.Background(), lease)
	must(t, err)
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// awaitTakeover waits until the Lease names a holder other than old, and
// returns how long that took.
func awaitTakeover(t *testing.T, c *client.Client, lease, old string) time.Duration {
	t.Helper()
	start := time.Now()
	controllertest.Eventually(t, 30*time.Second, "a standby holding "+lease, func() bool {
		h := holder(t, c, lease)
		return h != "" && h != old
	})
	return time.Since(start)
}

// bindLatencies is, for each pod seen bound, the time from its first
// event to its binding.
func (pt *podTracker) bindLatencies() bench.Sample {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	var lat []time.Duration
	for name, at := range pt.boundAt {
		lat = append(lat, at.Sub(pt.seen[name]))
	}
	slices.Sort(lat)
	return bench.Sample{N: len(lat), Lat: lat}
}
