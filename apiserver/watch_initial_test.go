package apiserver_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
)

// nextRaw returns the next watch event as decoded JSON.
func nextRaw(t *testing.T, ch <-chan map[string]any) map[string]any {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event within 5s")
	}
	return nil
}

// TestWatchSendInitialEvents follows client-go's WatchList protocol: the
// current objects as ADDED, a BOOKMARK annotated
// k8s.io/initial-events-end at the revision they were read at, then live
// changes.
func TestWatchSendInitialEvents(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	var names []string // every pod, in creation order
	create := func(name string) string {
		t.Helper()
		names = append(names, name)
		r := s.Do(t, "POST", pods, strings.Replace(podJSON, `"name":"web"`, `"name":"`+name+`"`, 1))
		expect(t, r, http.StatusCreated)
		var o obj
		r.JSON(t, &o)
		return o.Metadata.ResourceVersion
	}
	rvA := create("a")
	create("b")
	const watchList = "?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"

	for _, tc := range []struct {
		name, query string
	}{
		{"latest", watchList},
		// Unlike a plain watch from rvA, the stream starts with the state
		// (not older than rvA), a included.
		{"not older than", watchList + "&resourceVersion=" + rvA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := watchLines(t, s, pods+tc.query)
			for _, want := range names {
				if typ, name, _ := nextEvent(t, w); typ != "ADDED" || name != want {
					t.Fatalf("initial event %s %s, want ADDED %s", typ, name, want)
				}
			}
			ev := nextRaw(t, w)
			o, _ := ev["object"].(map[string]any)
			m, _ := o["metadata"].(map[string]any)
			ann, _ := m["annotations"].(map[string]any)
			if ev["type"] != "BOOKMARK" || ann["k8s.io/initial-events-end"] != "true" || o["kind"] != "Pod" {
				t.Fatalf("after the initial events: %v, want the initial-events-end BOOKMARK", ev)
			}
			bookmarkRV, _ := strconv.ParseInt(m["resourceVersion"].(string), 10, 64)

			newPod := "c" + strconv.Itoa(len(names))
			rvC := create(newPod)
			typ, name, rv := nextEvent(t, w)
			if n, _ := strconv.ParseInt(rv, 10, 64); typ != "ADDED" || name != newPod || rv != rvC || n <= bookmarkRV {
				t.Fatalf("live event %s %s rv %s (bookmark rv %d), want ADDED of the new pod at rv %s", typ, name, rv, bookmarkRV, rvC)
			}
		})
	}

	t.Run("false", func(t *testing.T) {
		w := watchLines(t, s, pods+"?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan")
		create("d")
		if typ, name, _ := nextEvent(t, w); typ != "ADDED" || name != "d" {
			t.Fatalf("first event %s %s, want ADDED d (no initial events)", typ, name)
		}
	})

	t.Run("without resourceVersionMatch", func(t *testing.T) {
		// Kubernetes' ValidateListOptions: 422 Invalid on ListOptions.
		expect(t, s.Do(t, "GET", pods+"?watch=true&sendInitialEvents=true", nil), http.StatusUnprocessableEntity)
	})
}
