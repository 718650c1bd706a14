package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/apiserver/protobuf"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// maxUpdateRetries bounds the re-read-and-retry loop of an update that
// lost a race it is allowed to retry.
const maxUpdateRetries = 16

// maxObjectBytes bounds an object as stored. Kubernetes stores objects in
// etcd, whose default request limit (--max-request-bytes) is 1.5 MiB; here
// the bound applies to the stored JSON, so that no object every list and
// watch carries can grow without limit.
const maxObjectBytes = 3 << 19

// checkObjectSize fails with 413 when an object's stored encoding is larger
// than maxObjectBytes. Kubernetes passes etcd's "etcdserver: request is too
// large" on as a 500 (kubernetes/kubernetes#112152); a 413 says what is
// wrong and that retrying will not help.
func checkObjectSize(value []byte) error {
	if len(value) > maxObjectBytes {
		return tooLarge(fmt.Sprintf("the object would be %d bytes when stored; limit is %d", len(value), maxObjectBytes))
	}
	return nil
}

// decodeBody reads and decodes a request body that must be an object of
// the request's kind, without the fields its schema does not declare (see
// checkFields).
func (s *Server) decodeBody(r *request) (object, error) {
	format, err := bodyFormat(r)
	if err != nil {
		return nil, err
	}
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var o object
	switch format {
	case protobuf.MediaType:
		if !r.res.Schema.Typed() {
			// Custom resources have no protobuf form, as in Kubernetes.
			return nil, newStatus(http.StatusUnsupportedMediaType, api.StatusReasonUnsupportedMediaType,
				"the body of the request was in an unknown format - accepted media types include: "+mediaJSON+", "+mediaYAML)
		}
		o, err = protobuf.Decode(b, r.res.Schema.Go)
	case mediaYAML:
		if b, err = yaml.YAMLToJSON(b); err == nil {
			o, err = decodeObject(b)
		}
	default:
		o, err = decodeObject(b)
	}
	if err != nil {
		return nil, badRequest("%s in version %q cannot be handled as a %s: %v", r.res.Kind, r.res.GroupVersion(), r.res.Kind, err)
	}
	if err := checkKind(r, o); err != nil {
		return nil, err
	}
	if err := s.checkFields(r, o, nil); err != nil {
		return nil, err
	}
	return o, nil
}

// The media types of request bodies, besides protobuf.MediaType.
const (
	mediaJSON = "application/json"
	mediaYAML = "application/yaml"
)

// bodyFormat returns the media type of the request's body: JSON when
// Content-Type is absent, as in Kubernetes, and 415 for a type other than
// JSON, YAML and protobuf.
func bodyFormat(r *request) (string, error) {
	ct := r.c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" {
		return mediaJSON, nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		switch mt {
		case mediaJSON, mediaYAML, protobuf.MediaType:
			return mt, nil
		}
	}
	return "", newStatus(http.StatusUnsupportedMediaType, api.StatusReasonUnsupportedMediaType,
		"the body of the request was in an unknown format - accepted media types include: "+mediaJSON+", "+mediaYAML+", "+protobuf.MediaType)
}

// unmarshalBody reads a JSON, YAML or Kubernetes protobuf body into v, a
// pointer to a Go type of package api. A body in another format is a 415
// Status; see bodyError.
func unmarshalBody(r *request, b []byte, v any) error {
	format, err := bodyFormat(r)
	if err != nil {
		return err
	}
	switch format {
	case protobuf.MediaType:
		_, err := protobuf.Unmarshal(b, v)
		return err
	case mediaYAML:
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return err
		}
	}
	return api.Unmarshal(b, v)
}

// bodyError is the Status for an error of unmarshalBody: a Status as it
// is, anything else a 400 saying what could not be read.
func bodyError(err error, what string) error {
	var se *statusError
	if errors.As(err, &se) {
		return se
	}
	return badRequest("%s: %v", what, err)
}

// checkKind requires apiVersion and kind, when given, to be the request's.
func checkKind(r *request, o object) error {
	if k, _ := o["kind"].(string); k != "" && k != r.res.Kind {
		return badRequest("the kind %q of the object does not match the resource %q (expected %q)", k, r.res.Name, r.res.Kind)
	}
	if v, _ := o["apiVersion"].(string); v != "" && v != r.res.GroupVersion() {
		return badRequest("the API version %q of the object does not match the request's %q", v, r.res.GroupVersion())
	}
	o["kind"] = r.res.Kind
	o["apiVersion"] = r.res.GroupVersion()
	return nil
}

