package apiserver_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/internal/testenv"
)

// post creates an object without failing the test from a goroutine that is
// not the test's: it returns the error instead.
func post(s *testenv.APIServer, path, body string) error {
	code, b, err := postResult(s, path, body)
	if err != nil {
		return err
	}
	if code != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", path, code, b)
	}
	return nil
}

// TestBookmarksNeverRunAheadOfEvents: a BOOKMARK promises that every
// change up to its resourceVersion has been sent, so a client resuming from
// it loses nothing. With bookmarks every millisecond under concurrent
// writers, every event must come after the last bookmark in revision order.
func TestBookmarksNeverRunAheadOfEvents(t *testing.T) {
	t.Parallel()
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

// fullStatus is a Status with the details clients act on.
type fullStatus struct {
	Kind    string `json:"kind"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Details struct {
		Group  string `json:"group"`
		Kind   string `json:"kind"`
		Causes []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"causes"`
		RetryAfterSeconds int `json:"retryAfterSeconds"`
	} `json:"details"`
}

// TestListWatchQueryParameters: parameters that do not decode are 400
// BadRequest, and options that do not go together 422 Invalid on
// ListOptions.meta.k8s.io, with Kubernetes' messages.
func TestListWatchQueryParameters(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	rv := listRV(t, s, pods)
	for _, tc := range []struct {
		query string
		code  int
		msg   string
	}{
		{"limit=abc", 400, `strconv.ParseInt: parsing "abc": invalid syntax`},
		{"resourceVersion=abc", 400, `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`},
		{"resourceVersion=-1", 400, `resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax`},
		{"timeoutSeconds=soon", 400, `strconv.ParseInt: parsing "soon": invalid syntax`},
		{"watch=true&resourceVersion=abc", 400, `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`},
		{"watch=true&timeoutSeconds=1.5", 400, `strconv.ParseInt: parsing "1.5": invalid syntax`},
		{"watch=true&timeoutSeconds=1&limit=x", 400, `strconv.ParseInt: parsing "x": invalid syntax`},
		{"resourceVersionMatch=Exact", 422, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`},
		{"resourceVersion=0&resourceVersionMatch=Exact", 422, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"`},
		{"resourceVersion=1&resourceVersionMatch=Newest", 422, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""`},
		{"sendInitialEvents=true", 422, `ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list`},
		{"watch=true&resourceVersionMatch=NotOlderThan", 422, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided`},
		{"watch=true&sendInitialEvents=true&resourceVersionMatch=Exact", 422, `ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]`},
		// Valid (paging itself is in list_test.go).
		{"limit=5", 200, ""},
		{"timeoutSeconds=30", 200, ""},
		{"resourceVersion=0", 200, ""},
		{"resourceVersion=0&resourceVersionMatch=NotOlderThan", 200, ""},
		{"resourceVersion=" + rv + "&resourceVersionMatch=Exact", 200, ""},
		{"resourceVersion=" + rv + "&resourceVersionMatch=NotOlderThan", 200, ""},
		// An older revision, which the change log still reaches back to
		// (a compacted one is a 410: list_test.go).
		{"resourceVersion=1&resourceVersionMatch=Exact", 200, ""},
		{"continue=x!", 400, "invalid continue token: continue key is not valid: illegal base64 data at input byte 1"},
		{"continue=abc&resourceVersionMatch=Exact&resourceVersion=1", 422, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := s.Do(t, "GET", pods+"?"+tc.query, nil)
			expect(t, r, tc.code)
			if tc.code == 200 {
				return
			}
			var st fullStatus
			r.JSON(t, &st)
			if st.Message != tc.msg {
				t.Fatalf("message %q, want %q", st.Message, tc.msg)
			}
			if tc.code == 422 && (st.Reason != "Invalid" || st.Details.Kind != "ListOptions" || st.Details.Group != "meta.k8s.io" ||
				len(st.Details.Causes) == 0 || !strings.HasPrefix(st.Details.Causes[0].Field, "resourceVersionMatch") && st.Details.Causes[0].Field != "sendInitialEvents") {
				t.Fatalf("Status %+v, want Invalid ListOptions.meta.k8s.io with causes", st)
			}
		})
	}
}

// checkTooLarge checks Kubernetes' "Too large resource version" Status,
// by which client-go's reflector knows to relist.
func checkTooLarge(t *testing.T, st fullStatus, want int64) {
	t.Helper()
	prefix := fmt.Sprintf("Timeout: Too large resource version: %d, current: ", want)
	if st.Code != 504 || st.Reason != "Timeout" || !strings.HasPrefix(st.Message, prefix) ||
		len(st.Details.Causes) != 1 || st.Details.Causes[0].Reason != "ResourceVersionTooLarge" ||
		st.Details.Causes[0].Message != "Too large resource version" || st.Details.RetryAfterSeconds != 1 {
		t.Fatalf("Status %+v, want 504 Timeout %q… with a ResourceVersionTooLarge cause", st, prefix)
	}
}

// TestFutureResourceVersion: a list or watch from a revision the server
// has not reached waits briefly for it, then answers "Too large resource
// version" (a 504 for a list, an ERROR event for a watch) instead of
// serving older data or staying silent.
func TestFutureResourceVersion(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	cur, _ := strconv.ParseInt(listRV(t, s, pods), 10, 64)
	future := cur + 1000
	futureRV := strconv.FormatInt(future, 10)

	for _, q := range []string{"", "&resourceVersionMatch=NotOlderThan", "&resourceVersionMatch=Exact"} {
		t.Run("list"+q, func(t *testing.T) {
			t.Parallel()
			r := s.Do(t, "GET", pods+"?resourceVersion="+futureRV+q, nil)
			expect(t, r, http.StatusGatewayTimeout)
			if r.Header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
			}
			var st fullStatus
			r.JSON(t, &st)
			checkTooLarge(t, st, future)
		})
	}
	t.Run("watch", func(t *testing.T) {
		t.Parallel()
		w := watchLines(t, s, pods+"?watch=true&resourceVersion="+futureRV)
		ev := nextRaw(t, w)
		b, _ := json.Marshal(ev["object"])
		var st fullStatus
		_ = json.Unmarshal(b, &st)
		if ev["type"] != "ERROR" || st.Kind != "Status" {
			t.Fatalf("event %v, want an ERROR with a Status", ev)
		}
		checkTooLarge(t, st, future)
		if _, ok := <-w; ok {
			t.Fatal("the stream goes on after the ERROR event")
		}
	})
}

