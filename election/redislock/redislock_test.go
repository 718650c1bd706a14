package redislock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/redislock"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// newClient connects to MINIK8S_TEST_REDIS; the test fails if that is unset.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	url := testsvc.Require(t, testsvc.Redis)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse MINIK8S_TEST_REDIS: %v", err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at MINIK8S_TEST_REDIS unreachable: %v", err)
	}
	return c
}

// newKey returns a key unique to this test run and deletes it afterwards.
func newKey(t *testing.T, c *redis.Client) string {
	key := "minik8s-test/" + t.Name() + "/" + uuid.NewString()
	t.Cleanup(func() { c.Del(context.Background(), key, key+":fence") })
	return key
}

func acquire(t *testing.T, l election.Lock, id string) election.Lease {
	t.Helper()
	lease, err := l.TryAcquire(context.Background(), id)
	if err != nil {
		t.Fatalf("TryAcquire(%q) = %v", id, err)
	}
	if lease.Holder != id {
		t.Fatalf("TryAcquire(%q) holder = %q", id, lease.Holder)
	}
	return lease
}

func wantHeldBy(t *testing.T, l election.Lock, id, holder string) {
	t.Helper()
	_, err := l.TryAcquire(context.Background(), id)
	var held *election.LeaseExistsError
	if !errors.As(err, &held) || held.Holder != holder {
		t.Fatalf("TryAcquire(%q) = %v, want LeaseExistsError naming %q", id, err, holder)
	}
}

func TestAcquireIsExclusive(t *testing.T) {
	c := newClient(t)
	const ttl = time.Minute
	l := redislock.New(c, newKey(t, c), ttl)
	before := time.Now()
	a := acquire(t, l, "a")
	if a.Expires.Before(before.Add(ttl)) || a.Expires.After(time.Now().Add(ttl)) {
		t.Errorf("Expires = %s, want about now+%s", a.Expires, ttl)
	}

	_, err := l.TryAcquire(context.Background(), "b")
	var held *election.LeaseExistsError
	if !errors.As(err, &held) {
		t.Fatalf("TryAcquire(b) = %v, want *LeaseExistsError", err)
	}
	if held.Holder != "a" || held.Expires.Before(time.Now().Add(ttl-5*time.Second)) {
		t.Errorf("LeaseExistsError = %+v, want holder a expiring in about %s", held, ttl)
	}

	// The holder may acquire again (a restarted replica); that is a new fence.
	again := acquire(t, l, "a")
	if again.Fence <= a.Fence {
		t.Errorf("re-acquire fence = %d, want > %d", again.Fence, a.Fence)
	}
	if _, err := l.Renew(context.Background(), a); !errors.Is(err, election.ErrLeaseLost) {
		t.Errorf("Renew(old lease) = %v, want ErrLeaseLost", err)
	}
}

