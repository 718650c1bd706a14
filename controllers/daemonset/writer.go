package daemonset

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server besides
// the revisions'; clientWriter in production.
type writer interface {
	CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error)
	DeletePod(ctx context.Context, namespace, name, uid string) error
	PatchPod(ctx context.Context, namespace, name string, patch []byte) error
	GetDaemonSet(ctx context.Context, namespace, name string) (*api.DaemonSet, error)
	UpdateDaemonSetStatus(ctx context.Context, ds *api.DaemonSet) (*api.DaemonSet, error)
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error) {
	return w.c.Pods(pod.Namespace).Create(ctx, pod)
}

// DeletePod deletes the pod only if it still has uid.
func (w clientWriter) DeletePod(ctx context.Context, namespace, name, uid string) error {
	return w.c.Pods(namespace).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

func (w clientWriter) PatchPod(ctx context.Context, namespace, name string, patch []byte) error {
	err := w.c.Pods(namespace).PatchDiscard(ctx, name, client.StrategicMergePatchType, patch)
	return err
}

func (w clientWriter) daemonSets(ns string) *client.ResourceClient[api.DaemonSet, *api.DaemonSet] {
	return client.Resource[api.DaemonSet](w.c, client.DaemonSets, ns)
}

func (w clientWriter) GetDaemonSet(ctx context.Context, namespace, name string) (*api.DaemonSet, error) {
	return w.daemonSets(namespace).Get(ctx, name)
}

func (w clientWriter) UpdateDaemonSetStatus(ctx context.Context, ds *api.DaemonSet) (*api.DaemonSet, error) {
	return w.daemonSets(ds.Namespace).UpdateStatus(ctx, ds)
}
