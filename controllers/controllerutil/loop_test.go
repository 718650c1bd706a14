package controllerutil

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// syncLog records a Loop's syncs; fail makes a key's next sync fail once.
type syncLog struct {
	mu     sync.Mutex
	synced map[string]int
	fail   map[string]bool
}

func (s *syncLog) sync(_ context.Context, k informer.Key) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.synced[k.String()]++
	if s.fail[k.String()] {
		s.fail[k.String()] = false
		return 0, errors.New("injected failure")
	}
	return 0, nil
}

func (s *syncLog) count(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced[k]
}

func TestLoop(t *testing.T) {
	rec := &syncLog{synced: map[string]int{}, fail: map[string]bool{"ns/flaky": true}}
	var handlers int
	l := &Loop{Name: "test controller", Log: zerolog.Nop(), Sync: rec.sync,
		HasSynced:   []func() bool{func() bool { return true }},
		AddHandlers: func() { handlers++ },
		Keys:        func() []informer.Key { return []informer.Key{{Namespace: "ns", Name: "listed"}} },
	}
	l.Add(informer.Key{Namespace: "ns", Name: "early"}) // before any Run: waits for it

	run := func() (stop func()) { return startLoop(t, l, 2) }

	stop := run()
	l.Add(informer.Key{Namespace: "ns", Name: "flaky"})
	testpoll.Eventually(t, 10*time.Second, "early, listed and flaky keys synced (flaky twice)", func() bool {
		return rec.count("ns/early") == 1 && rec.count("ns/listed") >= 1 && rec.count("ns/flaky") == 2
	})
	if err := l.Run(context.Background(), 1); err == nil || err.Error() != "test controller: already running" {
		t.Errorf("a second concurrent Run: %v, want already running", err)
	}
	stop()

	// A key added between two terms is synced by the next one.
	l.Add(informer.Key{Namespace: "ns", Name: "between"})
	stop = run()
	testpoll.Eventually(t, 10*time.Second, "key added between runs synced", func() bool {
		return rec.count("ns/between") == 1 && rec.count("ns/listed") >= 2
	})
	stop()
	if handlers != 1 {
		t.Errorf("AddHandlers called %d times, want once", handlers)
	}
}

// startLoop runs l with workers until the returned stop is called, which
// waits for Run to return.
func startLoop(t *testing.T, l *Loop, workers int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx, workers) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestLoopStopsBeforeSync(t *testing.T) {
	rec := &syncLog{synced: map[string]int{}}
	l := &Loop{Name: "test controller", Log: zerolog.Nop(), Sync: rec.sync,
		HasSynced: []func() bool{func() bool { return false }}}
	l.Add(informer.Key{Name: "k"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Run(ctx, 1); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := rec.count("k"); n != 0 {
		t.Errorf("synced %d times with caches never synced, want 0", n)
	}
}