// The fieldValidation directives: what to do with fields the kind's
// schema does not declare.
const (
	fieldValidationIgnore = "Ignore" // drop them
	fieldValidationWarn   = "Warn"   // drop them, with a Warning for each
	fieldValidationStrict = "Strict" // reject the request
)

// fieldValidation returns the request's fieldValidation directive: Warn
// when absent, as in Kubernetes. Any other value is Kubernetes' 422 for
// the verb's options.
func fieldValidation(r *request) (string, error) {
	switch v := r.query("fieldValidation"); v {
	case "":
		return fieldValidationWarn, nil
	case fieldValidationIgnore, fieldValidationWarn, fieldValidationStrict:
		return v, nil
	default:
		return "", invalidObject("meta.k8s.io", optionsKind(r), "", field.ErrorList{field.NotSupported(
			field.NewPath("fieldValidation"), v, []string{"", fieldValidationIgnore, fieldValidationStrict, fieldValidationWarn})})
	}
}

// checkFields drops the fields of o that its kind's schema does not
// declare, as Kubernetes' decoding does, and acts on them as the request's
// fieldValidation directive asks: Strict rejects the request, Warn (the
// default) answers with a Warning header for each, Ignore says nothing.
// patchBody is the patch when o is a patch's result (nil otherwise):
// Kubernetes rejects a patch with a 422 naming it rather than the 400 a
// body gets.
func (s *Server) checkFields(r *request, o object, patchBody []byte) error {
	directive, err := fieldValidation(r)
	if err != nil {
		return err
	}
	unknown := unknownFields(o, schemaFor(r.res.Schema), "", true)
	if len(unknown) == 0 {
		return nil
	}
	if directive == fieldValidationWarn {
		for _, u := range unknown {
			addWarning(r.c, fmt.Sprintf("unknown field %q", u))
		}
	}
	if directive != fieldValidationStrict {
		return nil
	}
	msg := fmt.Sprintf("unknown field %q", unknown[0])
	for _, u := range unknown[1:] {
		msg += fmt.Sprintf(", unknown field %q", u)
	}
	if patchBody != nil {
		return invalidObject("", "", "", field.ErrorList{
			field.Invalid(field.NewPath("patch"), string(patchBody), "strict decoding error: "+msg)})
	}
	return badRequest("%s in version %q cannot be handled as a %s: strict decoding error: %s",
		r.res.Kind, r.res.GroupVersion(), r.res.Kind, msg)
}

// validate checks the size of o's stored form (value) and runs the
// resource's validation on o, given as decoded and as encoded, against the stored form of the object
// it replaces (oldValue; nil on create). Taking the encodings the write
// needs anyway saves encoding the objects again to decode them into their
// Go types.
func (s *Server) validate(r *request, o object, value, oldValue []byte) error {
	if err := checkObjectSize(value); err != nil {
		return err
	}
	if r.res.Schema.Typed() {
		if errs := quantityErrors(o, r.res.Schema.Go, nil); len(errs) > 0 {
			return invalid(r.res, nestedString(o, "metadata", "name"), errs)
		}
	}
	typed, err := toTyped(r, value)
	if err != nil {
		return err
	}
	var oldTyped any
	if oldValue != nil {
		if !r.res.StoredAsServed() {
			// The old object as this version serves it, as the new one is.
			if oldValue, err = servedJSON(r.res, oldValue); err != nil {
				return err
			}
		}
		if oldTyped, err = toTyped(r, oldValue); err != nil {
			return err
		}
	}
	validate := r.res.Validate
	if r.ri.Subresource == "status" {
		validate = r.res.ValidateStatus
	}
	if errs := validate(typed, oldTyped); len(errs) > 0 {
		return invalid(r.res, nestedString(o, "metadata", "name"), errs)
	}
	return s.admitAuthz(r, typed, oldTyped)
}

// servedJSON is a stored object's JSON at res's version.
func servedJSON(res *registry.Resource, stored []byte) ([]byte, error) {
	o, err := decodeServed(res, stored, 0)
	if err != nil {
		return nil, err
	}
	return encodeStored(o)
}

// toTyped decodes an object's JSON into the resource's Go type.
func toTyped(r *request, b []byte) (any, error) {
	typed, err := r.res.Schema.DecodeAs(b)
	if err != nil {
		return nil, badRequest("%s in version %q cannot be handled as a %s: %v", r.res.Kind, r.res.GroupVersion(), r.res.Kind, err)
	}
	return typed, nil
}

