package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/hub/bustest"
	"github.com/minik8s/minik8s/store"
)

func TestLocalConformance(t *testing.T) {
	// Every handle of an in-process bus is the same bus: one per subtest.
	var mu sync.Mutex
	buses := make(map[*testing.T]*hub.Local)
	bustest.Run(t, func(t *testing.T) hub.Bus {
		mu.Lock()
		defer mu.Unlock()
		if buses[t] == nil {
			buses[t] = hub.NewLocal(0)
		}
		return buses[t]
	})
}

func TestLocalDropsSlowSubscriber(t *testing.T) {
	l := hub.NewLocal(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow, _ := l.Subscribe(ctx)
	fast, _ := l.Subscribe(ctx)

	for rev := int64(1); rev <= 5; rev++ {
		if err := l.Publish(ctx, []store.Change{bustest.Change(rev, "x")}); err != nil {
			t.Fatal(err)
		}
		if c := <-fast; c.Revision != rev {
			t.Fatalf("fast subscriber got revision %d, want %d", c.Revision, rev)
		}
	}
	// The slow one got what fit in its buffer, then its channel closed.
	var got []int64
	for c := range slow {
		got = append(got, c.Revision)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("slow subscriber got %v, want [1 2] then close", got)
	}
	if n := l.Subscribers(); n != 1 {
		t.Fatalf("Subscribers() = %d, want 1", n)
	}
	cancel()
	deadline := time.Now().Add(bustest.Timeout)
	for l.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("subscription not removed after cancel")
		}
		time.Sleep(time.Millisecond)
	}
}
