package apiserver

import (
	"github.com/minik8s/minik8s/apiserver/registry"
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

// servedJSON is the JSON of a stored value as res serves it, with its
// resourceVersion.
func servedJSON(res *registry.Resource, value []byte, rv int64) ([]byte, error) {
	head, field, tail, err := servedParts(res, value, rv)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(field)+len(tail))
	return append(append(append(out, head...), field...), tail...), nil
}

// servedParts is servedJSON in three parts to write one after the other,
// which a watch does without copying the stored value: rvParts of value,
// or of its rewrite for a kind that is rewritten on read.
func servedParts(res *registry.Resource, value []byte, rv int64) (head, field, tail []byte, err error) {
	if rewritesOnRead(res) {
		o, err := decodeServed(res, value, rv)
		if err != nil {
			return nil, nil, nil, err
		}
		if value, err = encodeStored(o); err != nil {
			return nil, nil, nil, err
		}
	}
	head, field, tail = rvParts(value, rv)
	return head, field, tail, nil
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