// guaranteedUpdate re-reads the object of res and applies mutate until the write
// wins: a write that loses a race to another writer (store.ErrConflict) is
// retried against the fresh object, while mutate's own errors, including
// a failed resourceVersion precondition, end it. A mutation that changes
// nothing is not written (no new revision), as in Kubernetes.
//
// mutate gets the current object, decoded (at res's version) and as
// stored, and returns the next one and, if it has it already, its stored
// encoding (nil: encode it here; it is encoded here anyway when res's
// objects are stored at another version).
//
// The first try starts from the hub's newest delivered version of the
// object, if it holds one, instead of reading the store (Kubernetes'
// GuaranteedUpdate does the same with its watch cache): the write's
// compare-and-swap catches a version that is behind, and a try from it
// that fails, or changes nothing, is tried again from the store, since it
// may fail or change nothing only because it is behind.
func (s *Server) guaranteedUpdate(ctx context.Context, res *registry.Resource, key store.Key, mutate mutation) (*store.Record, error) {
	g := s.newGuess()
	for i := 0; ; i++ {
		rec, err := g.current(ctx, key)
		if err != nil {
			return nil, err
		}
		cur, err := decodeServed(res, rec.Value, rec.ResourceVersion)
		if err != nil {
			return nil, err
		}
		next, value, err := mutate(cur, rec.Value)
		if err != nil {
			if g.reread() {
				continue
			}
			return nil, err
		}
		undo := func() {}
		wctx := ctx
		if ares, ok := s.allocatingResource(key.Resource); ok {
			if undo, err = s.allocate(ctx, ares, next, cur, false); err != nil {
				if g.reread() {
					continue
				}
				return nil, err
			}
			value = nil // allocation may have filled in fields
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, allocatedWriteTimeout)
			defer cancel()
		}
		if value == nil || !res.StoredAsServed() {
			if value, err = encodeForStore(res, next); err != nil {
				undo()
				return nil, err
			}
		}
		if string(value) == string(rec.Value) {
			undo()
			if g.reread() {
				continue
			}
			return rec, nil
		}
		out, err := s.deps.Store.Update(wctx, &store.Record{Key: key, UID: rec.UID, Value: value}, rec.ResourceVersion)
		if err != nil {
			undo()
		}
		if (errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict)) && g.reread() {
			continue
		}
		if errors.Is(err, store.ErrConflict) && i < maxUpdateRetries {
			continue
		}
		if err != nil {
			return nil, err
		}
		g.kept()
		s.release(ctx, key.Resource, cur, next)
		return s.finishIfDone(ctx, next, out)
	}
}

// mutation turns the current object (decoded, and as stored) into the
// next one (and, if known, its stored encoding).
type mutation func(cur object, curValue []byte) (next object, nextValue []byte, err error)

// guess is one write's source of the object it changes: the hub's newest
// delivered version while the guess holds, the store's once it is given
// up (reread) or the hub does not hold the object. The write's
// compare-and-swap catches a version that is behind.
type guess struct {
	s  *Server
	on bool
}

func (s *Server) newGuess() *guess { return &guess{s: s, on: s.hub != nil} }

// current returns the object's record, from the hub while the guess holds.
func (g *guess) current(ctx context.Context, key store.Key) (*store.Record, error) {
	if g.on {
		if latest, ok := g.s.hub.Latest(key); ok {
			return &latest, nil
		}
		g.on = false
	}
	return g.s.deps.Store.Get(ctx, key)
}

// reread gives up the guess, if it held: the write is then tried again
// from the store.
func (g *guess) reread() bool {
	if !g.on {
		return false
	}
	g.on = false
	g.s.guesses.reread.Add(1)
	return true
}

// kept counts a write that went through from the hub's version.
func (g *guess) kept() {
	if g.on {
		g.s.guesses.kept.Add(1)
	}
}

// finishIfDone deletes an object that is marked for deletion and has
// nothing left to wait for: no finalizers, nothing its kind waits for
// (Strategy.Finalizing) and no grace period (a pod's kubelet ends its
// grace period with a delete of its own).
func (s *Server) finishIfDone(ctx context.Context, o object, rec *store.Record) (*store.Record, error) {
	meta := metaOf(o)
	if meta["deletionTimestamp"] == nil || len(stringList(meta["finalizers"])) > 0 {
		return rec, nil
	}
	if res, ok := registry.ByStoreName(rec.Key.Resource); ok && res.Finalizing(o) {
		return rec, nil
	}
	if g := fieldString(meta["deletionGracePeriodSeconds"]); g != "" && g != "0" {
		return rec, nil
	}
	del, err := s.deps.Store.Delete(ctx, rec.Key, rec.ResourceVersion)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		// Someone else finished it or changed it; either way it is theirs.
		return rec, nil
	}
	if err == nil {
		s.release(ctx, rec.Key.Resource, o, nil)
	}
	return del, err
}

