package fieldmanager_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/minik8s/minik8s/apiserver/fieldmanager"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/internal/testfill"
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

// TestEveryKindEveryField records an update of an object of every built-in
// kind with every field of its Go type set (one element in each list and
// map, nested types to a few levels): the schema derived from the type
// must know every field the type can carry, with list keys it can read.
// A field it does not know would make every write of such an object log
// a managedFields failure and record nothing.
func TestEveryKindEveryField(t *testing.T) {
	for _, r := range registry.All() {
		if r.Schema.Go == nil {
			continue
		}
		t.Run(r.Kind, func(t *testing.T) {
			v := reflect.New(r.Schema.Go).Elem()
			testfill.Fill(v)
			b, err := json.Marshal(v.Addr().Interface())
			if err != nil {
				t.Fatalf("encode the filled %s: %v", r.Kind, err)
			}
			var c map[string]any
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			c["apiVersion"], c["kind"] = r.GroupVersion(), r.Kind
			meta := c["metadata"].(map[string]any)
			delete(meta, "managedFields")
			m := fieldmanager.ForGo(r.Schema.Go, r.GroupVersion(), r.HasSubresource("status"))
			if err := m.Update(nil, c, "test", "", time.Now()); err != nil {
				t.Fatalf("%v\nobject: %s", err, b)
			}
			if _, ok := meta["managedFields"]; !ok {
				t.Fatal("no managedFields recorded")
			}
		})
	}
}
