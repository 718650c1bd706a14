package apiserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// create serves POST to a collection.
func (s *Server) create(r *request) error {
	o, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	return s.createObject(r, o)
}

// createObject creates o, decoded from a create's body or made by a
// server-side apply of an object that did not exist (r.applied).
func (s *Server) createObject(r *request, o object) error {
	ctx := r.c.Request().Context()
	meta := metaOf(o)
	if r.res.Ephemeral {
		if r.res.Namespaced {
			meta["namespace"] = r.ri.Namespace
		}
		return s.review(r, o)
	}
	if r.res.Namespaced {
		ns := r.ri.Namespace
		if bodyNS := nestedString(o, "metadata", "namespace"); bodyNS != "" && bodyNS != ns {
			return badRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
		if ns == "" {
			return badRequest("a namespace is required to create a %s", r.res.Kind)
		}
		meta["namespace"] = ns
	} else {
		delete(meta, "namespace")
	}
	if isPods(r.res) {
		if err := s.admitPriority(ctx, r.res, o); err != nil {
			return err
		}
	}
	// Defaults, then mutating admission, then (below) what the kind sets
	// on a new object (a pod's QoS class is computed from what LimitRanger
	// set; a Job's selector names its uid and name).
	if d := r.res.Strategy.Default; d != nil {
		d(o)
	}
	if !r.applied {
		if err := s.recordUpdate(r, nil, o); err != nil {
			return err
		}
	}
	attrs := s.attributes(r, admission.Create, o, nil)
	if err := s.admission.Admit(ctx, attrs); err != nil {
		return err
	}
	initMeta(o, time.Now(), uuid.NewString())
	generate := nestedString(o, "metadata", "name") == "" && nestedString(o, "metadata", "generateName") != ""
	sent := o
	dryRun := r.dryRun
	var undo func() // releases what the kind's allocator claimed
	for attempt := 0; ; attempt++ {
		if generate {
			if undo != nil { // a retry under a new name claims afresh
				undo()
				undo = nil
			}
			o = registry.DeepCopy(sent).(object)
			metaOf(o)["name"] = nestedString(o, "metadata", "generateName") + api.RandomSuffix(5)
		}
		if p := r.res.Strategy.PrepareForCreate; p != nil {
			p(o)
		}
		name := nestedString(o, "metadata", "name")
		r.ri.Name = name
		value, err := encodeStored(o)
		if err != nil {
			return err
		}
		if err := s.validate(r, o, value, nil); err != nil {
			return err
		}
		if undo == nil {
			if undo, err = s.allocate(ctx, r.res, o, nil, dryRun); err != nil {
				return err
			}
			if s.allocators[r.res.StoreName()] != nil { // it may have set fields
				if value, err = encodeStored(o); err != nil {
					undo()
					return err
				}
			}
		}
		if !r.res.StoredAsServed() {
			if value, err = encodeForStore(r.res, o); err != nil {
				undo()
				return err
			}
		}
		if attempt == 0 {
			// Once: ResourceQuota charges the object.
			if err := s.admission.Validate(ctx, attrs); err != nil {
				if undo != nil {
					undo()
				}
				return err
			}
		}
		if dryRun {
			// Answer as the write would: 409 for a name that is taken.
			if _, err := s.deps.Store.Get(ctx, store.Key{Resource: r.res.StoreName(), Namespace: r.ri.Namespace, Name: name}); err == nil {
				undo()
				return store.ErrAlreadyExists
			} else if !errors.Is(err, store.ErrNotFound) {
				undo()
				return err
			}
			return writeJSON(r.c, http.StatusCreated, o)
		}
		rec, err := s.createAllocated(ctx, r, &store.Record{
			Key:   store.Key{Resource: r.res.StoreName(), Namespace: r.ri.Namespace, Name: name},
			UID:   nestedString(o, "metadata", "uid"),
			Value: value,
		})
		if generate && errors.Is(err, store.ErrAlreadyExists) && attempt < 8 {
			continue
		}
		if err != nil {
			undo()
			return err
		}
		return s.writeObject(r, http.StatusCreated, rec)
	}
}

// createAllocated writes a new object; for a kind with an allocator, the
// write must land within allocatedWriteTimeout of its claims (see
// repairGrace).
func (s *Server) createAllocated(ctx context.Context, r *request, rec *store.Record) (*store.Record, error) {
	if s.allocators[r.res.StoreName()] != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, allocatedWriteTimeout)
		defer cancel()
	}
	out, err := s.deps.Store.Create(ctx, rec)
	if err == nil {
		for _, c := range s.admissionCaches() {
			c.Created(out)
		}
	}
	return out, err
}
