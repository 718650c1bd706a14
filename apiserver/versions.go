package apiserver

import (
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/tidwall/gjson"
)

// A kind served at several versions is stored at one of them (its
// declaration's Storage). These functions are the pipeline's one point of
// conversion: stored objects are converted to the request's version as
// they are read (and a custom resource's schema defaults applied, as
// Kubernetes applies them on every read), and objects a request writes are
// converted to the storage version just before they are encoded for the
// store. For every other kind they leave objects alone, and stored JSON is
// served as it is.

// rewritesOnRead reports whether res's stored objects change on their way
// out: another version, or schema defaults to apply.
func rewritesOnRead(res *registry.Resource) bool {
	if !res.StoredAsServed() {
		return true
	}
	st := res.Schema.Structural
	return st != nil && st.Defaults
}

// fromStorage turns a decoded stored object into res's version, in place.
func fromStorage(res *registry.Resource, o object) error {
	if !rewritesOnRead(res) {
		return nil
	}
	if err := res.ConvertTo(o); err != nil {
		return err
	}
	if st := res.Schema.Structural; st != nil && st.Defaults {
		st.Schema.ApplyDefaults(o)
	}
	return nil
}

// toStorage returns o (at res's version) as it is stored: o itself when
// res is the storage version, else a converted copy.
func toStorage(res *registry.Resource, o object) (object, error) {
	if res.StoredAsServed() {
		return o, nil
	}
	c := registry.DeepCopy(o).(map[string]any)
	if err := res.StorageResource().ConvertTo(c); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeServed decodes a stored value as res serves it.
func decodeServed(res *registry.Resource, value []byte, rv int64) (object, error) {
	o, err := decodeStored(value, rv)
	if err != nil {
		return nil, err
	}
	if err := fromStorage(res, o); err != nil {
		return nil, err
	}
	return o, nil
}

// jsonParts is a JSON value in parts to write one after the other.
type jsonParts [4][]byte

func (p *jsonParts) len() int {
	n := 0
	for _, b := range p {
		n += len(b)
	}
	return n
}

// servedParts is the JSON of a stored value as res serves it, with its
// resourceVersion, in parts, which a response, a list or a watch writes
// without copying the stored value: rvParts of value, or of its rewrite
// for a kind that is rewritten on read; without metadata.managedFields if
// omitManagedFields.
func servedParts(res *registry.Resource, value []byte, rv int64, omitManagedFields bool) (jsonParts, error) {
	return servedPartsOf(res, value, rv, omitManagedFields, managedFieldsSpan)
}

// servedPartsOf is servedParts with where value's managedFields are, for
// a caller that has found them already.
func servedPartsOf(res *registry.Resource, value []byte, rv int64, omitManagedFields bool, span func([]byte) (int, int, bool)) (jsonParts, error) {
	if rewritesOnRead(res) {
		o, err := decodeServed(res, value, rv)
		if err != nil {
			return jsonParts{}, err
		}
		if value, err = encodeStored(o); err != nil {
			return jsonParts{}, err
		}
	}
	head, field, tail := rvParts(value, rv)
	if omitManagedFields {
		if from, to, ok := span(value); ok && from >= len(head) {
			return jsonParts{head, field, value[len(head):from], value[to:]}, nil
		}
	}
	return jsonParts{head, field, tail}, nil
}

// managedFieldsSpan is where the top-level metadata.managedFields of a
// stored value is, with the comma that separates it from its neighbour:
// what to cut for a client that asked for objects without them. ok is
// false when there are none, or when they are metadata's only field.
func managedFieldsSpan(value []byte) (from, to int, ok bool) {
	return managedFieldsSpanAt(value, gjson.GetBytes(value, "metadata.managedFields"))
}

// managedFieldsSpanAt is managedFieldsSpan for a caller that has found
// metadata.managedFields in value already, as v.
func managedFieldsSpanAt(value []byte, v gjson.Result) (from, to int, ok bool) {
	const key = `"managedFields":`
	from, to = v.Index-len(key), v.Index+len(v.Raw)
	if !v.Exists() || v.Index == 0 || from < 1 || to >= len(value) || string(value[from:v.Index]) != key {
		return 0, 0, false
	}
	switch {
	case value[from-1] == ',':
		return from - 1, to, true
	case value[to] == ',':
		return from, to + 1, true
	}
	return 0, 0, false
}

// encodeForStore encodes o (at res's version) in the storage version's
// stored form.
func encodeForStore(res *registry.Resource, o object) ([]byte, error) {
	so, err := toStorage(res, o)
	if err != nil {
		return nil, err
	}
	return encodeStored(so)
}
