package apiserver

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/store"
)

// list serves a collection GET: every object under the request's
// namespace (all of them for a cluster-wide list) that passes the
// selectors, at one store revision that resourceVersion and
// resourceVersionMatch allow (see listAt).
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
	recs, rev, err := s.listAt(ctx, store.Prefix{Resource: r.res.StoreName(), Namespace: r.ri.Namespace}, o)
	if err != nil {
		return err
	}
	rv := strconv.FormatInt(rev, 10)
	if wantsTable(r.c) {
		items := make([]map[string]any, 0, len(recs))
		for _, rec := range recs {
			o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
			if err != nil {
				return err
			}
			if f.matches(o) {
				items = append(items, o)
			}
		}
		return writeJSON(r.c, http.StatusOK, r.res.Table(items, r.query("includeObject"), rv, time.Now()))
	}
	// Build the list by splicing stored JSON: no object is decoded unless a
	// selector needs it.
	var buf bytes.Buffer
	buf.WriteString(`{"apiVersion":"` + r.res.GroupVersion() + `","items":[`)
	n := 0
	for _, rec := range recs {
		if f.needsObject() {
			o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
			if err != nil {
				return err
			}
			if !f.matches(o) {
				continue
			}
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		if !rewritesOnRead(r.res) {
			buf.Write(withRV(rec.Value, rec.ResourceVersion))
		} else {
			body, err := servedJSON(r.res, rec.Value, rec.ResourceVersion)
			if err != nil {
				return err
			}
			buf.Write(body)
		}
		n++
	}
	buf.WriteString(`],"kind":"` + r.res.Kind + `List","metadata":{"resourceVersion":"` + rv + `"}}`)
	return r.c.JSONBlob(http.StatusOK, buf.Bytes())
}
