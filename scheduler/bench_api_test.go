package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/scheduler"
)

// BenchmarkSchedulerAPI measures scheduling throughput through an
// in-process API server (SQLite, or Postgres when MINIK8S_TEST_POSTGRES is
// set): 1000 nodes and 10 000 pending pods are created first, then the
// scheduler starts; pods/s is from its start to the last binding seen by a
// watch. Each iteration is one full run.
func BenchmarkSchedulerAPI(b *testing.B) {
	const nodes, pods = 1000, 10000
	for b.Loop() {
		opt := testenv.Options{Configure: func(c *app.Config) {
			c.APIServer.Limits.QPS = 0
			c.APIServer.Limits.MaxInFlight = 0
			c.APIServer.Limits.MaxMutatingInFlight = 0
		}}
		if os.Getenv("MINIK8S_TEST_POSTGRES") != "" {
			opt.Store = testenv.Postgres(b)
		}
		srv := testenv.StartAPIServer(b, opt)
		c, err := client.FromKubeconfig(srv.Kubeconfig, -1, 0)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		parallel(b, nodes, func(i int) error {
			_, err := c.Nodes().Create(ctx, fakeNode(fmt.Sprintf("node-%d", i), "32", "128Gi", 110))
			return err
		})
		parallel(b, pods, func(i int) error {
			_, err := c.Pods("default").Create(ctx, requestingPod(fmt.Sprintf("p-%d", i), "100m", "128Mi"))
			return err
		})

		var bound atomic.Int64
		done := make(chan struct{})
		watch := informer.New(client.ListWatch(c.Pods("default"), client.ListOptions{}), 0)
		watch.AddHandler(informer.HandlerFuncs[*api.Pod]{UpdateFunc: func(old, p *api.Pod) {
			if old.Spec.NodeName == "" && p.Spec.NodeName != "" && bound.Add(1) == pods {
				close(done)
			}
		}})
		wctx, stopWatch := context.WithCancel(ctx)
		go func() { _ = watch.Run(wctx) }()
		informer.WaitForCacheSync(wctx, watch.HasSynced)

		sc, err := client.FromKubeconfig(srv.Kubeconfig, 2000, 4000)
		if err != nil {
			b.Fatal(err)
		}
		rec := events.New(events.ClientSink(sc), events.Config{Source: api.DefaultSchedulerName}, zerolog.Nop())
		w := scheduler.NewAPIWriter(sc)
		s, err := scheduler.New(scheduler.DefaultConfig(), scheduler.Deps{
			Pods:   client.ListWatch(sc.Pods(""), client.ListOptions{Limit: 500}),
			Nodes:  client.ListWatch(sc.Nodes(), client.ListOptions{Limit: 500}),
			Binder: w, Status: w, Events: rec,
		}, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		start := time.Now()
		wg.Go(func() { _ = s.Run(sctx) })
		wg.Go(func() { _ = s.Lead(sctx) })
		wg.Go(func() { _ = rec.Run(sctx) })
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d pods bound in 5 minutes", bound.Load(), pods)
		}
		elapsed := time.Since(start)
		stop()
		wg.Wait()
		stopWatch()
		b.ReportMetric(pods/elapsed.Seconds(), "pods/s")
		b.Logf("%d pods on %d nodes in %s: %.0f pods/s (events dropped: %d)", pods, nodes, elapsed.Round(time.Millisecond), pods/elapsed.Seconds(), rec.Dropped())
	}
}

// parallel runs fn(0..n-1) on 32 goroutines and fails on the first error.
func parallel(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := fn(int(i)); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		b.Fatal(err)
	}
}
