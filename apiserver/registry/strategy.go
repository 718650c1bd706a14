package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// Object is a Kubernetes object decoded from JSON with numbers kept as
// json.Number: the pipeline's one representation of an object.
type Object = map[string]any

// Strategy is what the request pipeline does with a kind's objects, in the
// manner of kube-apiserver's rest.RESTCreateStrategy and friends. Every
// hook may be nil (it then does nothing). The pipeline itself handles
// what is the same for every kind: server-managed metadata, generation,
// resourceVersion preconditions, finalizers, dry runs.
//
// The order on create: Default, PrepareForCreate, then Validate(obj, nil).
// On a write of the object (PUT, PATCH, /scale): Default,
// PrepareForUpdate, then Validate(obj, old). On a /status write the
// pipeline starts from the current object with the status the client
// sent (spec and metadata frozen), calls PrepareForStatusUpdate, then
// Validate(obj, old).
type Strategy struct {
	// Default fills in defaults, as Kubernetes' defaulting does on every
	// decode of a create or update body.
	Default func(o Object)
	// PrepareForCreate sets what the server owns on a new object (its
	// initial status, for instance); ResetStatus drops a status the client
	// sent.
	PrepareForCreate func(o Object)
	// PrepareForUpdate adjusts the next object of a write given the current
	// one; KeepStatus makes writes of the object leave status alone.
	PrepareForUpdate func(next, cur Object)
	// PrepareForStatusUpdate adjusts the next object of a /status write,
	// which already has cur's spec and metadata.
	PrepareForStatusUpdate func(next, cur Object)
	// Validate checks the object, as its Go type, on create (old is nil)
	// and on update; see Typed.
	Validate func(obj, old any) field.ErrorList
	// ValidateStatus checks the object of a /status write; nil means
	// Validate.
	ValidateStatus func(obj, old any) field.ErrorList
	// Finalizing reports whether a deleted object still waits for
	// something beyond metadata.finalizers (a namespace's
	// spec.finalizers) before it may go.
	Finalizing func(o Object) bool
	// PrepareForDelete adjusts an object that is being marked for deletion
	// (a namespace becomes Terminating).
	PrepareForDelete func(o Object)
	// GenerationChanged reports whether a write of the object changes
	// what metadata.generation counts; nil means a change of spec.
	GenerationChanged func(next, cur Object) bool
	// GracePeriod is the grace a delete gives the object, given the
	// request's (nil when it names none); nil means none (0) for every
	// object.
	GracePeriod func(o Object, requested *int64) int64
}

// PrepareForCreate defaults a new object and prepares it for storing.
func (r *Resource) PrepareForCreate(o Object) {
	if r.Strategy.Default != nil {
		r.Strategy.Default(o)
	}
	if r.Strategy.PrepareForCreate != nil {
		r.Strategy.PrepareForCreate(o)
	}
}

// PrepareForUpdate defaults the next object of a write and prepares it
// given the current one.
func (r *Resource) PrepareForUpdate(next, cur Object) {
	if r.Strategy.Default != nil {
		r.Strategy.Default(next)
	}
	if r.Strategy.PrepareForUpdate != nil {
		r.Strategy.PrepareForUpdate(next, cur)
	}
}

// PrepareForStatusUpdate returns the object a /status write stores: cur
// (which it leaves alone) with the status sent, adjusted by the kind. The
// result shares cur's fields other than metadata and status, which a
// status write leaves as they are: copying a pod's spec at each of its
// status writes was 2% of what the API server allocated while a 1,000-pod
// Deployment started. Metadata's top level is copied, since the write
// sets its resourceVersion and replaces its managedFields.
func (r *Resource) PrepareForStatusUpdate(sent, cur Object) Object {
	next := maps.Clone(cur)
	if m, ok := cur["metadata"].(map[string]any); ok {
		next["metadata"] = maps.Clone(m)
	}
	if st, ok := sent["status"]; ok {
		next["status"] = st
	} else {
		delete(next, "status")
	}
	if r.Strategy.PrepareForStatusUpdate != nil {
		r.Strategy.PrepareForStatusUpdate(next, cur)
	}
	return next
}

