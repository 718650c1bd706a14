package redisbus_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/hub/bustest"
	"github.com/minik8s/minik8s/apiserver/redisbus"
	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/store"
)

const timeout = bustest.Timeout

// redisURL returns MINIK8S_TEST_REDIS; the test fails if it is unset.
func redisURL(tb testing.TB) string {
	tb.Helper()
	return testsvc.Require(tb, testsvc.Redis)
}

// channelFor names a channel unique to this test and run.
func channelFor(tb testing.TB) string {
	return "minik8s-test:" + strings.ReplaceAll(tb.Name(), "/", ":") + ":" + uuid.NewString()
}

func newBus(tb testing.TB, url, channel string) *redisbus.Bus {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := redisbus.New(ctx, url, channel, zerolog.Nop())
	if err != nil {
		tb.Fatalf("new bus: %v", err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

func TestNewFails(t *testing.T) {
	tests := []struct{ name, url, channel, wantErr string }{
		{"bad url", "http://127.0.0.1:6379", "c", "parse redis url"},
		{"unreachable", "redis://127.0.0.1:1/0", "c", "connect to redis at 127.0.0.1:1"},
		{"no channel", "redis://127.0.0.1:6379/0", "", "empty channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			b, err := redisbus.New(ctx, tt.url, tt.channel, zerolog.Nop())
			if err == nil {
				b.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	url := redisURL(t)
	channels := make(map[*testing.T]string) // one channel per subtest
	bustest.Run(t, func(t *testing.T) hub.Bus {
		if channels[t] == "" {
			channels[t] = channelFor(t)
		}
		return newBus(t, url, channels[t])
	})
}

func TestPublishAfterClose(t *testing.T) {
	b := newBus(t, redisURL(t), channelFor(t))
	if err := b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := b.Publish(context.Background(), []store.Change{bustest.Change(1, "x")}); err != redisbus.ErrClosed {
		t.Fatalf("Publish after Close: err = %v, want ErrClosed", err)
	}
}

// cluster is two API servers sharing one store: each has its own Redis bus
// and hub. Writes go through the store of server A, whose commits are
// published on bus A only. The hubs do not poll, so only the buses (and
// their resubscription catch-up) carry changes.
type cluster struct {
	store  *store.SQLStore
	hubA   *hub.Hub
	hubB   *hub.Hub
	admin  *redis.Client
	subs   string // the channel
	writes int
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	url := redisURL(t)
	channel := channelFor(t)
	s, err := store.Open(context.Background(), store.Config{DSN: filepath.Join(t.TempDir(), "test.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	busA, busB := newBus(t, url, channel), newBus(t, url, channel)
	s.SetOnCommit(func(cs []store.Change) { _ = busA.Publish(context.Background(), cs) })

	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(opt)
	t.Cleanup(func() { admin.Close() })

	c := &cluster{store: s, admin: admin, subs: channel}
	c.hubA = bustest.StartHub(t, s, busA, hub.WithPollInterval(time.Hour))
	c.hubB = bustest.StartHub(t, s, busB, hub.WithPollInterval(time.Hour))
	return c
}

// write commits n objects and returns the revision of the last.
func (c *cluster) write(t *testing.T, n int) int64 {
	t.Helper()
	var rev int64
	for range n {
		c.writes++
		r, err := c.store.Create(context.Background(), &store.Record{
			Key:   store.Key{Resource: "configmaps", Namespace: "default", Name: fmt.Sprint("cm-", c.writes)},
			Value: []byte(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		rev = r.ResourceVersion
	}
	return rev
}

func (c *cluster) numSub(t *testing.T) int64 {
	t.Helper()
	n, err := c.admin.PubSubNumSub(context.Background(), c.subs).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[c.subs]
}

func expectRevs(t *testing.T, w *hub.Watcher, from, to int64) {
	t.Helper()
	for rev := from; rev <= to; rev++ {
		select {
		case c, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended: %v", w.Err())
			}
			if c.Revision != rev {
				t.Fatalf("got revision %d, want %d", c.Revision, rev)
			}
		case <-time.After(timeout):
			t.Fatalf("timed out waiting for revision %d", rev)
		}
	}
}

func watch(t *testing.T, h *hub.Hub) *hub.Watcher {
	t.Helper()
	w, err := h.Watch(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w
}

func TestTwoServersShareCommits(t *testing.T) {
	c := newCluster(t)
	wA, wB := watch(t, c.hubA), watch(t, c.hubB)
	start := c.hubB.Revision()
	last := c.write(t, 20)
	expectRevs(t, wB, start+1, last)
	expectRevs(t, wA, start+1, last)
}

func TestConnectionLossAndRecovery(t *testing.T) {
	c := newCluster(t)
	wB := watch(t, c.hubB)
	start := c.hubB.Revision()
	c.write(t, 3)

	// Drop every subscriber and the publisher's connection (CLIENT KILL
	// spares the admin client itself). Counting the subscribers right
	// after would race with go-redis, which may have subscribed again
	// already: the kill's own count says both hubs' were dropped.
	ctx := context.Background()
	for _, typ := range []string{"pubsub", "normal"} {
		n, err := c.admin.Do(ctx, "CLIENT", "KILL", "TYPE", typ).Int()
		if err != nil {
			t.Fatalf("client kill %s: %v", typ, err)
		}
		if typ == "pubsub" && n < 2 {
			t.Fatalf("CLIENT KILL TYPE pubsub dropped %d connections; the two hubs hold one each", n)
		}
	}
	c.write(t, 3) // published while the hubs may not listen
	bustest.WaitFor(t, "hubs resubscribed", func() bool { return c.numSub(t) == 2 && c.hubA.Ready() && c.hubB.Ready() })
	last := c.write(t, 3)
	expectRevs(t, wB, start+1, last)
}

func BenchmarkDeliveryLatencyRedis(b *testing.B) {
	url := redisURL(b)
	channel := channelFor(b)
	bustest.Latency(b, newBus(b, url, channel), newBus(b, url, channel))
}
