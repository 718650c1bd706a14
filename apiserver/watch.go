package apiserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/store"
)

// watch serves a watch: with resourceVersion N, every change after N; with
// none (or "0"), the current objects as ADDED events, then every change
// after them. sendInitialEvents=true (with resourceVersionMatch=NotOlderThan,
// as client-go's WatchList sends it) always starts with the current objects
// and marks their end with a BOOKMARK annotated
// k8s.io/initial-events-end: "true"; sendInitialEvents=false never does.
// Events are filtered by namespace and selectors; an object that stops
// matching the selectors is sent as DELETED. A revision the change log no
// longer holds ends the stream with an ERROR event carrying a 410 Expired
// Status, as the Kubernetes API server does; a revision the server has not
// reached within 3 s ends it with a 504 "Too large resource version"
// Status, as from Kubernetes' watch cache. With allowWatchBookmarks, a
// BOOKMARK every bookmarkInterval carries a revision that every event
// before it has reached and no event after it will repeat.
func (s *Server) watch(r *request) error {
	o, err := parseListOptions(r, true)
	if err != nil {
		return err
	}
	f, err := newFilter(r)
	if err != nil {
		return err
	}
	ctx, cancel := o.withTimeout(r.c.Request().Context())
	defer cancel()
	from := o.rv
	// Which objects open the stream. Without sendInitialEvents, the
	// current objects when resourceVersion is "" or "0". With true
	// (client-go's WatchList), the current objects, a state not older than
	// resourceVersion, then a BOOKMARK annotated as their end. With false,
	// none: "" or "0" then means from the latest revision.
	initial, endBookmark := from == 0, false
	if o.initialEvents != nil {
		initial, endBookmark = *o.initialEvents, *o.initialEvents
	}
	// A revision this server has not reached: wait a little for it, then
	// end the stream with "Too large resource version", as Kubernetes does,
	// rather than stay silent until it comes.
	var tooLarge error
	if from > 0 {
		tooLarge = s.waitRevision(ctx, from)
		if tooLarge != nil && ctx.Err() != nil {
			return nil
		}
	}
	ws := &watchStream{s: s, r: r, f: f, table: wantsTable(r.c), omitManagedFields: o.omitManagedFields, visible: map[store.Key]bool{}}
	var initialRecs []*store.Record
	switch {
	case tooLarge != nil:
	case initial:
		if initialRecs, from, err = s.deps.Store.List(ctx, store.Prefix{Resource: r.res.StoreName(), Namespace: r.ri.Namespace}, store.ListOptions{}); err != nil {
			return err
		}
	case from == 0:
		if from, err = s.deps.Store.Revision(ctx); err != nil {
			return err
		}
	}
	storeName := r.res.StoreName()
	var w *hub.Watcher
	if tooLarge == nil {
		// A selector that pins the kind's indexed field (a node agent's
		// spec.nodeName=its node) lets the hub offer this watch only the
		// changes of objects with that value, before or after.
		var ix hub.IndexKey
		if field := r.res.WatchIndex; field != "" {
			if v, ok := f.field.Equal(field); ok {
				ix = hub.IndexKey{Resource: storeName, Value: v}
			}
		}
		w, err = s.hub.WatchIndexed(ctx, from, func(c *store.Change) bool {
			return c.Resource == storeName && (f.namespace == "" || c.Namespace == f.namespace)
		}, ix)
		if err != nil && !errors.Is(err, store.ErrCompacted) {
			return err
		}
	}

	resp := r.c.Response()
	resp.Header().Set("Content-Type", "application/json")
	resp.Header().Set("Cache-Control", "no-cache, private")
	resp.WriteHeader(http.StatusOK)
	// A client that stops reading fails the next write within
	// StallTimeout, which ends this handler and frees its watcher.
	sw := newStallWriter(resp, s.cfg.StallTimeout)
	defer sw.Done()
	// 8 KB gathers a few events per write; a watch stream lives long and a
	// quiet `minik8s all` holds about a hundred.
	ws.out = bufio.NewWriterSize(sw, 8<<10)
	ws.flush = func() {
		if ws.err == nil {
			ws.err = ws.out.Flush()
		}
		if ws.err == nil {
			ws.err = sw.FlushError()
		}
	}
	switch {
	case tooLarge != nil:
		ws.writeError(toStatus(tooLarge, nil, ""))
		return nil
	case err != nil:
		ws.writeExpired(from)
		return nil
	}
	defer w.Stop()
	for _, rec := range initialRecs {
		if err := ws.send(store.Change{Revision: rec.ResourceVersion, Type: store.Added, Record: *rec}); err != nil {
			return nil
		}
	}
	if endBookmark {
		ws.writeBookmark(from, true)
	}
	if ws.flush(); ws.err != nil {
		return nil
	}

	var bookmarks <-chan time.Time
	if o.bookmarks {
		t := time.NewTicker(s.cfg.BookmarkInterval)
		defer t.Stop()
		bookmarks = t.C
	}
	for {
		select {
		case c, ok := <-w.Events():
			if !ok {
				if errors.Is(w.Err(), store.ErrCompacted) {
					ws.writeExpired(from)
				}
				return nil
			}
			if c.Type == hub.Bookmark {
				ws.writeBookmark(c.Revision, false)
			} else if err := ws.send(c); err != nil {
				return nil
			}
			if len(w.Events()) == 0 {
				ws.flush()
			}
			if ws.err != nil {
				return nil
			}
		case <-bookmarks:
			// The bookmark comes back on w.Events() behind every change
			// queued before it, so it never runs ahead of them.
			w.RequestBookmark()
		case <-ctx.Done():
			ws.flush()
			return nil
		case <-r.res.Removed:
			// The kind is no longer served (its CRD was deleted).
			ws.flush()
			return nil
		}
	}
}