// GenerationChanged reports whether a write of the object changes what
// metadata.generation counts: spec, unless the kind says otherwise.
func (r *Resource) GenerationChanged(next, cur Object) bool {
	if r.Strategy.GenerationChanged != nil {
		return r.Strategy.GenerationChanged(next, cur)
	}
	return !JSONEqual(next["spec"], cur["spec"])
}

// Validate checks the typed object against the typed old one (nil on
// create).
func (r *Resource) Validate(obj, old any) field.ErrorList {
	if r.Strategy.Validate == nil {
		return nil
	}
	return r.Strategy.Validate(obj, old)
}

// ValidateStatus checks the object of a /status write against the old
// one.
func (r *Resource) ValidateStatus(obj, old any) field.ErrorList {
	if r.Strategy.ValidateStatus == nil {
		return r.Validate(obj, old)
	}
	return r.Strategy.ValidateStatus(obj, old)
}

// Finalizing reports whether a deleted object waits for more than its
// metadata.finalizers.
func (r *Resource) Finalizing(o Object) bool {
	return r.Strategy.Finalizing != nil && r.Strategy.Finalizing(o)
}

// PrepareForDelete adjusts an object being marked for deletion.
func (r *Resource) PrepareForDelete(o Object) {
	if r.Strategy.PrepareForDelete != nil {
		r.Strategy.PrepareForDelete(o)
	}
}

// GracePeriod is the grace a delete of o gives it.
func (r *Resource) GracePeriod(o Object, requested *int64) int64 {
	if r.Strategy.GracePeriod == nil {
		return 0
	}
	return r.Strategy.GracePeriod(o, requested)
}

// Typed adapts a validation function of a Go type to Strategy.Validate.
func Typed[T any](f func(obj, old *T) field.ErrorList) func(obj, old any) field.ErrorList {
	return func(obj, old any) field.ErrorList {
		o, _ := old.(*T)
		return f(obj.(*T), o)
	}
}

// ResetStatus drops the status a client sent on create: only
// controllers write it, through /status.
func ResetStatus(o Object) { delete(o, "status") }

// KeepStatus keeps the current status on a write of the object: status
// changes only through /status.
func KeepStatus(next, cur Object) {
	if st, ok := cur["status"]; ok {
		next["status"] = st
	} else {
		delete(next, "status")
	}
}

// As converts an object to its Go type T (JSON in, JSON out): the one
// conversion between the pipeline's representation and the typed one.
func As[T any](o any) (*T, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := api.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// ConvertTyped converts o in place through Go types: it reads o as a
// From, and replaces its content with f's result, as the pipeline
// represents objects. Built-in kinds served at several versions convert
// with it (Resource.Convert), using their api package conversions.
func ConvertTyped[From, To any](o Object, f func(*From) *To) error {
	in, err := As[From](o)
	if err != nil {
		return err
	}
	b, err := json.Marshal(f(in))
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // as the pipeline decodes objects
	var out Object
	if err := d.Decode(&out); err != nil {
		return err
	}
	clear(o)
	maps.Copy(o, out)
	return nil
}

// DecodeAs reads JSON into a new object of the schema's Go type; a custom
// resource's typed form is its Object.
func (s Schema) DecodeAs(b []byte) (any, error) {
	if s.Go == nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber() // as the pipeline decodes objects
		var o Object
		if err := d.Decode(&o); err != nil {
			return nil, fmt.Errorf("decode object: %w", err)
		}
		return o, nil
	}
	v := s.New()
	// b is the JSON the server is about to store or has stored: only
	// the kind's own fields, exactly spelt.
	if err := api.UnmarshalTrusted(b, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", s.Go.Name(), err)
	}
	return v, nil
}

// DeepCopy copies a decoded JSON value.
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			c[k] = DeepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = DeepCopy(e)
		}
		return c
	default:
		return v
	}
}
