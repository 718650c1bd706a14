package statefulset

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
	GetStatefulSet(ctx context.Context, namespace, name string) (*api.StatefulSet, error)
	UpdateStatefulSetStatus(ctx context.Context, set *api.StatefulSet) (*api.StatefulSet, error)
	CreateClaim(ctx context.Context, pvc *api.PersistentVolumeClaim) (*api.PersistentVolumeClaim, error)
	GetClaim(ctx context.Context, namespace, name string) (*api.PersistentVolumeClaim, error)
	UpdateClaim(ctx context.Context, pvc *api.PersistentVolumeClaim) (*api.PersistentVolumeClaim, error)
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

func (w clientWriter) GetStatefulSet(ctx context.Context, namespace, name string) (*api.StatefulSet, error) {
	return w.c.StatefulSets(namespace).Get(ctx, name)
}

func (w clientWriter) UpdateStatefulSetStatus(ctx context.Context, set *api.StatefulSet) (*api.StatefulSet, error) {
	return w.c.StatefulSets(set.Namespace).UpdateStatus(ctx, set)
}

func (w clientWriter) claims(ns string) *client.ResourceClient[api.PersistentVolumeClaim, *api.PersistentVolumeClaim] {
	return client.Resource[api.PersistentVolumeClaim](w.c, client.PersistentVolumeClaims, ns)
}

func (w clientWriter) CreateClaim(ctx context.Context, pvc *api.PersistentVolumeClaim) (*api.PersistentVolumeClaim, error) {
	return w.claims(pvc.Namespace).Create(ctx, pvc)
}

func (w clientWriter) GetClaim(ctx context.Context, namespace, name string) (*api.PersistentVolumeClaim, error) {
	return w.claims(namespace).Get(ctx, name)
}

func (w clientWriter) UpdateClaim(ctx context.Context, pvc *api.PersistentVolumeClaim) (*api.PersistentVolumeClaim, error) {
	return w.claims(pvc.Namespace).Update(ctx, pvc)
}