// TestWatchFromRevisionAboutToCome: a watch from a revision the server
// reaches within the wait starts there, and a list not older than it sees
// it.
func TestWatchFromRevisionAboutToCome(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	cur, _ := strconv.ParseInt(listRV(t, s, pods), 10, 64)
	next := strconv.FormatInt(cur+1, 10)
	go func() {
		time.Sleep(200 * time.Millisecond) // most likely while the requests below wait (they pass either way)
		for _, name := range []string{"first", "second"} {
			if err := post(s, pods, strings.Replace(podJSON, `"name":"web"`, `"name":"`+name+`"`, 1)); err != nil {
				t.Error(err)
			}
		}
	}()
	w := watchLines(t, s, pods+"?watch=true&resourceVersion="+next)
	if typ, name, _ := nextEvent(t, w); typ != "ADDED" || name != "second" {
		t.Fatalf("first event %s %s, want ADDED second (the change after %s)", typ, name, next)
	}
	r := s.Do(t, "GET", pods+"?resourceVersion="+next+"&resourceVersionMatch=NotOlderThan", nil)
	expect(t, r, http.StatusOK)
}

// metric returns the value of one series on /metrics (0 if absent).
func metric(t *testing.T, s *testenv.APIServer, series string) float64 {
	t.Helper()
	r := s.Do(t, "GET", "/metrics", nil)
	expect(t, r, http.StatusOK)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("series %s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// TestStalledWatcherIsFreed: a client that opens a watch and never reads
// while large events are written is cut off within the stall timeout: its
// handler ends, its watcher leaves the hub, and the events queued for it
// are released. Not parallel: it weighs the whole process's heap.
func TestStalledWatcherIsFreed(t *testing.T) {
	const stall = time.Second
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.StallTimeout = stall
		c.APIServer.WatchCacheBytes = 1 << 20 // the ring holds little
		c.APIServer.WatchQueueBytes = 1 << 30 // so the queue holds what the client did not read
	}})
	const events = "/api/v1/namespaces/default/events"
	const handlers = `apiserver_longrunning_requests{resource="events",verb="watch"}`
	const watchers = "apiserver_registered_watchers"
	// The server's own caches watch already: /readyz, which StartAPIServer
	// waits for, passes only once they have loaded (informer-sync).
	baseWatchers := metric(t, s, watchers)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// A raw TLS client with a tiny receive window that never reads.
	u, _ := url.Parse(s.URL)
	raw, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.(*net.TCPConn).SetReadBuffer(4 << 10)
	cfg := s.HTTP.Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = u.Hostname()
	conn := tls.Client(raw, cfg)
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET %s?watch=true HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", events, u.Host, s.Token); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, 10*time.Second, "the watch to open", func() bool { return metric(t, s, handlers) == 1 })

	const n, size = 16, 1 << 20
	for i := range n {
		ev := fmt.Sprintf(`{"apiVersion":"v1","kind":"Event","metadata":{"name":"big-%d"},"involvedObject":{"kind":"Pod","name":"x","namespace":"default"},"reason":"Big","message":%q}`,
			i, strings.Repeat(strconv.Itoa(i%10), size))
		expect(t, s.Do(t, "POST", events, ev), http.StatusCreated)
	}
	wrote := time.Now()
	controllertest.Eventually(t, 10*stall, "the stalled watch to end", func() bool {
		return metric(t, s, handlers) == 0 && metric(t, s, watchers) == baseWatchers
	})
	t.Logf("stalled watch freed %v after the last write (stall timeout %v)", time.Since(wrote).Round(100*time.Millisecond), stall)

	// What was queued for it (up to n MiB) is garbage now.
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > n*size/2 {
		t.Fatalf("heap grew by %d MiB after the stalled watch ended; %d MiB were written", grown>>20, n*size>>20)
	}
}

// TestQuietWatchOutlivesStallTimeout: a watch over HTTP/2, as the
// components' clients speak it, that gets no event for longer than the
// stall timeout stays open and still delivers the next event. Over HTTP/2
// an expired write deadline resets the stream even when nothing is being
// written, so the deadline must not outlive a finished write.
func TestQuietWatchOutlivesStallTimeout(t *testing.T) {
	t.Parallel()
	const stall = 500 * time.Millisecond
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.StallTimeout = stall
	}})
	tr := s.HTTP.Transport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = true
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/namespaces/default/configmaps?watch=true", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("watch served over %s, want HTTP/2", resp.Proto)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"first"}}`), http.StatusCreated)
	if l, ok := <-lines; !ok || !strings.Contains(l, `"first"`) {
		t.Fatalf("first event %q (open %v)", l, ok)
	}
	time.Sleep(4 * stall) // quiet for longer than the stall timeout
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"second"}}`), http.StatusCreated)
	select {
	case l, ok := <-lines:
		if !ok || !strings.Contains(l, `"second"`) {
			t.Fatalf("after a quiet spell: event %q, stream open %v; want the second ConfigMap", l, ok)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event after a quiet spell")
	}
}
