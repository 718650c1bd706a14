package apiserver_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// post creates an object without failing the test from a goroutine that is
// not the test's: it returns the error instead.
func post(s *testenv.APIServer, path, body string) error {
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %d", path, resp.StatusCode)
	}
	return nil
}

// TestBookmarksNeverRunAheadOfEvents: a BOOKMARK promises that every
// change up to its resourceVersion has been sent, so a client resuming from
// it loses nothing. With bookmarks every millisecond under concurrent
// writers, every event must come after the last bookmark in revision order.
func TestBookmarksNeverRunAheadOfEvents(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.BookmarkInterval = time.Millisecond
	}})
	const pods = "/api/v1/namespaces/default/pods"
	w := watchLines(t, s, pods+"?watch=true&allowWatchBookmarks=true&resourceVersion="+listRV(t, s, pods))

	const writers, perWriter = 4, 75
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWriter {
				body := strings.Replace(podJSON, `"name":"web"`, fmt.Sprintf(`"name":"w%d-%d"`, i, j), 1)
				if err := post(s, pods, body); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	var lastBookmark, lastEvent int64
	bookmarks := 0
	for added := 0; added < writers*perWriter; {
		ev := nextRaw(t, w)
		o, _ := ev["object"].(map[string]any)
		m, _ := o["metadata"].(map[string]any)
		rv, err := strconv.ParseInt(fmt.Sprint(m["resourceVersion"]), 10, 64)
		if err != nil {
			t.Fatalf("event without a resourceVersion: %v", ev)
		}
		switch ev["type"] {
		case "BOOKMARK":
			if rv < lastEvent || rv < lastBookmark {
				t.Fatalf("BOOKMARK at rv %d after an event at rv %d and a bookmark at rv %d", rv, lastEvent, lastBookmark)
			}
			lastBookmark = rv
			bookmarks++
		case "ADDED":
			if rv <= lastBookmark {
				t.Fatalf("ADDED %v at rv %d after a BOOKMARK at rv %d: a client resuming from the bookmark loses it", m["name"], rv, lastBookmark)
			}
			lastEvent = rv
			added++
		default:
			t.Fatalf("unexpected event %v", ev)
		}
	}
	wg.Wait()
	if bookmarks == 0 {
		t.Fatal("no BOOKMARK arrived")
	}
}
