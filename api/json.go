package api

import (
	"io"
	"reflect"
	"sync"
	"sync/atomic"
	"unique"

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
// Its slices keep a capacity of at least four: Compact a value that lives
// on.
func UnmarshalTrusted(data []byte, v any) error { return gojson.Unmarshal(data, v) }

// Compact readies a decoded value (a pointer) to live on, in an
// informer's cache: every slice in it is cut to its length (UnmarshalTrusted
// leaves room for four), and every string is interned (intern), so
// that the objects one process keeps share what repeats between them —
// image, labels, owner, tolerations, condition types — and the copies that
// the scheduler, the controller manager and the node agents each keep of a
// pod; and its equal parts are shared with the values readied before it
// (share.go). UnmarshalTrusted and Compact take less than half
// Unmarshal's time (BenchmarkUnmarshalPod).
func Compact(v any) { compact(reflect.ValueOf(v)) }

// NewTrustedDecoder is a stream decoder that decodes as UnmarshalTrusted
// does; reading a stream's values into json.RawMessage with it costs a
// fraction of a full decode.
func NewTrustedDecoder(r io.Reader) *gojson.Decoder { return gojson.NewDecoder(r) }

// compact cuts every slice reachable from v (through pointers, structs,
// slices and maps) to its length, interns every string and shares every
// part below v, walking only what may hold one.
func compact(v reflect.Value) { keepPlanOf(v.Type()).walk(v) }

// keepPlan is how compact walks a value of one type: nil for a type that
// holds no slice, string, pointer or map, which is not walked.
type keepPlan struct {
	fields []keepField // of a struct
	elem   *keepPlan   // of a pointer, slice or map
	key    bool        // of a map: its keys are strings
}

type keepField struct {
	index int
	plan  *keepPlan
}

// isString is the plan of a string.
var isString = &keepPlan{}

func (p *keepPlan) walk(v reflect.Value) {
	if p == nil {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			v.SetString(intern(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			p.elem.walk(v.Elem())
			share(v)
		}
	case reflect.Struct:
		for _, f := range p.fields {
			f.plan.walk(v.Field(f.index))
		}
	case reflect.Slice:
		if v.Cap() > v.Len() {
			c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(c, v)
			v.Set(c)
		}
		if p.elem != nil {
			for i := range v.Len() {
				p.elem.walk(v.Index(i))
			}
		}
		share(v)
	case reflect.Map:
		if m, ok := v.Interface().(map[string]string); ok { // labels, annotations, selectors
			for k, s := range m {
				// Storing under an equal key replaces the key's string too.
				m[intern(k)] = intern(s)
			}
			share(v)
			return
		}
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if p.key {
				k = reflect.ValueOf(intern(k.String())).Convert(k.Type())
			}
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			p.elem.walk(e)
			v.SetMapIndex(k, e)
		}
		share(v)
	}
}

// keepPlans holds the plan of every type compact has walked.
var keepPlans sync.Map // reflect.Type → *keepPlan

func keepPlanOf(t reflect.Type) *keepPlan {
	if p, ok := keepPlans.Load(t); ok {
		return p.(*keepPlan)
	}
	p := planKeep(t, map[reflect.Type]*keepPlan{})
	keepPlans.Store(t, p)
	return p
}

// planKeep builds t's plan; open holds the plans being built, so that a
// type that nests in itself (JSONSchemaProps) refers to its own.
func planKeep(t reflect.Type, open map[reflect.Type]*keepPlan) *keepPlan {
	if p, ok := open[t]; ok {
		return p
	}
	if t.Kind() == reflect.String {
		return isString
	}
	p := &keepPlan{}
	open[t] = p
	holds := false
	switch t.Kind() {
	case reflect.Slice:
		holds = true
		p.elem = planKeep(t.Elem(), open)
	case reflect.Pointer:
		p.elem = planKeep(t.Elem(), open)
		holds = true // shared (share.go), whatever it points to
	case reflect.Map:
		p.elem = planKeep(t.Elem(), open)
		p.key = t.Key().Kind() == reflect.String
		holds = p.elem != nil || p.key
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if fp := planKeep(f.Type, open); fp != nil {
					p.fields = append(p.fields, keepField{i, fp})
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

// kept holds the handles of the strings intern made last. unique.Make
// alone would not do: its table keeps an entry only while a
// unique.Handle of it is reachable, and a string taken from a Handle
// does not keep one, so whatever an informer had cached stopped being
// shared at the next garbage collection. A string interned again is kept
// again; one not met for the last len(kept) interns is let go (names and
// UIDs, each its object's own, would otherwise be kept for ever).
var (
	kept     [1 << 14]atomic.Value // of unique.Handle[string], a pointer: storing it allocates nothing
	keptNext atomic.Uint64
)

// intern returns the string equal to s that the values Compact readied
// share.
func intern(s string) string {
	if s == "" {
		return s
	}
	h := unique.Make(s)
	kept[keptNext.Add(1)%uint64(len(kept))].Store(h)
	return h.Value()
}
