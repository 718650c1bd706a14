package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/election"
	"github.com/minik8s/minik8s/election/redislock"
)

// clusterRedisLock is a role's Redis lock, scoped to one cluster: its key,
// minik8s/leader/<cluster>/<role>, holds the UID of the cluster's
// kube-system namespace (the cluster ID Kubernetes tools use), so that
// clusters sharing one Redis elect their leaders apart, as their API
// servers already share changes only within a database. The UID is read
// through the API server on the first TryAcquire; until then TryAcquire
// fails, and the election retries it like any other unanswered request.
type clusterRedisLock struct {
	rdb        *redis.Client
	namespaces *client.NamespaceClient
	role       string
	ttl        time.Duration

	mu   sync.Mutex
	lock *redislock.Lock // nil until the cluster is known
}

func newClusterRedisLock(rdb *redis.Client, c *client.Client, role string, ttl time.Duration) *clusterRedisLock {
	return &clusterRedisLock{rdb: rdb, namespaces: c.Namespaces(), role: role, ttl: ttl}
}

// redisLockKey is the Redis key of role's lock in the cluster whose
// kube-system namespace has UID cluster.
func redisLockKey(cluster, role string) string {
	return "minik8s/leader/" + cluster + "/" + role
}

func (l *clusterRedisLock) resolve(ctx context.Context) (*redislock.Lock, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lock != nil {
		return l.lock, nil
	}
	ns, err := l.namespaces.Get(ctx, "kube-system")
	if err != nil {
		return nil, fmt.Errorf("read the cluster's ID (namespace kube-system) for the redis lock: %w", err)
	}
	if ns.UID == "" {
		return nil, fmt.Errorf("namespace kube-system has no uid to name the redis lock")
	}
	l.lock = redislock.New(l.rdb, redisLockKey(ns.UID, l.role), l.ttl)
	return l.lock, nil
}

func (l *clusterRedisLock) TryAcquire(ctx context.Context, id string) (election.Lease, error) {
	lock, err := l.resolve(ctx)
	if err != nil {
		return election.Lease{}, err
	}
	return lock.TryAcquire(ctx, id)
}

// Renew and Release only follow a TryAcquire that succeeded, so the lock
// is known by then.
func (l *clusterRedisLock) Renew(ctx context.Context, lease election.Lease) (election.Lease, error) {
	lock, err := l.resolve(ctx)
	if err != nil {
		return election.Lease{}, err
	}
	return lock.Renew(ctx, lease)
}

func (l *clusterRedisLock) Release(ctx context.Context, lease election.Lease) error {
	lock, err := l.resolve(ctx)
	if err != nil {
		return err
	}
	return lock.Release(ctx, lease)
}

func (l *clusterRedisLock) Describe() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lock != nil {
		return l.lock.Describe()
	}
	return "redis " + redisLockKey("<cluster>", l.role)
}
