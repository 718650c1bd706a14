package apiserver

import (
	"crypto/rand"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

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
		if err := s.checkNamespace(ctx, ns); err != nil {
			return err
		}
	} else {
		delete(meta, "namespace")
	}
	r.res.PrepareForCreate(o)
	meta = metaOf(o) // the kind's hooks may have replaced the map
	initMeta(o, time.Now(), uuid.NewString())
	generate := nestedString(o, "metadata", "name") == "" && nestedString(o, "metadata", "generateName") != ""
	for attempt := 0; ; attempt++ {
		if generate {
			meta["name"] = nestedString(o, "metadata", "generateName") + randomSuffix(5)
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
		if !r.res.StoredAsServed() {
			if value, err = encodeForStore(r.res, o); err != nil {
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

// randomSuffix is n characters of the alphabet Kubernetes uses for
// generated names (no vowels, no look-alikes).
func randomSuffix(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
