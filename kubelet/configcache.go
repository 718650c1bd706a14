package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// objectCache holds the ConfigMaps and Secrets a node's pods use, each read
// with the node's own identity (the Node authorizer lets a node get only
// the objects its pods reference) and kept for ttl, as the Kubernetes
// kubelet's TTL-based configMap and secret managers do. A missing object
// is remembered for ttl too; other errors are not.
type objectCache struct {
	c   *client.Client
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]*cachedObject
}

type cachedObject struct {
	at  time.Time
	obj any // *api.ConfigMap or *api.Secret
	err error
}

func newObjectCache(c *client.Client, ttl time.Duration, now func() time.Time) *objectCache {
	return &objectCache{c: c, ttl: ttl, now: now, m: map[string]*cachedObject{}}
}

var _ configGetter = (*objectCache)(nil)

func (oc *objectCache) configMap(ctx context.Context, ns, name string) (*api.ConfigMap, error) {
	o, err := oc.get(ctx, "configmap", ns, name, func() (any, error) {
		return client.Resource[api.ConfigMap](oc.c, client.ConfigMaps, ns).Get(ctx, name)
	})
	if err != nil {
		return nil, err
	}
	return o.(*api.ConfigMap), nil
}

func (oc *objectCache) secret(ctx context.Context, ns, name string) (*api.Secret, error) {
	o, err := oc.get(ctx, "secret", ns, name, func() (any, error) {
		return client.Resource[api.Secret](oc.c, client.Secrets, ns).Get(ctx, name)
	})
	if err != nil {
		return nil, err
	}
	return o.(*api.Secret), nil
}

// get returns the cached object kind ns/name, reading it with fetch when
// the cache has none younger than ttl.
func (oc *objectCache) get(ctx context.Context, kind, ns, name string, fetch func() (any, error)) (any, error) {
	key := kind + "/" + ns + "/" + name
	now := oc.now()
	oc.mu.Lock()
	e := oc.m[key]
	oc.mu.Unlock()
	if e != nil && now.Sub(e.at) < oc.ttl {
		return e.obj, e.err
	}
	obj, err := fetch()
	switch {
	case client.IsNotFound(err):
		err = missingf("%s %q not found", kind, name)
	case err != nil:
		return nil, fmt.Errorf("get %s %s/%s: %w", kind, ns, name, err)
	}
	oc.mu.Lock()
	oc.m[key] = &cachedObject{at: now, obj: obj, err: err}
	if len(oc.m) > 4096 {
		for k, e := range oc.m {
			if now.Sub(e.at) >= oc.ttl {
				delete(oc.m, k)
			}
		}
	}
	oc.mu.Unlock()
	return obj, err
}
