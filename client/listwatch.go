package client

import "context"

// ListerWatcher is what ListWatch adapts: any resource client.
type ListerWatcher[PT any] interface {
	List(ctx context.Context, opt ListOptions) ([]PT, int64, error)
	Watch(ctx context.Context, opt ListOptions, fromRV int64) (<-chan WatchEvent[PT], error)
}

// ListWatcher lists and watches one resource with fixed selectors; it
// satisfies informer.ListWatch.
type ListWatcher[PT any] struct {
	src  ListerWatcher[PT]
	opts ListOptions
}

// ListWatch adapts a resource client to the informer. Every List and Watch
// uses opts' label and field selectors (and Limit as the page size, unless
// the caller sets one), so the informer caches only the matching objects:
//
//	informer.New(client.ListWatch(c.Pods(""), client.ListOptions{FieldSelector: "spec.nodeName=n1"}), resync)
func ListWatch[PT any](src ListerWatcher[PT], opts ListOptions) *ListWatcher[PT] {
	return &ListWatcher[PT]{src: src, opts: opts}
}

func (lw *ListWatcher[PT]) merge(opt ListOptions) ListOptions {
	opt.LabelSelector = lw.opts.LabelSelector
	opt.FieldSelector = lw.opts.FieldSelector
	if opt.Limit == 0 {
		opt.Limit = lw.opts.Limit
	}
	return opt
}

// List lists the matching objects; see ResourceClient.List.
func (lw *ListWatcher[PT]) List(ctx context.Context, opt ListOptions) ([]PT, int64, error) {
	return lw.src.List(ctx, lw.merge(opt))
}

// Watch watches the matching objects; see ResourceClient.Watch.
func (lw *ListWatcher[PT]) Watch(ctx context.Context, opt ListOptions, fromRV int64) (<-chan WatchEvent[PT], error) {
	return lw.src.Watch(ctx, lw.merge(opt), fromRV)
}
