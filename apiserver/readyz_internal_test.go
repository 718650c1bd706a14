package apiserver

import (
	"context"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/apiserver/admission"
)

// TestReadyzWaitsForCaches: informer-sync fails, naming each cache, until
// every cache fed by the hub has loaded; an AlwaysAllow authorizer has
// nothing to load.
func TestReadyzWaitsForCaches(t *testing.T) {
	t.Parallel()
	z, err := newAuthorizer(AuthorizationNodeRBAC)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{authz: z, crds: &crds{}}
	s.namespaces = admission.NewCache("namespaces", nil)
	s.limitRanges = admission.NewCache("limitranges", nil)
	s.quotas = admission.NewCache("resourcequotas", nil)
	s.serviceAccounts = admission.NewCache("serviceaccounts", nil)
	check := func() error {
		t.Helper()
		for _, c := range s.readyChecks() {
			if c.name == "informer-sync" {
				if !c.critical {
					t.Fatal("informer-sync is not critical")
				}
				return c.check(context.Background())
			}
		}
		t.Fatal("no informer-sync check")
		return nil
	}
	err = check()
	if err == nil {
		t.Fatal("informer-sync passed before any cache loaded")
	}
	for _, want := range []string{"namespaces", "limitranges", "resourcequotas", "serviceaccounts", "rbac", pcStore, crdStoreName} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("informer-sync's error %q does not name %s", err, want)
		}
	}

	close(z.synced)
	s.pc.loaded.Store(true)
	s.crds.loaded.Store(true)
	if err := check(); err == nil || strings.Contains(err.Error(), "rbac") || strings.Contains(err.Error(), crdStoreName) {
		t.Fatalf("with RBAC, PriorityClasses and CRDs loaded, informer-sync = %v; want only the admission caches", err)
	}
	allow, _ := newAuthorizer(AuthorizationAlwaysAllow)
	if !allow.hasSynced() {
		t.Error("an AlwaysAllow authorizer waits for a load that never comes")
	}
}
