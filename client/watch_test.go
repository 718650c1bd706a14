package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

// collect reads ch until it closes (or a deadline passes).
func collect[T any](t *testing.T, ch <-chan WatchEvent[T]) []WatchEvent[T] {
	t.Helper()
	var evs []WatchEvent[T]
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-timeout:
			t.Fatalf("watch channel not closed; got %d events", len(evs))
		}
	}
}

func TestWatchDecodesStream(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		for _, line := range []string{
			`{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"11"}}}`,
			`{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"12"},"spec":{"nodeName":"n1"}}}`,
			`{"type":"SOMETHING_NEW","object":{}}`,
			`{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"20"}}}`,
			`{"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"21"}}}`,
			`{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 5 (15)"}}`,
			`{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"after-error"}}}`,
		} {
			fmt.Fprintln(w, line)
			w.(http.Flusher).Flush()
		}
	})
	c, _ := newTestClient(t, s)
	ch, err := c.Pods("ns1").Watch(context.Background(), ListOptions{LabelSelector: "app=web", FieldSelector: "spec.nodeName=n1", TimeoutSeconds: 300}, 10)
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, ch)

	want := []struct {
		typ  EventType
		name string
		rv   int64
	}{{Added, "a", 11}, {Modified, "a", 12}, {Bookmark, "", 20}, {Deleted, "a", 21}, {Error, "", 0}}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		ev := evs[i]
		if ev.Type != w.typ {
			t.Fatalf("event %d type %s, want %s", i, ev.Type, w.typ)
		}
		if w.typ == Error {
			if !IsGone(ev.Err) || ev.Object != nil {
				t.Fatalf("ERROR event: %+v, want a Gone error", ev)
			}
			continue
		}
		if ev.Err != nil || ev.Object.Name != w.name || ResourceVersion(ev.Object) != w.rv {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
	if evs[1].Object.Spec.NodeName != "n1" {
		t.Fatalf("object not decoded: %+v", evs[1].Object)
	}

	q, _ := url.ParseQuery(s.requests()[0].Query)
	for k, v := range map[string]string{
		"watch": "true", "resourceVersion": "10", "allowWatchBookmarks": "true",
		"labelSelector": "app=web", "fieldSelector": "spec.nodeName=n1", "timeoutSeconds": "300",
	} {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if s.requests()[0].Path != "/api/v1/namespaces/ns1/pods" {
		t.Errorf("path %s", s.requests()[0].Path)
	}
}

func TestWatchStartErrors(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 410, `{"kind":"Status","reason":"Expired","code":410}`)
	})
	c, _ := newTestClient(t, s)
	if _, err := c.Nodes().Watch(context.Background(), ListOptions{}, 3); !IsGone(err) {
		t.Fatalf("err = %v, want Gone", err)
	}
}

func TestWatchFromZeroOmitsResourceVersion(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	c, _ := newTestClient(t, s)
	ch, err := c.Nodes().Watch(context.Background(), ListOptions{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, ch); len(evs) != 0 {
		t.Fatalf("events from an empty stream: %+v", evs)
	}
	if q, _ := url.ParseQuery(s.requests()[0].Query); q.Has("resourceVersion") {
		t.Fatalf("query %v has a resourceVersion", q)
	}
}

func TestWatchReportsGarbage(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"type":"ADDED","object":{"metadata":{"name":"a"}}}`+"\n"+`{"type":"ADDED",`)
	})
	c, _ := newTestClient(t, s)
	ch, err := c.Nodes().Watch(context.Background(), ListOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, ch)
	if len(evs) != 2 || evs[0].Type != Added || evs[1].Type != Error || evs[1].Err == nil || IsGone(evs[1].Err) {
		t.Fatalf("events %+v, want ADDED then a decode error", evs)
	}
}

func TestWatchStopsOnCancel(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"ADDED","object":{"metadata":{"name":"a"}}}`)
		w.(http.Flusher).Flush()
		select { // keep the stream open
		case <-r.Context().Done():
		case <-stop:
		}
	})
	c, _ := newTestClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := c.Nodes().Watch(ctx, ListOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.Type != Added {
		t.Fatalf("first event %+v", ev)
	}
	cancel()
	if evs := collect(t, ch); len(evs) != 0 {
		t.Fatalf("events after cancel: %+v", evs)
	}
}

func TestWatchIsNotRateLimitedWhileStreaming(t *testing.T) {
	const n = 200
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := range n {
			fmt.Fprintf(w, `{"type":"ADDED","object":{"metadata":{"name":"p%d","resourceVersion":"%d"}}}`+"\n", i, i+1)
		}
	})
	// One token, refilled every 1000 s: the watch takes it to start.
	c, err := New(Config{Server: s.URL, QPS: 0.001, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Pods("").Watch(context.Background(), ListOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, ch); len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	// The bucket is empty now: another request must wait.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Pods("ns").Get(ctx, "p"); err == nil {
		t.Fatal("request with an empty token bucket went through")
	}
}

