package replicaset

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server; clientWriter
// in production, a recording fake in tests.
type writer interface {
	CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error)
	DeletePod(ctx context.Context, namespace, name, uid string) error
	PatchPod(ctx context.Context, namespace, name string, patch []byte) error
	GetReplicaSet(ctx context.Context, namespace, name string) (*api.ReplicaSet, error)
	UpdateReplicaSetStatus(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error)
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error) {
	return w.c.Pods(pod.Namespace).Create(ctx, pod)
}

// DeletePod deletes the pod only if it still has uid, so that a pod
// recreated under the same name is never deleted by mistake.
func (w clientWriter) DeletePod(ctx context.Context, namespace, name, uid string) error {
	return w.c.Pods(namespace).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

func (w clientWriter) PatchPod(ctx context.Context, namespace, name string, patch []byte) error {
	err := w.c.Pods(namespace).PatchDiscard(ctx, name, client.StrategicMergePatchType, patch)
	return err
}

func (w clientWriter) GetReplicaSet(ctx context.Context, namespace, name string) (*api.ReplicaSet, error) {
	return w.c.ReplicaSets(namespace).Get(ctx, name)
}

func (w clientWriter) UpdateReplicaSetStatus(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error) {
	return w.c.ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs)
}
