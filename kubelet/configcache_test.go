package kubelet

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// reader is one node's read of an object: it counts its calls and returns
// what it is told to.
type reader struct {
	calls atomic.Int32
	obj   any
	err   error
	wait  chan struct{} // if set, a read blocks until it is closed
}

func (r *reader) fetch(ctx context.Context) (any, error) {
	r.calls.Add(1)
	if r.wait != nil {
		select {
		case <-r.wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return r.obj, r.err
}

func statusErr(code int32, reason api.StatusReason) error {
	return &client.StatusError{Status: api.Status{Code: code, Reason: reason, Message: string(reason)}}
}

// TestObjectCacheSharedByNodes: one node's read serves the others for ttl;
// a read that failed is not shared, a missing object is.
func TestObjectCacheSharedByNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1000, 0)
	oc := newObjectCache(10*time.Second, func() time.Time { return now })
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "kube-root-ca.crt"}}
	get := func(r *reader) (any, error) { return oc.get(ctx, "configmap", "default", "kube-root-ca.crt", r.fetch) }

	a, b := &reader{obj: cm}, &reader{obj: cm}
	if o, err := get(a); err != nil || o != cm {
		t.Fatalf("first read: %v, %v", o, err)
	}
	now = now.Add(9 * time.Second)
	if o, err := get(b); err != nil || o != cm || b.calls.Load() != 0 {
		t.Fatalf("within ttl: %v, %v, node b read %d times", o, err, b.calls.Load())
	}
	now = now.Add(2 * time.Second)
	if _, err := get(b); err != nil || b.calls.Load() != 1 {
		t.Fatalf("after ttl: %v, node b read %d times", err, b.calls.Load())
	}

	// A refused read is the refused node's alone.
	now = now.Add(time.Minute)
	refused := &reader{err: statusErr(403, api.StatusReasonForbidden)}
	if _, err := get(refused); !client.IsForbidden(err) {
		t.Fatalf("refused read: %v, want Forbidden", err)
	}
	c := &reader{obj: cm}
	if o, err := get(c); err != nil || o != cm || c.calls.Load() != 1 {
		t.Fatalf("after a refused read: %v, %v, node c read %d times", o, err, c.calls.Load())
	}

	// A missing object is remembered for ttl, for every node.
	gone := &reader{err: statusErr(404, api.StatusReasonNotFound)}
	if _, err := oc.get(ctx, "secret", "ns", "gone", gone.fetch); !errors.Is(err, errMissing) {
		t.Fatalf("missing: %v, want errMissing", err)
	}
	d := &reader{obj: &api.Secret{}}
	if _, err := oc.get(ctx, "secret", "ns", "gone", d.fetch); !errors.Is(err, errMissing) || d.calls.Load() != 0 {
		t.Fatalf("missing, other node: %v, node d read %d times", err, d.calls.Load())
	}
}

// TestObjectCacheOneReadAtOnce: nodes that want the same object at once
// wait for one read, and a node that gives up waiting is not held.
func TestObjectCacheOneReadAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	oc := newObjectCache(10*time.Second, time.Now)
	slow := &reader{obj: &api.ConfigMap{}, wait: make(chan struct{})}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := oc.get(ctx, "configmap", "ns", "cm", slow.fetch)
			errs <- err
		})
	}
	testpoll.Eventually(t, 5*time.Second, "the first read", func() bool { return slow.calls.Load() > 0 })
	// The read holds its turn: one more node, in a hurry, gives up.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	other := &reader{obj: &api.ConfigMap{}}
	if _, err := oc.get(short, "configmap", "ns", "cm", other.fetch); !errors.Is(err, context.DeadlineExceeded) || other.calls.Load() != 0 {
		t.Fatalf("waiting for a held read: %v, read %d times; want the deadline, no read", err, other.calls.Load())
	}
	close(slow.wait)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := slow.calls.Load(); n != 1 {
		t.Fatalf("20 nodes at once made %d reads, want 1", n)
	}
}
