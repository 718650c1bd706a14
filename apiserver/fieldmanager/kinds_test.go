package fieldmanager_test

import (
	"encoding/json"
	"reflect"
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
			fill(v, map[reflect.Type]bool{})
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

// fill sets every settable field of v to a sample value, leaving a
// struct type zero where it would nest in itself (JSONSchemaProps).
func fill(v reflect.Value, open map[reflect.Type]bool) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		if open[v.Type().Elem()] {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), open)
		v.Set(p)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{}`))
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte("x"))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), open)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, open)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, open)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if open[v.Type()] {
			return
		}
		open[v.Type()] = true
		defer delete(open, v.Type())
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, open)
			}
		}
	}
}
