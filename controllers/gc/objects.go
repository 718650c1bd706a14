package gc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// The kinds the collector watches.
var (
	podKind        = groupKind{Kind: "Pod"}
	replicaSetKind = groupKind{Group: "apps", Kind: "ReplicaSet"}
	deploymentKind = groupKind{Group: "apps", Kind: "Deployment"}
	jobKind        = groupKind{Group: "batch", Kind: "Job"}
	cronJobKind    = groupKind{Group: "batch", Kind: "CronJob"}

	daemonSetKind   = groupKind{Group: "apps", Kind: "DaemonSet"}
	statefulSetKind = groupKind{Group: "apps", Kind: "StatefulSet"}
	revisionKind    = groupKind{Group: "apps", Kind: "ControllerRevision"}
	claimKind       = groupKind{Kind: "PersistentVolumeClaim"}
)

// objects reads and writes the metadata of one kind, whatever its Go type.
type objects interface {
	get(ctx context.Context, ns, name string) (*api.ObjectMeta, error)
	list(ctx context.Context, ns string) ([]*api.ObjectMeta, error)
	patch(ctx context.Context, ns, name string, data []byte) error
	delete(ctx context.Context, ns, name string, opts api.DeleteOptions) error
}

// typed adapts the typed client of one resource to objects.
type typed[T any, PT interface {
	*T
	api.Object
}] struct {
	c   *client.Client
	gvr client.GVR
}

func (t typed[T, PT]) get(ctx context.Context, ns, name string) (*api.ObjectMeta, error) {
	obj, err := client.Resource[T, PT](t.c, t.gvr, ns).Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return obj.GetObjectMeta(), nil
}

func (t typed[T, PT]) list(ctx context.Context, ns string) ([]*api.ObjectMeta, error) {
	objs, _, err := client.Resource[T, PT](t.c, t.gvr, ns).List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*api.ObjectMeta, len(objs))
	for i, o := range objs {
		out[i] = o.GetObjectMeta()
	}
	return out, nil
}

func (t typed[T, PT]) patch(ctx context.Context, ns, name string, data []byte) error {
	_, err := client.Resource[T, PT](t.c, t.gvr, ns).Patch(ctx, name, client.MergePatchType, data)
	return err
}

func (t typed[T, PT]) delete(ctx context.Context, ns, name string, opts api.DeleteOptions) error {
	return client.Resource[T, PT](t.c, t.gvr, ns).Delete(ctx, name, opts)
}

func clientsFor(c *client.Client) map[groupKind]objects {
	return map[groupKind]objects{
		podKind:        typed[api.Pod, *api.Pod]{c, client.Pods},
		replicaSetKind: typed[api.ReplicaSet, *api.ReplicaSet]{c, client.ReplicaSets},
		deploymentKind: typed[api.Deployment, *api.Deployment]{c, client.Deployments},
		jobKind:        typed[api.Job, *api.Job]{c, client.Jobs},
		cronJobKind:    typed[api.CronJob, *api.CronJob]{c, client.CronJobs},

		daemonSetKind:   typed[api.DaemonSet, *api.DaemonSet]{c, client.DaemonSets},
		statefulSetKind: typed[api.StatefulSet, *api.StatefulSet]{c, client.StatefulSets},
		revisionKind:    typed[api.ControllerRevision, *api.ControllerRevision]{c, client.ControllerRevisions},
		claimKind:       typed[api.PersistentVolumeClaim, *api.PersistentVolumeClaim]{c, client.PersistentVolumeClaims},
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
