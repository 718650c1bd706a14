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
	t.Parallel()
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

// TestUpdateFromBehindHub: an update starts from the watch hub's newest
// version of its object, which can be behind the store. Two API servers
// share Postgres without Redis, so B's hub learns of A's writes only when
// it polls (every second). Right after a write through A, writes through B
// start from the older version and must still give the answers the store
// gives: a resourceVersion precondition on A's version holds, a patch
// keeps A's change, a patch that changes nothing from B's older version
// does change the stored one, and a delete's precondition on A's version
// holds.
func TestUpdateFromBehindHub(t *testing.T) {
	t.Parallel()
	pg := testenv.Postgres(t)
	dir := t.TempDir()
	a := testenv.StartAPIServer(t, testenv.Options{Store: pg, DataDir: dir})
	b := testenv.StartAPIServer(t, testenv.Options{Store: pg, DataDir: dir})
	const cms = "/api/v1/namespaces/default/configmaps"
	type cm struct {
		Metadata struct {
			ResourceVersion string            `json:"resourceVersion"`
			Labels          map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	merge := []string{"Content-Type", "application/merge-patch+json"}
	rereads := func() float64 { return metric(t, b, `minik8s_update_guesses_total{outcome="reread"}`) }
	// B's hub can catch up (poll) between the two writes on a loaded
	// machine; then the round proves nothing and runs again.
	for round := 0; ; round++ {
		name := fmt.Sprintf("c%d", round)
		before := rereads()
		expect(t, b.Do(t, "POST", cms, `{"metadata":{"name":"`+name+`","labels":{"keep":"1"}},"data":{"k":"0"}}`), http.StatusCreated)
		// B has seen its own create; make sure its hub holds it.
		expect(t, b.Do(t, "PATCH", cms+"/"+name, `{"data":{"k":"1"}}`, merge...), http.StatusOK)

		// 1. A precondition on A's newest version holds on B.
		r := a.Do(t, "PATCH", cms+"/"+name, `{"data":{"k":"2"},"metadata":{"labels":{"keep":null}}}`, merge...)
		expect(t, r, http.StatusOK)
		var fromA cm
		r.JSON(t, &fromA)
		r = b.Do(t, "PUT", cms+"/"+name, `{"metadata":{"name":"`+name+`","resourceVersion":"`+fromA.Metadata.ResourceVersion+`"},"data":{"k":"3"}}`)
		expect(t, r, http.StatusOK)

		// 2. A patch through B keeps what A wrote.
		r = a.Do(t, "PATCH", cms+"/"+name, `{"data":{"a":"x"}}`, merge...)
		expect(t, r, http.StatusOK)
		r = b.Do(t, "PATCH", cms+"/"+name, `{"data":{"b":"y"}}`, merge...)
		expect(t, r, http.StatusOK)
		var got cm
		r.JSON(t, &got)
		if got.Data["a"] != "x" || got.Data["b"] != "y" {
			t.Fatalf("data %v after A's and B's patches, want a=x and b=y", got.Data)
		}

		// 3. A patch that B's older version already satisfies.
		r = a.Do(t, "PATCH", cms+"/"+name, `{"metadata":{"labels":{"keep":"2"}}}`, merge...)
		expect(t, r, http.StatusOK)
		r = b.Do(t, "PATCH", cms+"/"+name, `{"metadata":{"labels":{"keep":null}}}`, merge...)
		expect(t, r, http.StatusOK)
		r = a.Do(t, "GET", cms+"/"+name, nil)
		expect(t, r, http.StatusOK)
		var stored cm
		r.JSON(t, &stored)
		if _, ok := stored.Metadata.Labels["keep"]; ok {
			t.Fatalf("labels %v: B's removal of keep did not reach the store", stored.Metadata.Labels)
		}

		// 4. A delete through B with a precondition on A's newest version.
		beforeDelete := rereads()
		r = a.Do(t, "PATCH", cms+"/"+name, `{"data":{"k":"4"}}`, merge...)
		expect(t, r, http.StatusOK)
		r.JSON(t, &fromA)
		r = b.Do(t, "DELETE", cms+"/"+name, `{"preconditions":{"resourceVersion":"`+fromA.Metadata.ResourceVersion+`"}}`)
		expect(t, r, http.StatusOK)
		expect(t, a.Do(t, "GET", cms+"/"+name, nil), http.StatusNotFound)

		if rereads() > beforeDelete && beforeDelete > before {
			return // B's update and delete did start from a version behind the store
		}
		if round == 4 {
			t.Fatal("B's hub caught up before every write in 5 rounds: nothing was tested")
		}
	}
}
