package deployment

import (
	"context"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server;
// clientWriter in production, a recording fake in tests.
type writer interface {
	CreateReplicaSet(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error)
	UpdateReplicaSet(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error)
	DeleteReplicaSet(ctx context.Context, namespace, name, uid string) error
	PatchReplicaSet(ctx context.Context, namespace, name string, patch []byte) error
	GetDeployment(ctx context.Context, namespace, name string) (*api.Deployment, error)
	PatchDeployment(ctx context.Context, namespace, name string, patch []byte) (*api.Deployment, error)
	UpdateDeploymentStatus(ctx context.Context, d *api.Deployment) (*api.Deployment, error)
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) CreateReplicaSet(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error) {
	return w.c.ReplicaSets(rs.Namespace).Create(ctx, rs)
}

func (w clientWriter) UpdateReplicaSet(ctx context.Context, rs *api.ReplicaSet) (*api.ReplicaSet, error) {
	return w.c.ReplicaSets(rs.Namespace).Update(ctx, rs)
}

// DeleteReplicaSet deletes the ReplicaSet only if it still has uid; its
// pods go with it (background propagation, the default).
func (w clientWriter) DeleteReplicaSet(ctx context.Context, namespace, name, uid string) error {
	return w.c.ReplicaSets(namespace).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

func (w clientWriter) PatchReplicaSet(ctx context.Context, namespace, name string, patch []byte) error {
	err := w.c.ReplicaSets(namespace).PatchDiscard(ctx, name, client.StrategicMergePatchType, patch)
	return err
}

func (w clientWriter) GetDeployment(ctx context.Context, namespace, name string) (*api.Deployment, error) {
	return w.c.Deployments(namespace).Get(ctx, name)
}

// PatchDeployment applies a JSON merge patch.
func (w clientWriter) PatchDeployment(ctx context.Context, namespace, name string, patch []byte) (*api.Deployment, error) {
	return w.c.Deployments(namespace).Patch(ctx, name, client.MergePatchType, patch)
}

func (w clientWriter) UpdateDeploymentStatus(ctx context.Context, d *api.Deployment) (*api.Deployment, error) {
	return w.c.Deployments(d.Namespace).UpdateStatus(ctx, d)
}
