package apiserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

func TestWatchBelowCompactionIsGone(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.StoreTuning.CompactWindow = 5
		c.APIServer.CompactInterval = 20 * time.Millisecond
	}})
	const pods = "/api/v1/namespaces/default/pods"
	for i := 0; i < 20; i++ {
		expect(t, s.Do(t, "POST", pods, fmt.Sprintf(`{"metadata":{"name":"p%d"},"spec":{"containers":[{"name":"c","image":"x"}]}}`, i)), http.StatusCreated)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ch := watchLines(t, s, pods+"?watch=true&resourceVersion=1")
		ev := <-ch
		if ev["type"] == "ERROR" {
			obj := ev["object"].(map[string]any)
			if obj["code"] != float64(410) || obj["reason"] != "Expired" {
				t.Fatalf("error event: %v", obj)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 410 after compaction; first event %v", ev)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRateLimitAndBodyLimit(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.QPS = 1
		c.APIServer.Limits.Burst = 3
		c.APIServer.Limits.MaxBodyBytes = 1 << 10
	}})
	var limited *testenv.Response
	for i := 0; i < 10 && limited == nil; i++ {
		if r := s.Do(t, "GET", "/api/v1/namespaces", nil); r.Code == http.StatusTooManyRequests {
			limited = r
		}
	}
	if limited == nil {
		t.Fatal("no 429 after the burst")
	}
	if limited.Header.Get("Retry-After") == "" || !strings.Contains(string(limited.Body), `"reason":"TooManyRequests"`) {
		t.Fatalf("429 without Retry-After or Status: %v %s", limited.Header, limited.Body)
	}
	time.Sleep(1100 * time.Millisecond)
	big := `{"metadata":{"name":"big","annotations":{"a":"` + strings.Repeat("x", 2<<10) + `"}}}`
	r := s.Do(t, "POST", "/api/v1/namespaces", big)
	if r.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d %s", r.Code, r.Body)
	}
}
