package apiserver

import (
	"bufio"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/store"
)

// list serves a collection GET: the objects under the request's namespace
// (all of them for a cluster-wide list) that pass the selectors, at one
// store revision that resourceVersion and resourceVersionMatch allow, a
// page at a time with limit and continue (see listPage).
func (s *Server) list(r *request) error {
	o, err := parseListOptions(r, false)
	if err != nil {
		return err
	}
	f, err := newFilter(r)
	if err != nil {
		return err
	}
	ctx, cancel := o.withTimeout(r.c.Request().Context())
	defer cancel()
	p := store.Prefix{Resource: r.res.StoreName(), Namespace: r.ri.Namespace}
	if wantsTable(r.c) {
		var items []map[string]any
		meta, err := s.listPage(ctx, p, r.res.Namespaced, o, f, func(rec *store.Record) error {
			o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
			items = append(items, o)
			return err
		})
		if err != nil {
			return err
		}
		t := r.res.Table(items, r.query("includeObject"), meta.ResourceVersion, time.Now())
		t["metadata"] = meta
		return writeJSON(r.c, http.StatusOK, t)
	}
	// The list is spliced from stored JSON (no object is decoded unless a
	// selector needs it) and written as it is read, the metadata last, so
	// that a list of every pod of a big cluster never sits whole in
	// memory. Until the first bytes leave, an error is still a Status;
	// after, the stream is cut (http.ErrAbortHandler), as Kubernetes'
	// streaming list encoder does, so no client takes it for a whole list.
	out := &lazyResponse{c: r.c}
	w := bufio.NewWriterSize(out, 32<<10)
	w.WriteString(`{"apiVersion":"` + r.res.GroupVersion() + `","items":[`)
	n := 0
	meta, err := s.listPage(ctx, p, r.res.Namespaced, o, f, func(rec *store.Record) error {
		parts, err := servedParts(r.res, rec.Value, rec.ResourceVersion, o.omitManagedFields)
		if err != nil {
			return err
		}
		if n++; n > 1 {
			w.WriteByte(',')
		}
		for _, b := range parts {
			w.Write(b)
		}
		return out.err
	})
	if err == nil {
		var m []byte
		if m, err = json.Marshal(meta); err == nil {
			w.WriteString(`],"kind":"` + r.res.Kind + `List","metadata":`)
			w.Write(m)
			w.WriteString("}\n")
			err = w.Flush()
		}
	}
	switch {
	case err == nil:
		return nil
	case !out.started:
		return err
	default:
		if out.err == nil { // not the client going away
			s.log.Warn().Err(err).Str("path", r.c.Request().URL.Path).Msg("list cut short after its first bytes")
		}
		panic(http.ErrAbortHandler)
	}
}

// lazyResponse writes a 200 JSON response's header with its first bytes,
// so that a handler may still answer with an error until it writes.
type lazyResponse struct {
	c       echo.Context
	started bool
	err     error // the first write error; later writes do nothing
}

func (l *lazyResponse) Write(b []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if !l.started {
		l.started = true
		resp := l.c.Response()
		resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		resp.WriteHeader(http.StatusOK)
	}
	var n int
	n, l.err = l.c.Response().Write(b)
	return n, l.err
}
