package gc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
)

// ignored are the resources the collector does not watch, as Kubernetes'
// garbage collector ignores events: there are many, they change often and
// nobody owns them.
var ignored = map[groupKind]bool{
	{Kind: "Event"}:                         true,
	{Group: "events.k8s.io", Kind: "Event"}: true,
}

// objects reads and writes the metadata of objects of one resource,
// whatever its kind, through the API server.
type objects struct {
	c   *client.Client
	gvr client.GVR
}

func (o objects) res(ns string) *client.ResourceClient[api.PartialObjectMetadata, *api.PartialObjectMetadata] {
	return client.Resource[api.PartialObjectMetadata](o.c, o.gvr, ns)
}

func (o objects) get(ctx context.Context, ns, name string) (*api.ObjectMeta, error) {
	obj, err := o.res(ns).Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return &obj.ObjectMeta, nil
}

func (o objects) list(ctx context.Context, ns string) ([]*api.ObjectMeta, error) {
	objs, _, err := o.res(ns).List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*api.ObjectMeta, len(objs))
	for i, obj := range objs {
		out[i] = &obj.ObjectMeta
	}
	return out, nil
}

func (o objects) patch(ctx context.Context, ns, name string, data []byte) error {
	err := o.res(ns).PatchDiscard(ctx, name, client.MergePatchType, data)
	return err
}

func (o objects) delete(ctx context.Context, ns, name string, opts api.DeleteOptions) error {
	return o.res(ns).Delete(ctx, name, opts)
}

// Shared is an informer someone else runs that the collector reads
// instead of watching that resource itself; make one with Watch.
type Shared struct {
	gvr    client.GVR
	kind   string
	get    func(informer.Key) (*api.ObjectMeta, bool)
	synced func() bool
	attach func(c *Collector, gk groupKind)
}

// Watch shares inf, an informer of the objects of kind served at gvr, with
// the collector.
func Watch[T api.Object](gvr client.GVR, kind string, inf *informer.Informer[T]) Shared {
	return Shared{
		gvr: gvr, kind: kind, synced: inf.HasSynced,
		get: func(k informer.Key) (*api.ObjectMeta, bool) {
			o, ok := inf.Get(k)
			if !ok {
				return nil, false
			}
			return o.GetObjectMeta(), true
		},
		attach: func(c *Collector, gk groupKind) { inf.AddHandler(handler[T](c, gk)) },
	}
}

// metadataPatch is a JSON merge patch that sets the listed metadata fields
// only if the object is still at resourceVersion rv (409 Conflict
// otherwise). A nil list removes the field.
func metadataPatch(rv string, fields map[string]any) []byte {
	meta := map[string]any{"resourceVersion": rv}
	for k, v := range fields {
		meta[k] = v
	}
	b, err := json.Marshal(map[string]any{"metadata": meta})
	if err != nil {
		panic(fmt.Sprintf("encode metadata patch: %v", err)) // maps of strings and references always encode
	}
	return b
}
