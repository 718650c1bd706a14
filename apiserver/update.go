package apiserver

import (
	"net/http"

	"github.com/minik8s/minik8s/apiserver/registry"
)

// update serves PUT of an object or of its status.
func (s *Server) update(r *request, statusOnly bool) error {
	sent, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	if r.res.Namespaced {
		if ns := nestedString(sent, "metadata", "namespace"); ns != "" && ns != r.ri.Namespace {
			return badRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if r.dryRun {
		return s.dryRunUpdate(r, func(cur object, curValue []byte) (object, []byte, error) {
			return s.prepareUpdate(r, sent, cur, curValue, statusOnly)
		})
	}
	rec, err := s.guaranteedUpdate(r.c.Request().Context(), r.res, r.key(), func(cur object, curValue []byte) (object, []byte, error) {
		return s.prepareUpdate(r, registry.DeepCopy(sent).(map[string]any), cur, curValue, statusOnly)
	})
	if err != nil {
		return err
	}
	return s.writeObject(r, http.StatusOK, rec)
}

// dryRunUpdate computes an update's result without writing it.
func (s *Server) dryRunUpdate(r *request, mutate mutation) error {
	rec, err := s.deps.Store.Get(r.c.Request().Context(), r.key())
	if err != nil {
		return err
	}
	cur, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
	if err != nil {
		return err
	}
	next, _, err := mutate(cur, rec.Value)
	if err != nil {
		return err
	}
	if _, err := s.allocate(r.c.Request().Context(), r.res, next, cur, true); err != nil {
		return err
	}
	return writeJSON(r.c, http.StatusOK, next)
}
