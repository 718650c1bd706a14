package apiserver_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestTwoAPIServersShareWatch runs two API servers on one Postgres and one
// Redis: a watch on A sees every write made through B, in revision order.
func TestTwoAPIServersShareWatch(t *testing.T) {
	pg, redis := testenv.Postgres(t), testenv.Redis(t)
	dir := t.TempDir() // shared tokens and CA, as in the HA recipe
	a := testenv.StartAPIServer(t, testenv.Options{Store: pg, Redis: redis, DataDir: dir})
	b := testenv.StartAPIServer(t, testenv.Options{Store: pg, Redis: redis, DataDir: dir})

	const pods = "/api/v1/namespaces/default/pods"
	events := watchLines(t, a, pods+"?watch=true&resourceVersion="+listRV(t, a, pods))
	const n = 50
	for i := 0; i < n; i++ {
		expect(t, b.Do(t, "POST", pods, fmt.Sprintf(`{"metadata":{"name":"p%d"},"spec":{"containers":[{"name":"c","image":"x"}]}}`, i)), http.StatusCreated)
	}
	last := int64(0)
	for i := 0; i < n; i++ {
		typ, name, rv := nextEvent(t, events)
		if typ != "ADDED" || name != fmt.Sprintf("p%d", i) {
			t.Fatalf("event %d: %s %s", i, typ, name)
		}
		r, _ := strconv.ParseInt(rv, 10, 64)
		if r <= last {
			t.Fatalf("revision %d after %d: out of order", r, last)
		}
		last = r
	}

	// B wrote alone, so after its first batch it guessed the revision right
	// and committed on the pipelined fast path; its metrics show that.
	m := b.Do(t, "GET", "/metrics", nil)
	expect(t, m, http.StatusOK)
	pipelined := regexp.MustCompile(`(?m)^minik8s_store_batches_total\{path="pipelined"\} (\d+)$`).FindSubmatch(m.Body)
	if pipelined == nil {
		t.Fatalf("no pipelined batch count in B's metrics:\n%s", m.Body)
	}
	if got, _ := strconv.Atoi(string(pipelined[1])); got < n/2 {
		t.Errorf("B pipelined %d batches of its %d writes, want most", got, n)
	}
}

func listRV(t *testing.T, s *testenv.APIServer, path string) string {
	t.Helper()
	var list struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	r := s.Do(t, "GET", path, nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &list)
	return list.Metadata.ResourceVersion
}
