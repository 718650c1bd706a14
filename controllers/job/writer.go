package job

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server;
// clientWriter in production, a recording fake in tests.
type writer interface {
	CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error)
	DeletePod(ctx context.Context, namespace, name, uid string) error
	PatchPod(ctx context.Context, namespace, name string, pt client.PatchType, patch []byte) error
	GetJob(ctx context.Context, namespace, name string) (*api.Job, error)
	UpdateJobStatus(ctx context.Context, job *api.Job) (*api.Job, error)
	DeleteJob(ctx context.Context, namespace, name, uid string) error
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) CreatePod(ctx context.Context, pod *api.Pod) (*api.Pod, error) {
	return w.c.Pods(pod.Namespace).Create(ctx, pod)
}

// DeletePod deletes the pod only if it still has uid.
func (w clientWriter) DeletePod(ctx context.Context, namespace, name, uid string) error {
	return w.c.Pods(namespace).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

func (w clientWriter) PatchPod(ctx context.Context, namespace, name string, pt client.PatchType, patch []byte) error {
	err := w.c.Pods(namespace).PatchDiscard(ctx, name, pt, patch)
	return err
}

func (w clientWriter) GetJob(ctx context.Context, namespace, name string) (*api.Job, error) {
	return w.c.Jobs(namespace).Get(ctx, name)
}

func (w clientWriter) UpdateJobStatus(ctx context.Context, job *api.Job) (*api.Job, error) {
	return w.c.Jobs(job.Namespace).UpdateStatus(ctx, job)
}

// DeleteJob deletes the Job, if it still has uid, with foreground
// propagation as the TTL-after-finished controller does.
func (w clientWriter) DeleteJob(ctx context.Context, namespace, name, uid string) error {
	fg := api.PropagationForeground
	return w.c.Jobs(namespace).Delete(ctx, name, api.DeleteOptions{
		Preconditions: &api.Preconditions{UID: &uid}, PropagationPolicy: &fg})
}
