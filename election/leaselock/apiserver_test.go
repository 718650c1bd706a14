package leaselock_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/leaselock"
	"github.com/minik8s/minik8s/internal/testenv"
)

// Three candidates elect through Lease objects on a real API server:
// exactly one leads at a time, and when it stops a standby takes over.
func TestLeaseLockOnAPIServer(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, 100, 200)
	if err != nil {
		t.Fatal(err)
	}
	cfg := election.Config{LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 200 * time.Millisecond}
	var leading, maxLeading atomic.Int32
	var wg sync.WaitGroup
	cancels := make([]context.CancelFunc, 3)
	leaders := make(chan int, 10)
	for i := range 3 {
		lock := leaselock.New(c.Leases("kube-system"), "test-lock", cfg.LeaseDuration, leaselock.Options{
			IsNotFound: client.IsNotFound,
			IsConflict: func(err error) bool { return client.IsConflict(err) || client.IsAlreadyExists(err) },
		})
		ccfg := cfg
		ccfg.Identity = fmt.Sprintf("candidate-%d", i)
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = election.Run(ctx, lock, ccfg, zerolog.Nop(), func(ctx context.Context) error {
				n := leading.Add(1)
				for {
					m := maxLeading.Load()
					if n <= m || maxLeading.CompareAndSwap(m, n) {
						break
					}
				}
				leaders <- i
				<-ctx.Done()
				leading.Add(-1)
				return nil
			})
		}()
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	first := waitLeader(t, leaders)
	start := time.Now()
	cancels[first]() // clean stop: releases the lease
	second := waitLeader(t, leaders)
	if second == first {
		t.Fatalf("candidate %d led again after stopping", first)
	}
	if d := time.Since(start); d > cfg.RetryPeriod*3+time.Second {
		t.Fatalf("takeover after a release took %v", d)
	}
	lease, err := c.Leases("kube-system").Get(context.Background(), "test-lock")
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != fmt.Sprintf("candidate-%d", second) {
		t.Fatalf("lease holder %v, want candidate-%d", lease.Spec.HolderIdentity, second)
	}
	if maxLeading.Load() != 1 {
		t.Fatalf("%d candidates led at once", maxLeading.Load())
	}
}

func waitLeader(t *testing.T, ch <-chan int) int {
	t.Helper()
	select {
	case i := <-ch:
		return i
	case <-time.After(10 * time.Second):
		t.Fatal("no leader within 10s")
		return -1
	}
}
