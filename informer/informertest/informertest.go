// Package informertest has what the tests of informers' users share.
package informertest

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// Static is an informer.ListWatch that lists Items at revision 1 and
// then watches nothing until the watch's context ends: the informer of a
// test that feeds its handlers itself.
type Static[T any] struct{ Items []T }

// List returns copies of Items at revision 1, as a server's list gives
// objects of their own: a test may change its Items afterwards without
// changing the informer's cache.
func (s Static[T]) List(context.Context, client.ListOptions) ([]T, int64, error) {
	out := make([]T, len(s.Items))
	for i, obj := range s.Items {
		out[i] = api.DeepCopy(obj)
	}
	return out, 1, nil
}

// Watch returns a channel that stays silent and closes when ctx ends.
func (s Static[T]) Watch(ctx context.Context, _ client.ListOptions, _ int64) (<-chan client.WatchEvent[T], error) {
	ch := make(chan client.WatchEvent[T])
	go func() { <-ctx.Done(); close(ch) }()
	return ch, nil
}