// watchStream writes one watch's events.
type watchStream struct {
	s     *Server
	r     *request
	f     *filter
	table bool
	// omitManagedFields leaves metadata.managedFields out of the objects
	// sent (see listOptions).
	omitManagedFields bool
	out               *bufio.Writer
	flush             func()
	// visible holds the keys the client currently sees through its
	// selectors, so that an object leaving them is sent as DELETED.
	visible map[store.Key]bool
	err     error
}

// send writes the event a change becomes for this client, if any.
func (ws *watchStream) send(c store.Change) error {
	typ := string(c.Type)
	var o object
	if ws.table || ws.f.needsObject() && rewritesOnRead(ws.r.res) {
		var err error
		if o, err = decodeServed(ws.r.res, c.Value, c.ResourceVersion); err != nil {
			return err
		}
	}
	if ws.f.needsObject() {
		var match bool
		if o != nil {
			match = ws.f.matches(o)
		} else {
			// Served as stored: the selectors read the stored JSON, once
			// for every watcher of this change.
			a, err := ws.s.selectAttrs.get(ws.r.res, &c)
			if err != nil {
				return err
			}
			match = ws.f.matchesAttrs(a)
		}
		was := ws.visible[c.Key]
		switch {
		case c.Type == store.Deleted:
			if !match && !was {
				return nil
			}
			delete(ws.visible, c.Key)
		case match:
			ws.visible[c.Key] = true
			if c.Type == store.Modified && !was {
				typ = string(store.Added)
			}
		case was:
			delete(ws.visible, c.Key)
			typ = string(store.Deleted)
		default:
			return nil
		}
	}
	if ws.table {
		t := ws.r.res.Table([]map[string]any{o}, ws.r.query("includeObject"), strconv.FormatInt(c.ResourceVersion, 10), time.Now())
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		ws.writeEvent(typ, body)
		return ws.err
	}
	// The stored value goes out as it is, in parts around its
	// resourceVersion: one change reaches many watchers, which find its
	// managedFields once, with its selectors' attributes.
	span := managedFieldsSpan
	if ws.omitManagedFields && !rewritesOnRead(ws.r.res) {
		a, err := ws.s.selectAttrs.get(ws.r.res, &c)
		if err != nil {
			return err
		}
		span = func([]byte) (int, int, bool) { return a.managedFrom, a.managedTo, a.managed }
	}
	p, err := servedPartsOf(ws.r.res, c.Value, c.ResourceVersion, ws.omitManagedFields, span)
	if err != nil {
		return err
	}
	ws.writeEvent(typ, p[:]...)
	return ws.err
}

// writeEvent writes one event whose object is the parts of obj, joined.
// The buffered writer keeps its first error, which the last write returns.
func (ws *watchStream) writeEvent(typ string, obj ...[]byte) {
	if ws.err != nil {
		return
	}
	ws.out.WriteString(`{"type":"`)
	ws.out.WriteString(typ)
	ws.out.WriteString(`","object":`)
	for _, part := range obj {
		ws.out.Write(part)
	}
	_, ws.err = ws.out.WriteString("}\n")
}

// writeBookmark writes a BOOKMARK event at revision rev; initialEnd marks
// it as the end of the initial events, as client-go's WatchList expects.
func (ws *watchStream) writeBookmark(rev int64, initialEnd bool) {
	annotations := ""
	if initialEnd {
		annotations = `,"annotations":{"k8s.io/initial-events-end":"true"}`
	}
	ws.writeEvent("BOOKMARK", []byte(`{"kind":"`+ws.r.res.Kind+`","apiVersion":"`+ws.r.res.GroupVersion()+
		`","metadata":{"resourceVersion":"`+strconv.FormatInt(rev, 10)+`"`+annotations+`}}`))
}

// writeExpired ends the stream with the 410 Expired ERROR event.
func (ws *watchStream) writeExpired(from int64) {
	ws.writeError(newStatus(http.StatusGone, api.StatusReasonExpired,
		"too old resource version: "+strconv.FormatInt(from, 10)))
}

// writeError ends the stream with an ERROR event carrying se.
func (ws *watchStream) writeError(se *statusError) {
	b, _ := json.Marshal(se.s)
	ws.writeEvent("ERROR", b)
	ws.flush()
}
