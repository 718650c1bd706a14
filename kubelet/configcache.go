package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// objectCache holds the ConfigMaps and Secrets the pods of a kubelet's
// nodes use, each kept for ttl, as the Kubernetes kubelet's TTL-based
// configMap and secret managers do. A missing object is remembered for ttl
// too; other errors are not.
//
// One cache serves every node of the process: a ConfigMap that all pods
// mount (kube-root-ca.crt) is read once per ttl, not once per node. Each
// read is made with the identity of the node that needs it (nodeObjects),
// and only a read that succeeded, or found nothing, is shared: the Node
// authorizer lets a node get an object its pods reference, so what the
// cache gives a node's pod is what that node may read. A node refused
// (its pod's binding not yet known to the authorizer) gets its own error
// and tries again.
type objectCache struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]*cachedObject
}

// cachedObject is one object's last read. Whoever holds the turn (a
// channel of one, so that waiting for it ends with the context) reads the
// object, or finds that the read of the one before is fresh enough.
type cachedObject struct {
	turn chan struct{}

	// Guarded by turn; at is zero until the first read.
	at  time.Time
	obj any // *api.ConfigMap or *api.Secret
	err error
}

func newObjectCache(ttl time.Duration, now func() time.Time) *objectCache {
	return &objectCache{ttl: ttl, now: now, m: map[string]*cachedObject{}}
}

// nodeObjects is the cache as one node uses it: reads go out with the
// node's client.
type nodeObjects struct {
	cache *objectCache
	c     *client.Client
}

var _ configGetter = nodeObjects{}

func (n nodeObjects) configMap(ctx context.Context, ns, name string) (*api.ConfigMap, error) {
	o, err := n.cache.get(ctx, "configmap", ns, name, func(ctx context.Context) (any, error) {
		return client.Resource[api.ConfigMap](n.c, client.ConfigMaps, ns).Get(ctx, name)
	})
	if err != nil {
		return nil, err
	}
	return o.(*api.ConfigMap), nil
}

func (n nodeObjects) secret(ctx context.Context, ns, name string) (*api.Secret, error) {
	o, err := n.cache.get(ctx, "secret", ns, name, func(ctx context.Context) (any, error) {
		return client.Resource[api.Secret](n.c, client.Secrets, ns).Get(ctx, name)
	})
	if err != nil {
		return nil, err
	}
	return o.(*api.Secret), nil
}

// get returns the cached object kind ns/name, reading it with fetch when
// the cache has none younger than ttl. Callers that want the same object
// at once wait for one read rather than each making their own.
func (oc *objectCache) get(ctx context.Context, kind, ns, name string, fetch func(context.Context) (any, error)) (any, error) {
	key := kind + "/" + ns + "/" + name
	oc.mu.Lock()
	e := oc.m[key]
	if e == nil {
		e = &cachedObject{turn: make(chan struct{}, 1)}
		oc.m[key] = e
		if len(oc.m) > 4096 {
			oc.evictLocked()
		}
	}
	oc.mu.Unlock()

	select {
	case e.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.turn }()
	now := oc.now()
	if !e.at.IsZero() && now.Sub(e.at) < oc.ttl {
		return e.obj, e.err
	}
	obj, err := fetch(ctx)
	switch {
	case client.IsNotFound(err):
		err = missingf("%s %q not found", kind, name)
	case err != nil:
		return nil, fmt.Errorf("get %s %s/%s: %w", kind, ns, name, err)
	}
	e.at, e.obj, e.err = now, obj, err
	return obj, err
}

// evictLocked drops the entries whose read has expired and that nobody is
// reading now; oc.mu is held.
func (oc *objectCache) evictLocked() {
	now := oc.now()
	for k, e := range oc.m {
		select {
		case e.turn <- struct{}{}:
			if e.at.IsZero() || now.Sub(e.at) >= oc.ttl {
				delete(oc.m, k)
			}
			<-e.turn
		default:
		}
	}
}