func TestFenceGrowsWithEveryAcquisition(t *testing.T) {
	c := newClient(t)
	l := redislock.New(c, newKey(t, c), time.Minute)
	var last int64
	for _, id := range []string{"a", "b", "a", "c"} {
		lease := acquire(t, l, id)
		if lease.Fence <= last {
			t.Fatalf("%s got fence %d after %d, want it to grow", id, lease.Fence, last)
		}
		last = lease.Fence
		if err := l.Release(context.Background(), lease); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenewFailsAfterTakeover(t *testing.T) {
	c := newClient(t)
	const ttl = 100 * time.Millisecond
	l := redislock.New(c, newKey(t, c), ttl)
	ctx := context.Background()
	a := acquire(t, l, "a")
	a, err := l.Renew(ctx, a)
	if err != nil {
		t.Fatalf("Renew while held = %v", err)
	}

	// b gets the lock once a's lease has lapsed in Redis.
	var b election.Lease
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, err = l.TryAcquire(ctx, "b"); err == nil {
			break
		}
		var held *election.LeaseExistsError
		if !errors.As(err, &held) || time.Now().After(deadline) {
			t.Fatalf("TryAcquire(b) = %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b.Fence <= a.Fence {
		t.Errorf("b's fence %d, want > a's %d", b.Fence, a.Fence)
	}
	if _, err := l.Renew(ctx, a); !errors.Is(err, election.ErrLeaseLost) {
		t.Fatalf("a.Renew after takeover = %v, want ErrLeaseLost", err)
	}
	// a's release must not free b's lock.
	if err := l.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Renew(ctx, b); err != nil {
		t.Fatalf("b.Renew = %v", err)
	}
	wantHeldBy(t, l, "c", "b")
}

func TestReleaseFreesAtOnce(t *testing.T) {
	c := newClient(t)
	l := redislock.New(c, newKey(t, c), time.Minute)
	a := acquire(t, l, "a")
	wantHeldBy(t, l, "b", "a")
	if err := l.Release(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	acquire(t, l, "b")
	// Releasing again, no longer held, is a no-op.
	if err := l.Release(context.Background(), a); err != nil {
		t.Fatalf("second Release = %v, want nil", err)
	}
	wantHeldBy(t, l, "a", "b")
}

// crashable is a Lock whose Release can be switched off, as when a leader's
// process dies without releasing.
type crashable struct {
	election.Lock
	crashed atomic.Bool
}

func (c *crashable) Release(ctx context.Context, l election.Lease) error {
	if c.crashed.Load() {
		return nil
	}
	return c.Lock.Release(ctx, l)
}

func TestElectionOverRedis(t *testing.T) {
	c := newClient(t)
	key := newKey(t, c)
	cfg := election.Config{LeaseDuration: time.Second, RenewDeadline: 600 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}

	var active, overlaps atomic.Int32
	started := make(chan string, 16)
	type candidate struct {
		e      *election.Elector
		lock   *crashable
		cancel context.CancelFunc
		done   chan error
	}
	candidates := map[string]*candidate{}
	for _, id := range []string{"a", "b", "c"} {
		cfg := cfg
		cfg.Identity = id
		lock := &crashable{Lock: redislock.New(c, key, cfg.LeaseDuration)}
		e, err := election.New(lock, cfg, zerolog.Nop(), election.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cand := &candidate{e: e, lock: lock, cancel: cancel, done: make(chan error, 1)}
		candidates[id] = cand
		go func() {
			cand.done <- e.Run(ctx, func(ctx context.Context) error {
				if active.Add(1) > 1 {
					overlaps.Add(1)
				}
				defer active.Add(-1)
				started <- id
				<-ctx.Done()
				return nil
			})
		}()
	}
	t.Cleanup(func() {
		for _, cand := range candidates { // those not stopped by the test
			cand.cancel()
			<-cand.done
		}
	})

	waitLeader := func(within time.Duration) string {
		t.Helper()
		select {
		case id := <-started:
			return id
		case <-time.After(within):
			t.Fatalf("no leader within %s", within)
			return ""
		}
	}
	stop := func(id string, crash bool) time.Time {
		t.Helper()
		cand := candidates[id]
		cand.lock.crashed.Store(crash)
		cand.cancel()
		if err := <-cand.done; err != nil {
			t.Fatalf("Run(%s) = %v", id, err)
		}
		delete(candidates, id)
		return time.Now()
	}
	// Takeover bound: the lease must lapse (crash only), then a standby's
	// next jittered retry; plus slack for a loaded machine.
	const slack = 500 * time.Millisecond
	retry := cfg.RetryPeriod * 6 / 5

	first := waitLeader(5 * time.Second)
	time.Sleep(3 * cfg.RetryPeriod) // let the standbys see the holder
	for id, cand := range candidates {
		if st := cand.e.Status(); st.Leader != (id == first) {
			t.Fatalf("%s: Status() = %+v with leader %s", id, st, first)
		}
	}

	stopped := stop(first, false)
	second := waitLeader(retry + slack)
	t.Logf("graceful: %s took over from %s after %s", second, first, time.Since(stopped))

	stopped = stop(second, true)
	third := waitLeader(cfg.LeaseDuration + retry + slack)
	took := time.Since(stopped)
	t.Logf("crash: %s took over from %s after %s", third, second, took)
	if took < cfg.LeaseDuration-cfg.RenewDeadline {
		// The crashed leader's last renewal was at most RenewDeadline ago.
		t.Errorf("took over after %s, before the crashed leader's lease could lapse", took)
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d leads started while another ran", n)
	}
}
