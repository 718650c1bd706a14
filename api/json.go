package api

import (
	"io"
	"reflect"
	"sync"

	gojson "github.com/goccy/go-json"
	sigsjson "sigs.k8s.io/json"
)

// Unmarshal decodes JSON into v as Kubernetes decodes API objects: keys
// match field names case-sensitively, so a key that differs from a field
// only in case ("nodename") is an unknown field and is ignored. Go's
// encoding/json would take it for the field. The API server validates what
// this decodes, so a stored object cannot mean one thing to validation and
// another to a controller. Numbers decoded into an interface value are
// int64 when they are integers.
func Unmarshal(data []byte, v any) error {
	return sigsjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// NewDecoder is a stream decoder that decodes as Unmarshal does.
func NewDecoder(r io.Reader) sigsjson.Decoder {
	return sigsjson.NewDecoderCaseSensitivePreserveInts(r)
}

// UnmarshalTrusted decodes JSON that a minik8s API server wrote — an
// object it is about to store or has stored, a watch event — three times
// faster than Unmarshal (a pod with its managedFields: 16 µs against 47),
// with github.com/goccy/go-json. It matches keys case-insensitively as
// encoding/json does, which cannot differ from Unmarshal on such JSON: the
// server prunes every key that is not exactly a field of the kind before
// it stores an object, and the types of this package have no interface
// fields, where numbers would come out as float64.
// TestUnmarshalTrustedEveryKind holds it to Unmarshal's result. Anything a
// user sent goes through Unmarshal.
//
// Its slices keep a capacity of at least four: use it for values that are
// soon dropped, and UnmarshalTrustedToKeep for the ones that live on.
func UnmarshalTrusted(data []byte, v any) error { return gojson.Unmarshal(data, v) }

// UnmarshalTrustedToKeep is UnmarshalTrusted for a value that lives on,
// in an informer's cache: every slice in it is then cut to its length, so
// that a pod costs what Unmarshal's would (5.6 KB, not 8.1), still in
// half Unmarshal's time.
func UnmarshalTrustedToKeep(data []byte, v any) error {
	if err := gojson.Unmarshal(data, v); err != nil {
		return err
	}
	trimSlices(reflect.ValueOf(v))
	return nil
}

// NewTrustedDecoder is a stream decoder that decodes as UnmarshalTrusted
// does; reading a stream's values into json.RawMessage with it costs a
// fraction of a full decode.
func NewTrustedDecoder(r io.Reader) *gojson.Decoder { return gojson.NewDecoder(r) }

// trimSlices cuts every slice reachable from v (through pointers, structs,
// slices and maps) to its length.
func trimSlices(v reflect.Value) {
	if !holdsSlices(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			trimSlices(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				trimSlices(f)
			}
		}
	case reflect.Slice:
		if v.Cap() > v.Len() {
			c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(c, v)
			v.Set(c)
		}
		for i := range v.Len() {
			trimSlices(v.Index(i))
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			trimSlices(e)
			v.SetMapIndex(it.Key(), e)
		}
	}
}

// holdsSlices reports whether a value of t may reach a slice, which
// trimSlices would cut: most fields of most kinds do not, and are not
// walked.
func holdsSlices(t reflect.Type) bool {
	if h, ok := slicesIn.Load(t); ok {
		return h.(bool)
	}
	slicesIn.Store(t, true) // a type that nests in itself is walked
	h := false
	switch t.Kind() {
	case reflect.Slice:
		h = true
	case reflect.Pointer, reflect.Map:
		h = holdsSlices(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && holdsSlices(f.Type) {
				h = true
				break
			}
		}
	}
	slicesIn.Store(t, h)
	return h
}

var slicesIn sync.Map // reflect.Type → bool
