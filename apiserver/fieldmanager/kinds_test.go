package fieldmanager_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/fieldmanager"
	"github.com/minik8s/minik8s/apiserver/registry"
)

// TestEveryKind builds the Manager of every built-in kind and records the
// fields of the objects every cluster starts with: the schemas derived
// from the Go types must accept the objects the server stores.
func TestEveryKind(t *testing.T) {
	n := 0
	for _, r := range registry.All() {
		if r.Schema.Go == nil {
			continue
		}
		m := fieldmanager.ForGo(r.Schema.Go, r.GroupVersion(), r.HasSubresource("status"))
		for _, o := range r.Bootstrap {
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var c map[string]any
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			c["apiVersion"], c["kind"] = r.GroupVersion(), r.Kind
			if err := m.Update(nil, c, "test", "", time.Now()); err != nil {
				t.Errorf("%s: %v", r.Kind, err)
			}
			owned := len(c) > 3 // a field besides apiVersion, kind and metadata
			if _, ok := c["metadata"].(map[string]any)["managedFields"]; owned && !ok {
				t.Errorf("%s: no managedFields recorded", r.Kind)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no bootstrap objects")
	}
}