func TestListWatchAdapter(t *testing.T) {
	s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") == "true" {
			w.WriteHeader(200)
			return
		}
		writeJSON(w, 200, `{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"n1"}}]}`)
	})
	c, _ := newTestClient(t, s)
	lw := ListWatch(c.Nodes(), ListOptions{LabelSelector: "role=worker", FieldSelector: "metadata.name=n1"})
	// Selectors passed by the caller are replaced by the adapter's.
	items, rv, err := lw.List(context.Background(), ListOptions{LabelSelector: "ignored"})
	if err != nil || rv != 9 || len(items) != 1 || items[0].Name != "n1" {
		t.Fatalf("List = %v, %d, %v", items, rv, err)
	}
	ch, err := lw.Watch(context.Background(), ListOptions{TimeoutSeconds: 60}, 9)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, ch)
	for i, r := range s.requests() {
		q, _ := url.ParseQuery(r.Query)
		if q.Get("labelSelector") != "role=worker" || q.Get("fieldSelector") != "metadata.name=n1" {
			t.Errorf("request %d query %q lacks the adapter's selectors", i, r.Query)
		}
	}
	if q, _ := url.ParseQuery(s.requests()[1].Query); q.Get("timeoutSeconds") != "60" || q.Get("resourceVersion") != "9" {
		t.Errorf("watch query %q", s.requests()[1].Query)
	}
}

var _ ListerWatcher[*api.Pod] = (*PodClient)(nil)

// TestWatchEventShapes: an event of a type this client does not know is
// skipped; an event without an object, or whose object does not fit the
// kind, ends the stream with a decode error.
func TestWatchEventShapes(t *testing.T) {
	for _, tt := range []struct {
		name, stream string
		want         []EventType
	}{
		{"unknown type skipped", `{"type":"SOMEDAY","object":{"anything":[1]}}` + "\n" + `{"type":"ADDED","object":{"metadata":{"name":"a"}}}`, []EventType{Added}},
		{"no object", `{"type":"MODIFIED"}`, []EventType{Error}},
		{"null object", `{"type":"DELETED","object":null}`, []EventType{Error}},
		{"object of another shape", `{"type":"ADDED","object":{"metadata":7}}` + "\n" + `{"type":"ADDED","object":{"metadata":{"name":"b"}}}`, []EventType{Error}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				io.WriteString(w, tt.stream+"\n")
			})
			c, _ := newTestClient(t, s)
			ch, err := c.Nodes().Watch(context.Background(), ListOptions{}, 1)
			if err != nil {
				t.Fatal(err)
			}
			var got []EventType
			for _, ev := range collect(t, ch) {
				got = append(got, ev.Type)
				if ev.Type == Error && (ev.Err == nil || IsGone(ev.Err)) {
					t.Fatalf("error event %+v, want a decode error", ev)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkDecodeWatch decodes a stream of pod events as an informer reads
// them.
func BenchmarkDecodeWatch(b *testing.B) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default","uid":"1e856983-fb6a-4090-867f-a7656abb8a84","resourceVersion":"7","labels":{"app":"web"}},` +
		`"spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m"}}}]},` +
		`"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-12-05T05:14:09Z"}],"podIP":"10.244.0.7"}}`
	line := []byte(`{"type":"MODIFIED","object":` + pod + "}\n")
	stream := bytes.Repeat(line, b.N)
	ch := make(chan WatchEvent[*api.Pod], 64)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for range ch {
		}
	}()
	decodeWatch(context.Background(), bytes.NewReader(stream), ch, false)
	close(ch)
}

// TestWatchReturnsSharedObjects: with Shared, an event or list item whose
// object the process keeps already at that version (api.Share) is not
// decoded: the kept object is returned. Other versions, events without a
// UID and callers without Shared get objects of their own.
func TestWatchReturnsSharedObjects(t *testing.T) {
	kept := &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "kept", UID: "u-watch-shared", ResourceVersion: "7"}}
	kept = api.Share(api.Version{APIVersion: "v1", UID: "u-watch-shared", ResourceVersion: "7"}, kept)
	obj := func(name, uid, rv string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","namespace":"default","uid":"` + uid + `","resourceVersion":"` + rv + `"}}`
	}
	stream := `{"type":"MODIFIED","object":` + obj("kept", "u-watch-shared", "7") + "}\n" +
		`{"type":"DELETED","object":` + obj("kept", "u-watch-shared", "7") + "}\n" +
		`{"type":"MODIFIED","object":` + obj("kept", "u-watch-shared", "8") + "}\n" +
		`{"type":"BOOKMARK","object":{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"7"}}}` + "\n"
	for _, shared := range []bool{true, false} {
		ch := make(chan WatchEvent[*api.Pod], 8)
		decodeWatch(context.Background(), strings.NewReader(stream), ch, shared)
		close(ch)
		var got []WatchEvent[*api.Pod]
		for ev := range ch {
			got = append(got, ev)
		}
		if len(got) != 4 {
			t.Fatalf("shared=%v: %d events, want 4", shared, len(got))
		}
		for i, ev := range got {
			if want := shared && i < 2; (ev.Object == kept) != want {
				t.Errorf("shared=%v: event %d (%s at %s) is the kept object: %v, want %v", shared, i, ev.Type, ev.Object.ResourceVersion, ev.Object == kept, want)
			}
		}
		if got[1].Type != Deleted || got[2].Object.ResourceVersion != "8" {
			t.Errorf("shared=%v: events mixed up: %+v", shared, got)
		}
	}
	runtime.KeepAlive(kept)
}
