package chaos

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/bench"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
)

// Limits of the Postgres cases, from when Postgres is back: /readyz must
// answer 200 within readyzBack; the pods that were bound but not yet shown
// Running when it came back (their simulated containers start at once, but
// their status could not be written) must show Running within statusBack,
// so the node agents' status writers must not sit in a long back-off; and
// the rest of the rollout must be done within rolloutBack.
const (
	readyzBack  = 5 * time.Second
	statusBack  = 3 * time.Second
	rolloutBack = 30 * time.Second
)

// Postgres stops under a rollout of a 200-pod Deployment on `minik8s all`
// (10 simulated nodes): restarted at once, and (long) down for 15 s. No
// pod is lost or duplicated, no pod is bound twice, the rollout never
// exceeds replicas+maxSurge live pods, /readyz answers soon after Postgres
// is back, and the rollout completes soon after.
func TestPostgresUnderRollout(t *testing.T) {
	t.Run("restart", func(t *testing.T) { postgresOutage(t, "postgres restart", 0) })
	if long {
		t.Run("outage", func(t *testing.T) { postgresOutage(t, "postgres 15s outage", 15*time.Second) })
	}
}

func postgresOutage(t *testing.T, name string, outage time.Duration) {
	r := newRow(t, name)
	const (
		replicas = 200
		nodes    = 10
		maxSurge = replicas / 4 // the default 25%
		ns       = "chaos"
	)
	r.load = fmt.Sprintf("rollout of a %d-pod Deployment, all + private Postgres", replicas)
	ctx := context.Background()
	pg := startPostgres(t)
	env := newEnv(t)
	srv, err := env.StartServer(ctx, bench.ServerOptions{Role: "all", Store: pg.URL,
		Args: []string{"--nodes", fmt.Sprint(nodes), "--runtime", "sim"}})
	must(t, err)
	must(t, bench.WaitNodesReady(ctx, srv, nodes, time.Minute))
	must(t, bench.WaitLeaders(ctx, srv, time.Minute, "kube-scheduler", "kube-controller-manager"))
	c := newClient(t, srv)
	must(t, bench.CreateNamespace(ctx, srv, ns))
	pods := trackPods(t, c, ns)

	_, err = srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apps/v1/namespaces/"+ns+"/deployments", bench.DeploymentJSON(ns, "web", replicas))
	must(t, err)
	controllertest.Eventually(t, 2*time.Minute, fmt.Sprintf("%d pods Running", replicas), func() bool {
		_, running := pods.counts(nil)
		return running == replicas
	})
	oldRS := pods.replicaSets()

	// Roll out a new template, and stop Postgres once a fifth of the new
	// pods exist.
	_, err = c.Deployments(ns).Patch(ctx, "web", client.MergePatchType, []byte(`{"spec":{"template":{"metadata":{"annotations":{"chaos/rollout":"2"}}}}}`))
	must(t, err)
	controllertest.Eventually(t, time.Minute, "the rollout's first pods", func() bool {
		return pods.seenOutside(oldRS) >= replicas/5
	})
	pg.stop(t)
	down := time.Now()
	// The outage itself: nothing to poll for.
	time.Sleep(outage)
	pg.start(t)
	up := time.Now()
	r.load += fmt.Sprintf(", down %.1fs", up.Sub(down).Seconds())
	stale := pods.boundNotRunning()
	t.Logf("Postgres back after %s; %d pods bound but not shown Running", up.Sub(down).Round(time.Millisecond), len(stale))

	controllertest.Eventually(t, time.Minute, "/readyz 200 after Postgres is back", func() bool {
		code, _, err := srv.Do(ctx, http.MethodGet, "/readyz", nil)
		return err == nil && code == http.StatusOK
	})
	ready := time.Since(up)
	controllertest.Eventually(t, time.Minute, "the pods bound before Postgres came back shown Running", func() bool {
		return pods.runningOrGone(stale)
	})
	fresh := time.Since(up)
	var st string
	controllertest.Eventually(t, 2*time.Minute, "the rollout done", func() bool {
		d, err := c.Deployments(ns).Get(ctx, "web")
		if err != nil {
			return false
		}
		s := d.Status
		st = fmt.Sprintf("generation %d observed %d, replicas %d, updated %d, available %d", d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas)
		if s.ObservedGeneration < d.Generation || s.Replicas != replicas || s.UpdatedReplicas != replicas || s.AvailableReplicas != replicas {
			return false
		}
		live, running := pods.counts(nil)
		return live == replicas && running == replicas && pods.liveOutside(oldRS) == replicas
	})
	done := time.Since(up)
	t.Logf("deployment: %s", st)

	// Judge from a fresh list, not only from the watch.
	list, _, err := c.Pods(ns).List(ctx, client.ListOptions{})
	must(t, err)
	live, unbound := 0, 0
	names := map[string]int{}
	for _, p := range list {
		names[p.Name]++
		if p.DeletionTimestamp == nil {
			live++
			if p.Spec.NodeName == "" {
				unbound++
			}
		}
	}
	dups := len(pods.boundTwice()) + len(list) - len(names)
	r.lost = fmt.Sprint(max(0, replicas-live))
	r.dup = fmt.Sprint(dups + max(0, live-replicas))
	r.recovery = fmt.Sprintf("readyz %.1fs, %d stale pods Running %.1fs, rollout %.1fs", ready.Seconds(), len(stale), fresh.Seconds(), done.Seconds())
	if rss, err := srv.PeakRSS(); err == nil {
		r.rss = mib(rss) + " (all)"
	}
	maxLive := pods.mostLive()
	r.latency = fmt.Sprintf("max %d live pods", maxLive)
	r.check(live == replicas && unbound == 0, "%d live pods (%d unbound), want %d", live, unbound, replicas)
	r.check(dups == 0, "pods bound twice or listed twice: %v", pods.boundTwice())
	r.check(maxLive <= replicas+maxSurge, "%d pods live at once, more than replicas+maxSurge = %d", maxLive, replicas+maxSurge)
	r.check(ready <= readyzBack, "/readyz 200 only %.1fs after Postgres was back (limit %s)", ready.Seconds(), readyzBack)
	r.check(fresh <= statusBack, "%d pods bound before Postgres came back shown Running only %.1fs after (limit %s)", len(stale), fresh.Seconds(), statusBack)
	r.check(done <= rolloutBack, "rollout done only %.1fs after Postgres was back (limit %s)", done.Seconds(), rolloutBack)
}