// checkPrecondition fails with 409 when the client named a
// resourceVersion that is no longer the object's.
func checkPrecondition(r *request, sent, cur object) error {
	want := nestedString(sent, "metadata", "resourceVersion")
	if want == "" || want == nestedString(cur, "metadata", "resourceVersion") {
		return nil
	}
	if _, err := strconv.ParseInt(want, 10, 64); err != nil {
		return badRequest("invalid resourceVersion %q", want)
	}
	return conflict(r.res, r.ri.Name, "the object has been modified; please apply your changes to the latest version and try again")
}

// serverManaged are the metadata fields clients cannot set on update.
var serverManaged = []string{"uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "name", "namespace"}

// prepareUpdate turns the object a client sent into the object to store,
// given the current one: server-managed metadata is kept, the kind's
// strategy prepares it (PrepareForUpdate, or PrepareForStatusUpdate for a
// /status write), generation follows spec changes, and the result is
// validated.
func (s *Server) prepareUpdate(r *request, sent, cur object, curValue []byte, statusOnly bool) (object, []byte, error) {
	if err := checkPrecondition(r, sent, cur); err != nil {
		return nil, nil, err
	}
	if n := nestedString(sent, "metadata", "name"); n != "" && n != r.ri.Name {
		return nil, nil, badRequest("the name of the object (%s) does not match the name on the URL (%s)", n, r.ri.Name)
	}
	if statusOnly {
		next := r.res.PrepareForStatusUpdate(sent, cur)
		if r.applied {
			metaOf(next)["managedFields"] = metaOf(sent)["managedFields"]
		} else if err := s.recordUpdate(r, cur, next); err != nil {
			return nil, nil, err
		}
		return s.validated(r, next, curValue)
	}
	next := sent
	meta, curMeta := metaOf(next), metaOf(cur)
	for _, f := range serverManaged {
		if v, ok := curMeta[f]; ok {
			meta[f] = v
		} else {
			delete(meta, f)
		}
	}
	if curMeta["deletionTimestamp"] != nil {
		for _, f := range stringList(meta["finalizers"]) {
			if !slices.Contains(stringList(curMeta["finalizers"]), f) {
				return nil, nil, newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid,
					fmt.Sprintf("%s %q is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{%q}", r.res.Kind, r.ri.Name, f))
			}
		}
	}
	r.res.PrepareForUpdate(next, cur)
	if isPods(r.res) {
		keepPriority(next, cur)
	}
	ctx := r.c.Request().Context()
	attrs := s.attributes(r, admission.Update, next, cur)
	if err := s.admission.Admit(ctx, attrs); err != nil {
		return nil, nil, err
	}
	if r.res.GenerationChanged(next, cur) {
		g, _ := strconv.ParseInt(fieldString(curMeta["generation"]), 10, 64)
		// metaOf again: the kind's hooks may have replaced the map.
		metaOf(next)["generation"] = json.Number(strconv.FormatInt(g+1, 10))
	}
	if !r.applied {
		if err := s.recordUpdate(r, cur, next); err != nil {
			return nil, nil, err
		}
	}
	next, value, err := s.validated(r, next, curValue)
	if err != nil {
		return nil, nil, err
	}
	if err := s.admission.Validate(ctx, attrs); err != nil {
		return nil, nil, err
	}
	return next, value, nil
}

// validated encodes next as it will be stored and validates it against
// the stored form of the object it replaces.
func (s *Server) validated(r *request, next object, curValue []byte) (object, []byte, error) {
	value, err := encodeStored(next)
	if err != nil {
		return nil, nil, err
	}
	if err := s.validate(r, next, value, curValue); err != nil {
		return nil, nil, err
	}
	return next, value, nil
}

// initMeta sets the server-managed metadata of a new object.
func initMeta(o object, now time.Time, uid string) {
	meta := metaOf(o)
	meta["uid"] = uid
	meta["creationTimestamp"] = now.UTC().Format(time.RFC3339)
	meta["generation"] = json.Number("1")
	for _, f := range []string{"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"} {
		delete(meta, f)
	}
}
