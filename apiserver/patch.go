package apiserver

import (
	"encoding/json"
	"errors"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/patch"
	"github.com/minik8s/minik8s/apiserver/registry"
)

// patch serves PATCH of an object or of its status: the patch is applied
// to the current object and the result goes through the same checks as an
// update, retried against a fresh object if another write wins the race.
func (s *Server) patch(r *request, statusOnly bool) error {
	ctype, err := patchType(r)
	if err != nil {
		return err
	}
	if r.query("force") != "" && ctype != patch.ApplyPatchType {
		return invalidObject("meta.k8s.io", "PatchOptions", "", field.ErrorList{
			field.Forbidden(field.NewPath("force"), "may not be specified for non-apply patch")})
	}
	if ctype == patch.ApplyPatchType {
		return s.apply(r, statusOnly)
	}
	if ctype == patch.StrategicMergePatchType && !r.res.Schema.Typed() {
		// A strategic merge needs the merge keys of a Go type; Kubernetes
		// refuses it on custom resources in the same words.
		return errUntypedPatch
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	schema := r.res.Schema.Go
	mutate := func(cur object, curValue []byte) (object, []byte, error) {
		sent, err := applyPatchTo(ctype, cur, body, schema, statusOnly)
		if err != nil {
			return nil, nil, err
		}
		if err := checkKind(r, sent); err != nil {
			return nil, nil, err
		}
		if err := s.checkFields(r, sent, body); err != nil {
			return nil, nil, err
		}
		return s.prepareUpdate(r, sent, cur, curValue, statusOnly)
	}
	if r.dryRun {
		return s.dryRunUpdate(r, mutate)
	}
	rec, err := s.guaranteedUpdate(r.c.Request().Context(), r.res, r.key(), mutate)
	if err != nil {
		return err
	}
	return s.writeObject(r, http.StatusOK, rec)
}

// applyPatchTo returns a new object: cur, which it leaves alone, with the
// patch body of content type ctype applied. A merge patch whose body is a
// JSON object is merged into a copy of cur directly; every other patch
// goes through cur's JSON, which gives the same result (and the errors
// for bodies that are not objects) at the cost of an encode and a decode.
// With share, a merge patch's result shares with cur the top-level fields
// the patch leaves alone, for a caller that does not change them: a status
// write takes only status from it, and copying a pod's spec at each
// kubelet status patch was 2% of what the API server allocated while a
// 1,000-pod Deployment started.
func applyPatchTo(ctype string, cur object, body []byte, schema reflect.Type, share bool) (object, error) {
	if mt, _, err := mime.ParseMediaType(ctype); err == nil && mt == patch.MergePatchType {
		// Decoded afresh on each attempt: the merge takes its values.
		if p, err := decodeObject(body); err == nil {
			var next object
			if share {
				next = maps.Clone(cur)
				for k := range p {
					if v, ok := next[k]; ok {
						next[k] = registry.DeepCopy(v)
					}
				}
			} else {
				next = registry.DeepCopy(cur).(map[string]any)
			}
			patch.MergeInto(next, p)
			return next, nil
		}
	}
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
	return sent, nil
}

// patchType returns the request's patch type, its Content-Type without
// parameters; a type that is not supported is a 415, answered before the
// body is read or the object looked up, as Kubernetes does.
func patchType(r *request) (string, error) {
	ct := r.c.Request().Header.Get("Content-Type")
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(ct)
	switch ct {
	case patch.JSONPatchType, patch.MergePatchType, patch.StrategicMergePatchType, patch.ApplyPatchType:
		return ct, nil
	case "application/apply-patch+json":
		// kubectl 1.32 sends YAML; a JSON body is YAML too. CBOR bodies
		// (application/apply-patch+cbor) are not served.
		return patch.ApplyPatchType, nil
	}
	return "", errUnsupportedPatch
}

// errUnsupportedPatch is Kubernetes' answer to a patch of a type it does
// not support.
var errUnsupportedPatch = newStatus(http.StatusUnsupportedMediaType, api.StatusReasonUnsupportedMediaType,
	"the body of the request was in an unknown format - accepted media types include: "+
		patch.JSONPatchType+", "+patch.MergePatchType+", "+patch.StrategicMergePatchType+", "+patch.ApplyPatchType)

// errUntypedPatch is the answer to a strategic merge patch of a kind
// without a Go type (a custom resource).
var errUntypedPatch = newStatus(http.StatusUnsupportedMediaType, api.StatusReasonUnsupportedMediaType,
	"the body of the request was in an unknown format - accepted media types include: "+
		patch.JSONPatchType+", "+patch.MergePatchType+", "+patch.ApplyPatchType)

// applyPatch applies a patch and maps its failures to Status errors.
func applyPatch(ctype string, cur, body []byte, schema reflect.Type) ([]byte, error) {
	out, err := patch.Apply(ctype, cur, body, schema)
	if errors.Is(err, patch.ErrUnsupported) {
		return nil, errUnsupportedPatch
	}
	if errors.Is(err, patch.ErrMalformed) {
		return nil, badRequest("%v", err)
	}
	if errors.Is(err, patch.ErrTooLarge) {
		return nil, tooLarge(strings.TrimPrefix(err.Error(), patch.ErrTooLarge.Error()+": "))
	}
	if err != nil {
		return nil, newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid, err.Error())
	}
	// Checked before the result is decoded: decoding a patch's output is
	// where a patch that grew the object would cost the most.
	if err := checkObjectSize(out); err != nil {
		return nil, err
	}
	return out, nil
}
