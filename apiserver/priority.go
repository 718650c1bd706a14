package apiserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// admitPriority is Kubernetes' Priority admission plugin, for a pod being
// created: spec.priority comes from the PriorityClass the pod names, or,
// when it names none, from the class marked globalDefault (the lowest such
// value) whose name it then gets, or 0 if there is none; spec.
// preemptionPolicy comes from the class too (PreemptLowerPriority without
// one). A class that does not exist, or a priority or preemptionPolicy
// the pod sets that differs from its class's, is refused with 403
// Forbidden in Kubernetes' words. It is the one place pod priorities are
// resolved, meant to become one step of an admission chain.
func (s *Server) admitPriority(ctx context.Context, res *registry.Resource, o object) error {
	spec, _ := o["spec"].(map[string]any)
	if spec == nil {
		return nil // validation refuses the pod
	}
	name := nestedString(o, "metadata", "name")
	pcName, _ := spec["priorityClassName"].(string)
	var (
		pc    pcInfo
		found bool
		err   error
	)
	if pcName == "" {
		pc, found, err = s.pc.defaultClass(ctx, s.deps.Store)
		if found {
			spec["priorityClassName"] = pc.name
		}
	} else {
		pc, found, err = s.pc.get(ctx, s.deps.Store, pcName)
		if err == nil && !found {
			return forbidden(res, name, fmt.Sprintf("no PriorityClass with name %s was found", pcName))
		}
	}
	if err != nil {
		return fmt.Errorf("look up priority classes: %w", err)
	}
	policy := string(api.PreemptLowerPriority)
	if found && pc.policy != "" {
		policy = pc.policy
	}
	if v, ok := spec["priority"]; ok && v != nil {
		if got, ok := toInt64(v); !ok || got != int64(pc.value) {
			return forbidden(res, name, fmt.Sprintf("the integer value of priority (%v) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", v, pc.value))
		}
	}
	if v, ok := spec["preemptionPolicy"].(string); ok && v != "" && v != policy {
		return forbidden(res, name, fmt.Sprintf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", v, policy))
	}
	spec["priority"] = pc.value
	spec["preemptionPolicy"] = policy
	return nil
}

// keepPriority is the same plugin on a write of an existing pod: a body
// without spec.priority or spec.preemptionPolicy keeps the pod's (a client
// replacing the pod with its original manifest must not look as if it
// changed them; validation refuses real changes).
func keepPriority(next, cur object) {
	spec, _ := next["spec"].(map[string]any)
	curSpec, _ := cur["spec"].(map[string]any)
	if spec == nil || curSpec == nil {
		return
	}
	for _, f := range []string{"priority", "preemptionPolicy"} {
		if spec[f] == nil && curSpec[f] != nil {
			spec[f] = curSpec[f]
		}
	}
}

// isPods reports whether res is core/v1 pods, the kind admitPriority and
// keepPriority apply to.
func isPods(res *registry.Resource) bool { return res.Group == "" && res.Kind == "Pod" }

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), float64(int64(n)) == n
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// pcInfo is what admission needs of a PriorityClass.
type pcInfo struct {
	name          string
	value         int32
	globalDefault bool
	policy        string
}

// pcCache keeps the PriorityClasses, fed by the watch hub as nsCache is,
// so that admitting a pod costs no database read. A class it does not
// know, or any question while it has not synced, goes to the store.
type pcCache struct {
	loaded  atomic.Bool // set once the first list is in
	mu      sync.RWMutex
	synced  bool
	classes map[string]pcInfo
}

func (c *pcCache) get(ctx context.Context, st store.Store, name string) (pcInfo, bool, error) {
	c.mu.RLock()
	pc, ok := c.classes[name]
	c.mu.RUnlock()
	if ok {
		return pc, true, nil
	}
	rec, err := st.Get(ctx, store.Key{Resource: pcStore, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return pcInfo{}, false, nil
	}
	if err != nil {
		return pcInfo{}, false, err
	}
	pc, ok = decodePC(rec.Value)
	return pc, ok, nil
}

func (c *pcCache) defaultClass(ctx context.Context, st store.Store) (pcInfo, bool, error) {
	c.mu.RLock()
	synced, classes := c.synced, c.classes
	if synced {
		pc, ok := lowestDefault(classes)
		c.mu.RUnlock()
		return pc, ok, nil
	}
	c.mu.RUnlock()
	recs, _, err := st.List(ctx, store.Prefix{Resource: pcStore}, store.ListOptions{})
	if err != nil {
		return pcInfo{}, false, err
	}
	m := make(map[string]pcInfo, len(recs))
	for _, r := range recs {
		if pc, ok := decodePC(r.Value); ok {
			m[pc.name] = pc
		}
	}
	pc, ok := lowestDefault(m)
	return pc, ok, nil
}

func lowestDefault(classes map[string]pcInfo) (pcInfo, bool) {
	var best pcInfo
	found := false
	for _, pc := range classes {
		if pc.globalDefault && (!found || pc.value < best.value) {
			best, found = pc, true
		}
	}
	return best, found
}

func decodePC(value []byte) (pcInfo, bool) {
	var pc api.PriorityClass
	if api.Unmarshal(value, &pc) != nil {
		return pcInfo{}, false
	}
	info := pcInfo{name: pc.Name, value: pc.Value, globalDefault: pc.GlobalDefault}
	if pc.PreemptionPolicy != nil {
		info.policy = string(*pc.PreemptionPolicy)
	}
	return info, true
}

// run keeps the cache in step with the store until ctx ends.
func (c *pcCache) run(ctx context.Context, st store.Store, h *hub.Hub) {
	for ctx.Err() == nil {
		if err := c.sync(ctx, st, h); err != nil && ctx.Err() == nil {
			c.mu.Lock()
			c.synced = false
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (c *pcCache) sync(ctx context.Context, st store.Store, h *hub.Hub) error {
	recs, rev, err := st.List(ctx, store.Prefix{Resource: pcStore}, store.ListOptions{})
	if err != nil {
		return err
	}
	w, err := h.Watch(ctx, rev, func(ch *store.Change) bool { return ch.Resource == pcStore })
	if err != nil {
		return err
	}
	defer w.Stop()
	m := make(map[string]pcInfo, len(recs))
	for _, r := range recs {
		if pc, ok := decodePC(r.Value); ok {
			m[pc.name] = pc
		}
	}
	c.mu.Lock()
	c.classes, c.synced = m, true
	c.mu.Unlock()
	c.loaded.Store(true)
	for ch := range w.Events() {
		// Copy on write: defaultClass reads the map without the lock held
		// throughout.
		c.mu.Lock()
		next := make(map[string]pcInfo, len(c.classes)+1)
		for k, v := range c.classes {
			next[k] = v
		}
		if ch.Type == store.Deleted {
			delete(next, ch.Name)
		} else if pc, ok := decodePC(ch.Value); ok {
			next[pc.name] = pc
		}
		c.classes = next
		c.mu.Unlock()
	}
	return w.Err()
}

// pcStore is where PriorityClasses are stored.
const pcStore = "priorityclasses.scheduling.k8s.io"
