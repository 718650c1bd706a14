// Package informertest has what the tests of informers' users share.
package informertest

import (
	"context"

	"github.com/minik8s/minik8s/client"
)

// Static is an informer.ListWatch that lists Items at revision 1 and
// then watches nothing until the watch's context ends: the informer of a
// test that feeds its handlers itself.
type Static[T any] struct{ Items []T }

// List returns Items at revision 1.
func (s Static[T]) List(context.Context, client.ListOptions) ([]T, int64, error) {
	return s.Items, 1, nil
}

// Watch returns a channel that stays silent and closes when ctx ends.
func (s Static[T]) Watch(ctx context.Context, _ client.ListOptions, _ int64) (<-chan client.WatchEvent[T], error) {
	ch := make(chan client.WatchEvent[T])
	go func() { <-ctx.Done(); close(ch) }()
	return ch, nil
}
