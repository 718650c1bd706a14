package gc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestHandlerGraphsBeforeQueueing: a worker that takes an object's key the
// moment a handler queues it finds the object in the graph. Queued first,
// a sync could find nothing, finish, and leave a foreground deletion
// undone until the next resync (CI saw TestForegroundDeletionWaitsForBlockingDependents
// time out so).
func TestHandlerGraphsBeforeQueueing(t *testing.T) {
	c, err := New(Deps{Client: &client.Client{}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	var synced, missing atomic.Int64
	c.loop.Also = nil // no discovery: this collector talks to no server
	c.loop.Sync = func(_ context.Context, k informer.Key) (time.Duration, error) {
		if _, ok := c.graph.get(k.Name); !ok {
			missing.Add(1)
		}
		synced.Add(1)
		return 0, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx, 4) })
	defer func() { cancel(); wg.Wait() }()

	h := handler[*api.PartialObjectMetadata](c, groupKind{Group: "apps", Kind: "Deployment"})
	for i := range n {
		h.OnAdd(&api.PartialObjectMetadata{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: fmt.Sprint("d", i), UID: fmt.Sprint("uid-", i)}})
	}
	testpoll.Eventually(t, 30*time.Second, "every key synced", func() bool { return synced.Load() >= n })
	if m := missing.Load(); m > 0 {
		t.Fatalf("%d of %d syncs found their object missing from the graph", m, n)
	}
}
