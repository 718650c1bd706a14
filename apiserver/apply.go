package apiserver

import (
	"errors"

	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/fieldmanager"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// fieldManagers holds each served resource's fieldmanager.Manager, built
// from its declaration on first use.
var fieldManagers sync.Map // *registry.Resource -> *fieldmanager.Manager

// fieldManagerOf returns the Manager of res: from its Go type, or from a
// custom resource version's structural schema.
func fieldManagerOf(res *registry.Resource) *fieldmanager.Manager {
	if m, ok := fieldManagers.Load(res); ok {
		return m.(*fieldmanager.Manager)
	}
	hasStatus := res.HasSubresource("status")
	var m *fieldmanager.Manager
	if st := res.Schema.Structural; st != nil {
		m = fieldmanager.ForStructural(st.Schema, res.GroupVersion(), hasStatus)
	} else {
		m = fieldmanager.ForGo(res.Schema.Go, res.GroupVersion(), hasStatus)
	}
	actual, _ := fieldManagers.LoadOrStore(res, m)
	return actual.(*fieldmanager.Manager)
}

// optionsKind is the kind of the verb's options, as Kubernetes names it
// in errors about them.
func optionsKind(r *request) string {
	switch r.ri.Verb {
	case "create":
		return "CreateOptions"
	case "update":
		return "UpdateOptions"
	case "delete", "deletecollection":
		return "DeleteOptions"
	}
	return "PatchOptions"
}

// checkDryRun reads a request's dryRun values (the query's, or a
// DeleteOptions body's): a dry run if there are any, each "All". Anything
// else is Kubernetes' 422 on the verb's options (kind): a client asking
// for a dry run this server does not know must not get a real write.
func checkDryRun(kind string, values []string) (bool, error) {
	for _, v := range values {
		if v != "All" {
			return false, invalidObject("meta.k8s.io", kind, "", field.ErrorList{
				field.NotSupported(field.NewPath("dryRun"), values, []string{"All"})})
		}
	}
	return len(values) > 0, nil
}

// managerName is the field manager of a write: the fieldManager parameter,
// else the first segment of the User-Agent, as Kubernetes does.
func managerName(r *request) (string, error) {
	m := r.query("fieldManager")
	if m == "" {
		ua := r.c.Request().UserAgent()
		m, _, _ = strings.Cut(ua, "/")
		if len(m) > 128 {
			m = m[:128]
		}
		return m, nil
	}
	p := field.NewPath("fieldManager")
	if len(m) > 128 {
		return "", invalidObject("meta.k8s.io", optionsKind(r), "", field.ErrorList{field.TooLong(p, 128)})
	}
	for _, c := range m {
		if !unicode.IsPrint(c) {
			return "", invalidObject("meta.k8s.io", optionsKind(r), "", field.ErrorList{
				field.Invalid(p, m, "must only contain printable characters")})
		}
	}
	return m, nil
}

// recordUpdate records in next's managedFields what the request's manager
// changed from cur (nil on create). managedFields a client sent that
// Kubernetes would reject are a 422; a failure to compute them is logged
// and leaves them as they were (Kubernetes' UpdateNoErrors).
func (s *Server) recordUpdate(r *request, cur, next object) error {
	if errs := fieldmanager.Validate(next); len(errs) > 0 {
		return invalid(r.res, nestedString(next, "metadata", "name"), errs)
	}
	manager, err := managerName(r)
	if err != nil {
		return err
	}
	sub := r.ri.Subresource
	if err := fieldManagerOf(r.res).Update(cur, next, manager, sub, time.Now()); err != nil {
		s.requestLog(r.c).Warn().Err(err).Str("resource", r.res.StoreName()).Msg("managedFields not updated")
		if cur != nil {
			if mf, ok := metaOf(cur)["managedFields"]; ok {
				metaOf(next)["managedFields"] = registry.DeepCopy(mf)
			}
		}
	}
	return nil
}

// apply serves a server-side apply (PATCH application/apply-patch+yaml):
// the body is the manager's whole intent for the object; it is merged by
// the kind's schema, fields the manager applied before and left out now
// go, and a change to a field another manager owns is a 409 unless
// force=true. The object is created when missing.
func (s *Server) apply(r *request, statusOnly bool) error {
	manager := r.query("fieldManager")
	if manager == "" {
		return invalidObject("meta.k8s.io", "PatchOptions", "", field.ErrorList{
			field.Required(field.NewPath("fieldManager"), "is required for apply patch")})
	}
	if _, err := managerName(r); err != nil {
		return err
	}
	var force bool
	switch f := r.query("force"); f {
	case "", "false":
	case "true":
		force = true
	default:
		return badRequest("invalid value for force: %q", f)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		return badRequest("error decoding YAML: %v", err)
	}
	p, err := decodeObject(js)
	if err != nil {
		return badRequest("error decoding YAML: %v", err)
	}
	if v, _ := p["apiVersion"].(string); v != r.res.GroupVersion() {
		return badRequest("Incorrect version specified in apply patch. Specified patch version: %s, expected: %s", v, r.res.GroupVersion())
	}
	if k, _ := p["kind"].(string); k != r.res.Kind {
		return badRequest("Incorrect kind specified in apply patch. Specified patch kind: %s, expected: %s", k, r.res.Kind)
	}
	if _, ok := p["metadata"].(map[string]any); !ok && p["metadata"] != nil {
		return badRequest("error decoding YAML: metadata must be an object")
	}
	meta := metaOf(p)
	if n, ok := meta["name"]; ok {
		if ns, _ := n.(string); ns != r.ri.Name {
			return badRequest("the name of the object (%v) does not match the name on the URL (%s)", n, r.ri.Name)
		}
	}
	if ns, ok := meta["namespace"]; ok && r.res.Namespaced {
		if s, _ := ns.(string); s != r.ri.Namespace {
			return badRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if err := s.checkFields(r, p, body); err != nil {
		return err
	}
	fm := fieldManagerOf(r.res)
	sub := ""
	if statusOnly {
		sub = "status"
	}
	applyTo := func(cur object) (object, error) {
		merged, err := fm.Apply(cur, registry.DeepCopy(p).(map[string]any), manager, sub, force, time.Now())
		var c *fieldmanager.Conflicts
		switch {
		case errors.As(err, &c):
			st := newStatus(http.StatusConflict, api.StatusReasonConflict, c.Message())
			st.s.Details = &api.StatusDetails{}
			for _, cause := range c.Causes() {
				st.s.Details.Causes = append(st.s.Details.Causes, api.StatusCause{Type: "FieldManagerConflict", Message: cause.Message, Field: cause.Field})
			}
			return nil, st
		case errors.Is(err, fieldmanager.ErrBadRequest):
			return nil, badRequest("%s", strings.TrimPrefix(err.Error(), fieldmanager.ErrBadRequest.Error()+": "))
		case err != nil:
			return nil, err
		}
		return merged, nil
	}
	r.applied = true
	mutate := func(cur object, curValue []byte) (object, []byte, error) {
		merged, err := applyTo(cur)
		if err != nil {
			return nil, nil, err
		}
		if err := checkKind(r, merged); err != nil {
			return nil, nil, err
		}
		return s.prepareUpdate(r, merged, cur, curValue, statusOnly)
	}
	var rec *store.Record
	if r.dryRun {
		err = s.dryRunUpdate(r, mutate)
	} else {
		rec, err = s.guaranteedUpdate(r.c.Request().Context(), r.res, r.key(), mutate)
	}
	if errors.Is(err, store.ErrNotFound) && !statusOnly {
		empty := object{"apiVersion": r.res.GroupVersion(), "kind": r.res.Kind, "metadata": map[string]any{"name": r.ri.Name}}
		if r.res.Namespaced {
			metaOf(empty)["namespace"] = r.ri.Namespace
		}
		merged, err := applyTo(empty)
		if err != nil {
			return err
		}
		if err := checkKind(r, merged); err != nil {
			return err
		}
		return s.createObject(r, merged)
	}
	if err != nil || rec == nil {
		return err
	}
	return s.writeObject(r, http.StatusOK, rec)
}
