package apiserver

import (
	"context"
	"sync"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/store"
)

// nsCache remembers which namespaces exist and which are terminating,
// fed by the watch hub, so that creating an object costs no extra database
// read. Only its positive answers are trusted: a namespace it does not
// know (not synced yet, or created through another API server a moment
// ago) is looked up in the store. Like Kubernetes' namespace lifecycle
// admission, it may be a few milliseconds behind a namespace's deletion.
type nsCache struct {
	mu          sync.RWMutex
	synced      bool
	terminating map[string]bool // name → terminating
}

// lookup returns whether the cache knows the namespace and whether it is
// terminating.
func (n *nsCache) lookup(name string) (known, terminating bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if !n.synced {
		return false, false
	}
	t, ok := n.terminating[name]
	return ok, t
}

// run keeps the cache in step with the store until ctx ends: list, then
// watch from the list's revision, and start over when the watch ends.
func (n *nsCache) run(ctx context.Context, st store.Store, h *hub.Hub) {
	for ctx.Err() == nil {
		if err := n.sync(ctx, st, h); err != nil && ctx.Err() == nil {
			n.mu.Lock()
			n.synced = false
			n.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (n *nsCache) sync(ctx context.Context, st store.Store, h *hub.Hub) error {
	recs, rev, err := st.List(ctx, store.Prefix{Resource: "namespaces"}, store.ListOptions{})
	if err != nil {
		return err
	}
	w, err := h.Watch(ctx, rev, func(c *store.Change) bool { return c.Resource == "namespaces" })
	if err != nil {
		return err
	}
	defer w.Stop()
	m := make(map[string]bool, len(recs))
	for _, r := range recs {
		m[r.Name] = isTerminating(r.Value)
	}
	n.mu.Lock()
	n.terminating, n.synced = m, true
	n.mu.Unlock()
	for c := range w.Events() {
		n.mu.Lock()
		if c.Type == store.Deleted {
			delete(n.terminating, c.Name)
		} else {
			n.terminating[c.Name] = isTerminating(c.Value)
		}
		n.mu.Unlock()
	}
	return w.Err()
}

// isTerminating reads whether a stored namespace is being deleted.
func isTerminating(value []byte) bool {
	var ns struct {
		Metadata struct {
			DeletionTimestamp *string `json:"deletionTimestamp"`
		} `json:"metadata"`
		Status struct {
			Phase string `json:"phase"`
		} `json:"status"`
	}
	if api.Unmarshal(value, &ns) != nil {
		return false
	}
	return ns.Metadata.DeletionTimestamp != nil || ns.Status.Phase == "Terminating"
}
