package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/limits"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// request is one resource request, resolved against the registry.
type request struct {
	c   echo.Context
	ri  requestInfo
	res *registry.Resource
	// applied: the object written is a server-side apply's, whose
	// managedFields the apply set.
	applied bool
	// dryRun: the write is computed, checked and answered, not stored
	// (dryRun=All); set by dispatch, which refuses any other value.
	dryRun bool
}

func (r *request) key() store.Key {
	return store.Key{Resource: r.res.StoreName(), Namespace: r.ri.Namespace, Name: r.ri.Name}
}

func (r *request) query(name string) string { return r.c.QueryParam(name) }

// serveAPI dispatches every request under /api and /apis.
func (s *Server) serveAPI(c echo.Context) error {
	req := c.Request()
	ri, ok := infoOf(c)
	if !ok {
		if req.Method == http.MethodGet && s.crds.discovery().Serve(c) {
			return nil
		}
		return writeStatus(c, newStatus(http.StatusNotFound, api.StatusReasonNotFound,
			"the server could not find the requested resource"))
	}
	res, found := registry.Lookup(ri.Group, ri.Version, ri.Resource)
	if !found {
		res, found = s.crds.lookup(ri.Group, ri.Version, ri.Resource)
	}
	if !found {
		return writeStatus(c, newStatus(http.StatusNotFound, api.StatusReasonNotFound,
			"the server could not find the requested resource"))
	}
	if !res.Namespaced && ri.Namespace != "" && ri.Resource != "namespaces" {
		return writeStatus(c, newStatus(http.StatusNotFound, api.StatusReasonNotFound,
			"the server could not find the requested resource"))
	}
	r := &request{c: c, ri: ri, res: res}
	if res.Deprecation != "" {
		addWarning(c, res.Deprecation)
	}
	err := checkPathSegments(r)
	if err == nil {
		err = s.dispatch(r)
	}
	if err != nil {
		// r.ri.Name, not ri.Name: a create learns its name from the body.
		return s.writeError(c, err, res, r.ri.Name)
	}
	return nil
}

func (s *Server) dispatch(r *request) error {
	if values, ok := r.c.QueryParams()["dryRun"]; ok {
		var err error
		if r.dryRun, err = checkDryRun(optionsKind(r), values); err != nil {
			return err
		}
	}
	if r.ri.Subresource != "" {
		return s.serveSubresource(r)
	}
	if !r.res.HasVerb(r.ri.Verb) {
		return methodNotAllowed()
	}
	if r.res.Measured {
		return s.serveMeasured(r)
	}
	if r.res.Probed {
		return s.serveProbed(r)
	}
	switch r.ri.Verb {
	case "get":
		return s.get(r)
	case "list":
		return s.list(r)
	case "watch":
		return s.watch(r)
	case "create":
		if r.ri.Name != "" {
			return methodNotAllowed()
		}
		if r.res.IsTerminating() {
			// Its CRD is being deleted, as in Kubernetes.
			se := methodNotAllowed()
			se.s.Message = fmt.Sprintf("create is not supported on resources of kind %q", r.res.StoreName())
			return se
		}
		return s.create(r)
	case "update":
		if r.ri.Name == "" {
			return methodNotAllowed() // PUT on a collection
		}
		return s.update(r, false)
	case "patch":
		if r.ri.Name == "" {
			return methodNotAllowed()
		}
		return s.patch(r, false)
	case "delete":
		return s.delete(r)
	case "deletecollection":
		return s.deleteCollection(r)
	}
	return methodNotAllowed()
}

func (s *Server) serveSubresource(r *request) error {
	sub := r.ri.Subresource
	if !r.res.HasSubresource(sub) {
		return newStatus(http.StatusNotFound, api.StatusReasonNotFound, "the server could not find the requested resource")
	}
	switch sub {
	case "status":
		switch r.ri.Verb {
		case "get":
			return s.get(r)
		case "update":
			return s.update(r, true)
		case "patch":
			return s.patch(r, true)
		}
	case "binding":
		if r.ri.Verb == "create" {
			return s.bind(r)
		}
	case "eviction":
		if r.ri.Verb == "create" {
			return s.evict(r)
		}
	case "scale":
		switch r.ri.Verb {
		case "get":
			return s.getScale(r)
		case "update":
			return s.updateScale(r)
		case "patch":
			return s.patchScale(r)
		}
	case "log":
		if r.ri.Verb == "get" {
			return s.podLog(r)
		}
	case "exec", "attach":
		if r.ri.Verb == "create" {
			return s.podStream(r)
		}
	case "portforward":
		if r.ri.Verb == "create" {
			return s.podPortForward(r)
		}
	case "token":
		if r.ri.Verb == "create" {
			return s.createToken(r)
		}
	case "proxy":
		return s.proxy(r)
	}
	return methodNotAllowed()
}

// readBody reads the request body (the limits middleware caps its size).
func readBody(r *request) ([]byte, error) {
	if b, ok := r.c.Request().Body.(*limits.Body); ok {
		return b.ReadAll(), nil // read by the limiter already
	}
	b, err := io.ReadAll(r.c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newStatus(http.StatusRequestEntityTooLarge, api.StatusReasonRequestEntityTooLarge,
				"the request body is too large")
		}
		return nil, badRequest("read body: %v", err)
	}
	return b, nil
}

// writeStatus writes a Status error response.
func writeStatus(c echo.Context, se *statusError) error {
	if se.s.Details != nil && se.s.Details.RetryAfterSeconds > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(se.s.Details.RetryAfterSeconds)))
	}
	b, _ := json.Marshal(se.s)
	return c.JSONBlob(int(se.s.Code), b)
}

// writeJSON writes any value as JSON.
func writeJSON(c echo.Context, code int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.JSONBlob(code, buf.Bytes())
}

// wantsTable reports whether the client asked for a server-side Table
// (kubectl get does).
func wantsTable(c echo.Context) bool {
	for _, part := range strings.Split(c.Request().Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") {
			return true
		}
	}
	return false
}

// writeObject writes one stored object, as JSON or as a one-row Table.
func (s *Server) writeObject(r *request, code int, rec *store.Record) error {
	if wantsTable(r.c) && r.ri.Subresource == "" {
		o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
		if err != nil {
			return err
		}
		return writeJSON(r.c, code, r.res.Table([]map[string]any{o}, r.query("includeObject"),
			strconv.FormatInt(rec.ResourceVersion, 10), time.Now()))
	}
	return writeServed(r.c, code, r.res, rec)
}

// writeServed answers code with rec as res serves it, writing the stored
// value's parts one after the other rather than joining them into one
// more copy of the object (3% of what the process allocated in a rolling
// update at a fifth of all-150k).
func writeServed(c echo.Context, code int, res *registry.Resource, rec *store.Record) error {
	p, err := servedParts(res, rec.Value, rec.ResourceVersion, false)
	if err != nil {
		return err
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	resp.Header().Set(echo.HeaderContentLength, strconv.Itoa(p.len()))
	resp.WriteHeader(code)
	for _, b := range p {
		if len(b) == 0 {
			continue
		}
		if _, err := resp.Write(b); err != nil {
			return err
		}
	}
	return nil
}