// replicaSets is the set of ReplicaSets owning the pods seen so far.
func (pt *podTracker) replicaSets() map[string]bool {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	out := map[string]bool{}
	for _, rs := range pt.byRS {
		out[rs] = true
	}
	return out
}

// seenOutside counts the pods seen whose ReplicaSet is not in rs.
func (pt *podTracker) seenOutside(rs map[string]bool) int {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	n := 0
	for _, o := range pt.byRS {
		if !rs[o] {
			n++
		}
	}
	return n
}

// liveOutside counts the live pods whose ReplicaSet is not in rs.
func (pt *podTracker) liveOutside(rs map[string]bool) int {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	n := 0
	for name := range pt.live {
		if !rs[pt.byRS[name]] {
			n++
		}
	}
	return n
}

// boundNotRunning lists the live pods bound to a node but not Running.
func (pt *podTracker) boundNotRunning() []string {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	var out []string
	for name, p := range pt.live {
		if p.Spec.NodeName != "" && p.Status.Phase != api.PodRunning {
			out = append(out, name)
		}
	}
	return out
}

// runningOrGone reports whether each of pods has been seen Running, or
// is no longer live.
func (pt *podTracker) runningOrGone(pods []string) bool {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for _, name := range pods {
		if p, ok := pt.live[name]; ok && p.Status.Phase != api.PodRunning {
			return false
		}
	}
	return true
}

// mostLive is the most pods seen live at once.
func (pt *podTracker) mostLive() int {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.maxLive
}

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
