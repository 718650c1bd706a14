package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/patch"
)

// patch serves PATCH of an object or of its status: the patch is applied
// to the current object and the result goes through the same checks as an
// update, retried against a fresh object if another write wins the race.
func (s *Server) patch(r *request, statusOnly bool) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ctype := patchType(r)
	schema := reflect.TypeOf(r.res.New()).Elem()
	mutate := func(cur object) (object, error) {
		curJSON, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		out, err := applyPatch(ctype, curJSON, body, schema)
		if err != nil {
			return nil, err
		}
		sent, err := decodeObject(out)
		if err != nil {
			return nil, badRequest("the patch produced an invalid object: %v", err)
		}
		if err := checkKind(r, sent); err != nil {
			return nil, err
		}
		if err := s.strictCheck(r, sent); err != nil {
			return nil, err
		}
		return s.prepareUpdate(r, sent, cur, statusOnly)
	}
	if r.query("dryRun") == "All" {
		return s.dryRunUpdate(r, mutate)
	}
	rec, err := s.guaranteedUpdate(r.c.Request().Context(), r.key(), mutate)
	if err != nil {
		return err
	}
	return s.writeObject(r, http.StatusOK, rec)
}

func patchType(r *request) string {
	ct := r.c.Request().Header.Get("Content-Type")
	ct, _, _ = strings.Cut(ct, ";")
	return strings.TrimSpace(ct)
}

// applyPatch applies a patch and maps its failures to Status errors.
func applyPatch(ctype string, cur, body []byte, schema reflect.Type) ([]byte, error) {
	out, err := patch.Apply(ctype, cur, body, schema)
	if errors.Is(err, patch.ErrUnsupported) {
		return nil, newStatus(http.StatusUnsupportedMediaType, api.StatusReasonUnsupportedMediaType,
			"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
	}
	if errors.Is(err, patch.ErrMalformed) {
		return nil, badRequest("%v", err)
	}
	if err != nil {
		return nil, newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid, err.Error())
	}
	return out, nil
}
