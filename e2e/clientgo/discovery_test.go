package clientgo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// TestDiscovery checks that client-go's discovery, which kubectl and
// controllers use to map kinds to resources, finds the resources the
// other tests use, with their verbs and subresources.
func TestDiscovery(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(cluster.config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil || v.GitVersion == "" {
		t.Fatalf("server version: %+v, %v", v, err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("server groups and resources: %v", err)
	}
	found := map[string][]string{} // "group/version resource" → verbs
	for _, l := range lists {
		for _, r := range l.APIResources {
			found[l.GroupVersion+" "+r.Name] = r.Verbs
		}
	}
	for _, tc := range []struct {
		resource string
		verbs    []string
	}{
		{"v1 pods", []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
		{"v1 pods/status", []string{"get", "patch", "update"}},
		{"apps/v1 deployments", []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
		{"apps/v1 deployments/scale", []string{"get", "patch", "update"}},
		{"coordination.k8s.io/v1 leases", []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			verbs, ok := found[tc.resource]
			if !ok {
				t.Fatalf("%s not discovered", tc.resource)
			}
			for _, v := range tc.verbs {
				if !slices.Contains(verbs, v) {
					t.Errorf("verbs %v lack %s", verbs, v)
				}
			}
		})
	}
}

// TestComponentStatuses reads ComponentStatus (deprecated, still in the
// typed clientset and in tutorials' kubectl get cs) through client-go:
// with the scheduler and controller manager of minik8s all leading, all
// three components are healthy.
func TestComponentStatuses(t *testing.T) {
	eventually(t, 30*time.Second, "every component healthy", func(ctx context.Context) error {
		list, err := cluster.client.CoreV1().ComponentStatuses().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		var healthy []string
		for _, cs := range list.Items {
			for _, c := range cs.Conditions {
				if c.Type == corev1.ComponentHealthy && c.Status == corev1.ConditionTrue {
					healthy = append(healthy, cs.Name)
				}
			}
		}
		if want := []string{"controller-manager", "scheduler", "store"}; !slices.Equal(healthy, want) {
			return fmt.Errorf("healthy %v of %+v, want %v", healthy, list.Items, want)
		}
		return nil
	})
	cs, err := cluster.client.CoreV1().ComponentStatuses().Get(t.Context(), "scheduler", metav1.GetOptions{})
	if err != nil || len(cs.Conditions) != 1 || !strings.HasPrefix(cs.Conditions[0].Message, "ok (leader ") {
		t.Fatalf("get scheduler: %+v, %v", cs, err)
	}
}
