// Package testfill builds sample values for tests that must cover every
// field of a type: a field added to a kind is then covered without
// anyone remembering to add it to the test.
package testfill

import (
	"encoding/json"
	"reflect"
)

// Fill sets every settable field of v to a sample value: "x", true, 1,
// one element in each slice and map, nested types to the depth they go,
// except that a struct type that nests in itself (JSONSchemaProps) is left
// zero the second time. Types whose fields are unexported (time.Time,
// Quantity) stay zero.
func Fill(v reflect.Value) { fill(v, map[reflect.Type]bool{}) }

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
