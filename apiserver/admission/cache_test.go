package admission

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/internal/testpoll"
	"github.com/minik8s/minik8s/store"
)

// TestCacheCreated: an object this API server created is in the cache at
// once, before the watch brings it (here it never does: nothing publishes
// the store's commits, and the hub polls the change log only every
// second); one the watch has seen deleted since is not put back. HasSynced turns
// true once Run has listed.
func TestCacheCreated(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, store.Config{DSN: filepath.Join(t.TempDir(), "test.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := hub.New(st, hub.NewLocal(0), zerolog.Nop(), hub.WithPollInterval(time.Hour))
	go h.Run(ctx)
	c := NewCache("resourcequotas", st)
	if c.HasSynced() {
		t.Fatal("HasSynced before Run")
	}
	go c.Run(ctx, h)
	testpoll.Eventually(t, 5*time.Second, "the cache synced", c.HasSynced)

	q := &store.Record{Key: store.Key{Resource: "resourcequotas", Namespace: "ns", Name: "q"}, UID: "u", Value: []byte(`{"metadata":{"name":"q"}}`)}
	rec, err := st.Create(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := c.List(ctx, "ns"); len(l) != 0 {
		t.Fatalf("the watch brought the quota already (%d): this test shows nothing", len(l))
	}
	c.Created(&store.Record{Key: store.Key{Resource: "limitranges", Namespace: "ns", Name: "l"}, ResourceVersion: rec.ResourceVersion + 1})
	c.Created(rec)
	if l, _ := c.List(ctx, "ns"); len(l) != 1 || l[0].Name != "q" {
		t.Fatalf("after Created, List = %v; want the quota alone", l)
	}

	c.mu.Lock()
	delete(c.objs, rec.Key) // as the watch applies a deletion…
	c.rev = rec.ResourceVersion + 1
	c.mu.Unlock()
	c.Created(rec) // …which a late Created must not undo
	if l, _ := c.List(ctx, "ns"); len(l) != 0 {
		t.Fatalf("a quota deleted since was put back: %v", l)
	}
}
