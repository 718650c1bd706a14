package apiserver

import "net/http"

// get serves GET of one object (and of its status subresource, which is
// the same object).
func (s *Server) get(r *request) error {
	rec, err := s.deps.Store.Get(r.c.Request().Context(), r.key())
	if err != nil {
		return err
	}
	return s.writeObject(r, http.StatusOK, rec)
}
