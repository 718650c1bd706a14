package clientgo

import (
	"context"
	"fmt"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeploymentScale creates a Deployment with the typed client and scales
// it through the scale subresource and through spec.replicas; each time the
// controllers, scheduler and kubelets bring the pods and the status to the
// new count.
func TestDeploymentScale(t *testing.T) {
	ns := newNamespace(t)
	cs := cluster.client
	deployments := cs.AppsV1().Deployments(ns)
	ctx := t.Context()

	createDeployment(t, cs, ns, "web", 1)
	waitScaled(t, ns, "web", 1)

	scale, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Replicas != 1 || scale.Status.Selector != "app=web" {
		t.Fatalf("scale = spec %d, status %d, selector %q; want 1, 1, app=web", scale.Spec.Replicas, scale.Status.Replicas, scale.Status.Selector)
	}
	scale.Spec.Replicas = 3
	got, err := deployments.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update scale: %v", err)
	}
	if got.Spec.Replicas != 3 {
		t.Fatalf("updated scale has spec.replicas %d, want 3", got.Spec.Replicas)
	}
	// A scale carrying a stale resourceVersion is refused, as any update.
	stale := &autoscalingv1.Scale{ObjectMeta: scale.ObjectMeta, Spec: autoscalingv1.ScaleSpec{Replicas: 5}}
	if _, err := deployments.UpdateScale(ctx, "web", stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("update scale with a stale resourceVersion: %v, want a 409 Conflict", err)
	}
	waitScaled(t, ns, "web", 3)

	update(t, func() error {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Replicas = ptr(int32(2))
		_, err = deployments.Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	waitScaled(t, ns, "web", 2)
	if scale, err = deployments.GetScale(ctx, "web", metav1.GetOptions{}); err != nil || scale.Spec.Replicas != 2 || scale.Status.Replicas != 2 {
		t.Fatalf("scale after updating spec.replicas: %+v, %v; want spec and status 2", scale, err)
	}
}

// waitScaled waits until deployment name has n pods, all Running and owned
// through its ReplicaSet, and a status that reports them all.
func waitScaled(t *testing.T, ns, name string, n int32) {
	t.Helper()
	cs := cluster.client
	eventually(t, 30*time.Second, fmt.Sprintf("deployment %s at %d replicas", name, n), func(ctx context.Context) error {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		st := d.Status
		if st.ObservedGeneration < d.Generation || st.Replicas != n || st.UpdatedReplicas != n || st.ReadyReplicas != n || st.AvailableReplicas != n {
			return fmt.Errorf("generation %d, status %+v", d.Generation, st)
		}
		rsets, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return err
		}
		owned := map[string]bool{}
		for _, rs := range rsets.Items {
			if ref := metav1.GetControllerOf(&rs); ref != nil && ref.UID == d.UID {
				owned[rs.Name] = true
			}
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return err
		}
		if len(pods.Items) != int(n) {
			return fmt.Errorf("%d pods", len(pods.Items))
		}
		for _, p := range pods.Items {
			ref := metav1.GetControllerOf(&p)
			if ref == nil || ref.Kind != "ReplicaSet" || !owned[ref.Name] {
				return fmt.Errorf("pod %s is not owned by a ReplicaSet of the deployment (%v)", p.Name, ref)
			}
			if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" {
				return fmt.Errorf("pod %s: phase %s on node %q", p.Name, p.Status.Phase, p.Spec.NodeName)
			}
		}
		return nil
	})
}
