package disruption

import (
	"context"
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// writer is every call the controller makes to the API server;
// clientWriter in production, a recording fake in tests.
type writer interface {
	UpdateStatus(ctx context.Context, pdb *api.PodDisruptionBudget) error
	// Scale is spec.replicas of the scale subresource of the named
	// controller (kind of apiVersion).
	Scale(ctx context.Context, apiVersion, kind, namespace, name string) (int32, error)
}

type clientWriter struct{ c *client.Client }

func (w clientWriter) UpdateStatus(ctx context.Context, pdb *api.PodDisruptionBudget) error {
	_, err := w.c.PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, pdb)
	return err
}

func (w clientWriter) Scale(ctx context.Context, apiVersion, kind, namespace, name string) (int32, error) {
	if apiVersion != "apps/v1" || kind != "StatefulSet" {
		return 0, fmt.Errorf("no scale client for %s %s", apiVersion, kind)
	}
	sc, err := w.c.StatefulSets(namespace).GetScale(ctx, name)
	if err != nil {
		return 0, err
	}
	return sc.Spec.Replicas, nil
}
