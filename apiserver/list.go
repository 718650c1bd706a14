package apiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

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
	l, err := s.listPage(ctx, p, r.res.Namespaced, o, f)
	if err != nil {
		return err
	}
	if wantsTable(r.c) {
		items := make([]map[string]any, 0, len(l.recs))
		for _, rec := range l.recs {
			o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
			if err != nil {
				return err
			}
			items = append(items, o)
		}
		t := r.res.Table(items, r.query("includeObject"), l.meta.ResourceVersion, time.Now())
		t["metadata"] = l.meta
		return writeJSON(r.c, http.StatusOK, t)
	}
	// Build the list by splicing stored JSON: no object is decoded unless a
	// selector needed it.
	meta, err := json.Marshal(l.meta)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"apiVersion":"` + r.res.GroupVersion() + `","items":[`)
	for i, rec := range l.recs {
		if i > 0 {
			buf.WriteByte(',')
		}
		p, err := servedParts(r.res, rec.Value, rec.ResourceVersion, o.omitManagedFields)
		if err != nil {
			return err
		}
		for _, b := range p {
			buf.Write(b)
		}
	}
	buf.WriteString(`],"kind":"` + r.res.Kind + `List","metadata":`)
	buf.Write(meta)
	buf.WriteString(`}`)
	return r.c.JSONBlob(http.StatusOK, buf.Bytes())
}
