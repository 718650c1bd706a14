package controllerutil

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/workqueue"
)

// SyncFunc reconciles the object named by key. A positive after asks for
// the key to be looked at again after that delay even if nothing changes
// (such as when a pod becomes available after minReadySeconds); an error
// requeues it with backoff.
type SyncFunc func(ctx context.Context, key informer.Key) (after time.Duration, err error)

// RunWorkers runs n workers that drain q with syncFn until ctx ends, then
// shuts q down and waits for the workers to finish their current keys.
func RunWorkers(ctx context.Context, q *workqueue.Queue[informer.Key], n int, syncFn SyncFunc, log zerolog.Logger) {
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			for ProcessNext(ctx, q, syncFn, log) {
			}
		})
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
}

// ProcessNext takes one key from q and syncs it: success forgets its
// backoff (and requeues it after the delay sync asked for), a 429 requeues
// it after the server's Retry-After, any other error requeues it with
// backoff. It returns false once q is shut down.
func ProcessNext(ctx context.Context, q *workqueue.Queue[informer.Key], sync SyncFunc, log zerolog.Logger) bool {
	key, shutdown := q.Get()
	if shutdown {
		return false
	}
	defer q.Done(key)
	start := time.Now()
	after, err := sync(ctx, key)
	switch {
	case err == nil:
		q.Forget(key)
		if after > 0 {
			q.AddAfter(key, after)
		}
		log.Trace().Str("key", key.String()).Dur("took", time.Since(start)).Msg("synced")
	case ctx.Err() != nil:
		// Shutting down: the next leader starts from a fresh cache.
	case client.IsTooManyRequests(err):
		d, ok := client.RetryAfter(err)
		if !ok {
			d = time.Second
		}
		q.AddAfter(key, d)
		log.Debug().Str("key", key.String()).Dur("retryAfter", d).Msg("throttled; retrying")
	default:
		log.Debug().Err(err).Str("key", key.String()).Int("requeues", q.NumRequeues(key)).Msg("sync failed; retrying")
		q.AddRateLimited(key)
	}
	return true
}
