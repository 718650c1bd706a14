package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// pagedStore serves ListPage from pages, then fails with err.
type pagedStore struct {
	Storage
	pages []*store.Page
	err   error
	calls []store.PageOptions
}

func (s *pagedStore) ListPage(_ context.Context, _ store.Prefix, opt store.PageOptions) (*store.Page, error) {
	s.calls = append(s.calls, opt)
	if len(s.pages) == 0 {
		return nil, s.err
	}
	pg := s.pages[0]
	s.pages = s.pages[1:]
	return pg, nil
}

func configMapPage(rev int64, from, n int, more bool) *store.Page {
	pg := &store.Page{Revision: rev, More: more}
	for i := from; i < from+n; i++ {
		name := fmt.Sprintf("cm-%05d", i)
		pg.Records = append(pg.Records, &store.Record{
			Key:             store.Key{Resource: "configmaps", Namespace: "default", Name: name},
			ResourceVersion: rev,
			Value:           []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","namespace":"default"},"data":{"k":"` + strings.Repeat("v", 100) + `"}}`),
		})
	}
	return pg
}

// TestListStreamsChunks: a list without a limit reads the store a chunk at
// a time at the first chunk's revision, uncounted. A store error before
// any byte was written is an ordinary Status; after, the stream is cut
// (http.ErrAbortHandler), never ended as if the list were whole.
func TestListStreamsChunks(t *testing.T) {
	t.Parallel()
	cms, _ := registry.ByKind("ConfigMap")
	serve := func(st *pagedStore) (rec *httptest.ResponseRecorder, err error, aborted bool) {
		s := &Server{deps: Deps{Store: st}, log: zerolog.Nop()}
		req := httptest.NewRequest("GET", "/api/v1/namespaces/default/configmaps", nil)
		rec = httptest.NewRecorder()
		r := &request{c: echo.New().NewContext(req, rec), res: cms, ri: requestInfo{Namespace: "default"}}
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					panic(p)
				}
				aborted = true
			}
		}()
		return rec, s.list(r), false
	}

	st := &pagedStore{pages: []*store.Page{configMapPage(7, 0, unlimitedListChunk, true), configMapPage(7, unlimitedListChunk, 10, false)}}
	rec, err, aborted := serve(st)
	if err != nil || aborted {
		t.Fatalf("list of two chunks: err %v, aborted %v", err, aborted)
	}
	var l struct {
		Items    []map[string]any `json:"items"`
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
		t.Fatalf("list of two chunks is not JSON: %v", err)
	}
	if len(l.Items) != unlimitedListChunk+10 || l.Metadata.ResourceVersion != "7" {
		t.Errorf("list of two chunks: %d items at revision %s; want %d at 7", len(l.Items), l.Metadata.ResourceVersion, unlimitedListChunk+10)
	}
	if len(st.calls) != 2 {
		t.Fatalf("store read %d times; want 2", len(st.calls))
	}
	for i, c := range st.calls {
		if c.Limit != unlimitedListChunk || !c.Uncounted {
			t.Errorf("read %d: %+v; want a chunk of %d, uncounted", i, c, unlimitedListChunk)
		}
	}
	if c := st.calls[1]; c.Revision != 7 || c.After.Name != fmt.Sprintf("cm-%05d", unlimitedListChunk-1) {
		t.Errorf("second read %+v; want revision 7 after the first chunk's last key", c)
	}

	failure := errors.New("disk on fire")
	_, err, aborted = serve(&pagedStore{err: failure})
	if !errors.Is(err, failure) || aborted {
		t.Errorf("failing first read: err %v, aborted %v; want the error, answered as a Status", err, aborted)
	}

	rec, err, aborted = serve(&pagedStore{pages: []*store.Page{configMapPage(7, 0, unlimitedListChunk, true)}, err: failure})
	if !aborted {
		t.Errorf("failing second read: err %v, body of %d bytes; want the stream cut", err, rec.Body.Len())
	}
	if rec.Body.Len() == 0 || json.Valid(rec.Body.Bytes()) {
		t.Errorf("failing second read: %d bytes written, valid JSON %v; want a started, unfinished list", rec.Body.Len(), json.Valid(rec.Body.Bytes()))
	}
}
