package clientgo

import (
	"slices"
	"testing"

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
