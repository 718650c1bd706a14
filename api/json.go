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
// object it is about to store or has stored, a watch event —
// three times faster than Unmarshal (a Deployment's pod with its
// managedFields: 23 µs against 65, BenchmarkUnmarshalPod), with
// github.com/goccy/go-json. It matches keys case-insensitively as
// encoding/json does, which cannot differ from Unmarshal on such JSON: the
// server prunes every key that is not exactly a field of the kind before
// it stores an object. Numbers decoded into an interface value are
// float64, where Unmarshal keeps integers as int64; the types of this
// package have no interface fields. TestUnmarshalTrustedEveryKind holds
// it to Unmarshal's result. Anything a user sent goes through Unmarshal.
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
// slices and maps) to its length, walking only what may hold one.
func trimSlices(v reflect.Value) { trimPlanOf(v.Type()).trim(v) }

// trimPlan is how trimSlices walks a value of one type: nil for a type
// that holds no slice (most fields of most kinds), which is not walked.
type trimPlan struct {
	fields []trimField // of a struct
	elem   *trimPlan   // of a pointer, slice or map
}

type trimField struct {
	index int
	plan  *trimPlan
}

func (p *trimPlan) trim(v reflect.Value) {
	if p == nil {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			p.elem.trim(v.Elem())
		}
	case reflect.Struct:
		for _, f := range p.fields {
			f.plan.trim(v.Field(f.index))
		}
	case reflect.Slice:
		if v.Cap() > v.Len() {
			c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(c, v)
			v.Set(c)
		}
		if p.elem != nil {
			for i := range v.Len() {
				p.elem.trim(v.Index(i))
			}
		}
	case reflect.Map:
		if p.elem == nil {
			return
		}
		it := v.MapRange()
		for it.Next() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			p.elem.trim(e)
			v.SetMapIndex(it.Key(), e)
		}
	}
}

// trimPlans holds the plan of every type trimSlices has walked.
var trimPlans sync.Map // reflect.Type → *trimPlan

func trimPlanOf(t reflect.Type) *trimPlan {
	if p, ok := trimPlans.Load(t); ok {
		return p.(*trimPlan)
	}
	p := planTrim(t, map[reflect.Type]*trimPlan{})
	trimPlans.Store(t, p)
	return p
}

// planTrim builds t's plan; open holds the plans being built, so that a
// type that nests in itself (JSONSchemaProps) refers to its own.
func planTrim(t reflect.Type, open map[reflect.Type]*trimPlan) *trimPlan {
	if p, ok := open[t]; ok {
		return p
	}
	p := &trimPlan{}
	open[t] = p
	holds := false
	switch t.Kind() {
	case reflect.Slice:
		holds = true
		p.elem = planTrim(t.Elem(), open)
	case reflect.Pointer, reflect.Map:
		p.elem = planTrim(t.Elem(), open)
		holds = p.elem != nil
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if fp := planTrim(f.Type, open); fp != nil {
					p.fields = append(p.fields, trimField{i, fp})
				}
			}
		}
		holds = len(p.fields) > 0
	}
	if !holds {
		open[t] = nil // a self-nesting type seen on the way keeps p: walked, harmlessly
		return nil
	}
	return p
}
