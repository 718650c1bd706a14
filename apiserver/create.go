package apiserver

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/store"
)

// create serves POST to a collection.
func (s *Server) create(r *request) error {
	ctx := r.c.Request().Context()
	o, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	meta := metaOf(o)
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
	// Defaults, then mutating admission, then what the kind sets on a new
	// object (a pod's QoS class is computed from what LimitRanger set).
	if d := r.res.Strategy.Default; d != nil {
		d(o)
	}
	attrs := s.attributes(r, admission.Create, o, nil)
	if err := s.admission.Admit(ctx, attrs); err != nil {
		return err
	}
	if p := r.res.Strategy.PrepareForCreate; p != nil {
		p(o)
	}
	initMeta(o, time.Now(), uuid.NewString())
	generate := nestedString(o, "metadata", "name") == "" && nestedString(o, "metadata", "generateName") != ""
	for attempt := 0; ; attempt++ {
		if generate {
			meta["name"] = nestedString(o, "metadata", "generateName") + api.RandomSuffix(5)
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
		if attempt == 0 {
			// Once: ResourceQuota charges the object.
			if err := s.admission.Validate(ctx, attrs); err != nil {
				return err
			}
		}
		if r.query("dryRun") == "All" {
			return writeJSON(r.c, http.StatusCreated, o)
		}
		rec, err := s.deps.Store.Create(ctx, &store.Record{
			Key:   store.Key{Resource: r.res.StoreName(), Namespace: r.ri.Namespace, Name: name},
			UID:   nestedString(o, "metadata", "uid"),
			Value: value,
		})
		if generate && errors.Is(err, store.ErrAlreadyExists) && attempt < 8 {
			continue
		}
		if err != nil {
			return err
		}
		return s.writeObject(r, http.StatusCreated, rec)
	}
}
