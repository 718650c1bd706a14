package apiserver_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
)

const podJSON = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},
 "spec":{"containers":[{"name":"c","image":"nginx:1.27","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`

type meta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	ResourceVersion   string            `json:"resourceVersion"`
	Generation        int64             `json:"generation"`
	CreationTimestamp string            `json:"creationTimestamp"`
	DeletionTimestamp *string           `json:"deletionTimestamp"`
	Labels            map[string]string `json:"labels"`
	Finalizers        []string          `json:"finalizers"`
}

type obj struct {
	Kind     string         `json:"kind"`
	Metadata meta           `json:"metadata"`
	Spec     map[string]any `json:"spec"`
	Status   map[string]any `json:"status"`
	Extra    any            `json:"extra"`
}

type status struct {
	Kind    string `json:"kind"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Details struct {
		Causes []struct {
			Field string `json:"field"`
		} `json:"causes"`
	} `json:"details"`
}

func expect(t *testing.T, r *testenv.Response, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("got %d, want %d: %s", r.Code, code, r.Body)
	}
}

func TestCRUDAndOptimisticConcurrency(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"

	r := s.Do(t, "POST", pods, podJSON)
	expect(t, r, http.StatusCreated)
	var created obj
	r.JSON(t, &created)
	m := created.Metadata
	if m.UID == "" || m.ResourceVersion == "" || m.CreationTimestamp == "" || m.Generation != 1 || m.Namespace != "default" {
		t.Fatalf("server-set metadata missing: %+v", m)
	}
	if created.Status["phase"] != "Pending" {
		t.Fatalf("new pod status = %v, want phase Pending", created.Status)
	}
	if created.Spec["restartPolicy"] != "Always" {
		t.Fatalf("defaults not applied: %v", created.Spec)
	}

	// Same name again: 409 AlreadyExists.
	r = s.Do(t, "POST", pods, podJSON)
	expect(t, r, http.StatusConflict)
	var st status
	r.JSON(t, &st)
	if st.Reason != "AlreadyExists" {
		t.Fatalf("reason %q, want AlreadyExists", st.Reason)
	}

	// Update with the current resourceVersion works and bumps it; the
	// label change is not a spec change, so generation stays.
	created.Metadata.Labels["tier"] = "front"
	r = s.Do(t, "PUT", pods+"/web", created)
	expect(t, r, http.StatusOK)
	var updated obj
	r.JSON(t, &updated)
	if updated.Metadata.ResourceVersion == created.Metadata.ResourceVersion || updated.Metadata.Generation != 1 {
		t.Fatalf("update: rv %s→%s generation %d", created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion, updated.Metadata.Generation)
	}

	// A PUT carrying the stale resourceVersion: 409 Conflict.
	created.Metadata.Labels["tier"] = "back"
	r = s.Do(t, "PUT", pods+"/web", created)
	expect(t, r, http.StatusConflict)
	r.JSON(t, &st)
	if st.Reason != "Conflict" || !strings.Contains(st.Message, "the object has been modified") {
		t.Fatalf("stale update: %+v", st)
	}

	// Status is written only through /status.
	updated.Status = map[string]any{"phase": "Running"}
	r = s.Do(t, "PUT", pods+"/web", updated)
	expect(t, r, http.StatusOK)
	var o, o2 obj
	r.JSON(t, &o)
	if o.Status["phase"] != "Pending" {
		t.Fatalf("main resource PUT changed status to %v", o.Status)
	}
	o.Status = map[string]any{"phase": "Running"}
	o.Metadata.Labels["ignored"] = "yes"
	r = s.Do(t, "PUT", pods+"/web/status", o)
	expect(t, r, http.StatusOK)
	r.JSON(t, &o2)
	if o2.Status["phase"] != "Running" || o2.Metadata.Labels["ignored"] != "" {
		t.Fatalf("status PUT: status %v labels %v", o2.Status, o2.Metadata.Labels)
	}

	// Without a token: 401.
	req, _ := http.NewRequest("GET", s.URL+pods, nil)
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", resp.StatusCode)
	}

	// Missing namespace: 404.
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/nope/pods", podJSON), http.StatusNotFound)
	// Unknown resource: 404.
	expect(t, s.Do(t, "GET", "/api/v1/widgets", nil), http.StatusNotFound)
	// Malformed JSON: 400, nothing panics.
	expect(t, s.Do(t, "POST", pods, `{"metadata":`), http.StatusBadRequest)
	// A key that differs from a field only in case is not that field (as in
	// Kubernetes): no name here, so 422.
	expect(t, s.Do(t, "POST", "/api/v1/nodes", `{"metAdAtA":{"nAme":"n"}}`), http.StatusUnprocessableEntity)
	// A JSON patch "test" without a value (json-patch panics on it): 400.
	expect(t, s.Do(t, "PATCH", pods+"/web", `[{"op":"test","path":""}]`,
		"Content-Type", "application/json-patch+json"), http.StatusBadRequest)
}

func TestValidationAndStrictFields(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	bad := strings.Replace(podJSON, `"name":"web"`, `"name":"bad_name"`, 1)
	r := s.Do(t, "POST", pods, bad)
	expect(t, r, http.StatusUnprocessableEntity)
	var st status
	r.JSON(t, &st)
	if st.Reason != "Invalid" || len(st.Details.Causes) == 0 || st.Details.Causes[0].Field != "metadata.name" {
		t.Fatalf("invalid name: %s", r.Body)
	}
	badQty := strings.Replace(podJSON, `"100m"`, `"lots"`, 1)
	expect(t, s.Do(t, "POST", pods, badQty), http.StatusUnprocessableEntity)

	// Unknown fields are rejected with Strict, dropped with a warning
	// otherwise (see TestUnknownFields).
	extra := strings.Replace(podJSON, `"kind":"Pod",`, `"kind":"Pod","extra":{"x":1},`, 1)
	r = s.Do(t, "POST", pods+"?fieldValidation=Strict", extra)
	expect(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.Body), `unknown field \"extra\"`) {
		t.Fatalf("strict: %s", r.Body)
	}
	r = s.Do(t, "POST", pods, extra)
	expect(t, r, http.StatusCreated)
	var o obj
	r.JSON(t, &o)
	if o.Extra != nil || r.Header.Get("Warning") != `299 - "unknown field \"extra\""` {
		t.Fatalf("unknown field kept or not warned of: %v %s", r.Header, r.Body)
	}

	// Immutable pod spec fields: 422; the image is mutable.
	var pod map[string]any
	expect(t, s.Do(t, "GET", pods+"/web", nil), http.StatusOK)
	s.Do(t, "GET", pods+"/web", nil).JSON(t, &pod)
	pod["spec"].(map[string]any)["restartPolicy"] = "Never"
	expect(t, s.Do(t, "PUT", pods+"/web", pod), http.StatusUnprocessableEntity)
	r = s.Do(t, "PATCH", pods+"/web", `{"spec":{"containers":[{"name":"c","image":"nginx:1.28"}]}}`,
		"Content-Type", "application/strategic-merge-patch+json")
	expect(t, r, http.StatusOK)
	r.JSON(t, &pod)
	c := pod["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if c["image"] != "nginx:1.28" || c["resources"] == nil {
		t.Fatalf("strategic merge patch lost fields: %v", c)
	}
}

// watchLines opens a watch and returns a channel of its events.
func watchLines(t *testing.T, s *testenv.APIServer, path string) <-chan map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("watch: %d", resp.StatusCode)
	}
	ch := make(chan map[string]any, 1000)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { resp.Body.Close() }) })
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				ch <- ev
			}
		}
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan map[string]any) (typ, name, rv string) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		o, _ := ev["object"].(map[string]any)
		m, _ := o["metadata"].(map[string]any)
		n, _ := m["name"].(string)
		v, _ := m["resourceVersion"].(string)
		return ev["type"].(string), n, v
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event within 5s")
	}
	return
}

func TestWatchResumeAndSelectors(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	r := s.Do(t, "GET", pods, nil)
	expect(t, r, http.StatusOK)
	var list struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	r.JSON(t, &list)
	from := list.Metadata.ResourceVersion

	all := watchLines(t, s, pods+"?watch=true&resourceVersion="+from)
	sel := watchLines(t, s, pods+"?watch=true&labelSelector=app%3Dweb")
	for _, n := range []string{"a", "b"} {
		expect(t, s.Do(t, "POST", pods, strings.Replace(podJSON, `"name":"web"`, `"name":"`+n+`"`, 1)), http.StatusCreated)
	}
	typ, name, rvA := nextEvent(t, all)
	if typ != "ADDED" || name != "a" {
		t.Fatalf("first event %s %s", typ, name)
	}
	if typ, name, _ = nextEvent(t, all); typ != "ADDED" || name != "b" {
		t.Fatalf("second event %s %s", typ, name)
	}
	// A relabelled pod leaves the selector: DELETED for that watcher.
	nextEvent(t, sel)
	nextEvent(t, sel)
	expect(t, s.Do(t, "PATCH", pods+"/a", `{"metadata":{"labels":{"app":"db"}}}`, "Content-Type", "application/merge-patch+json"), http.StatusOK)
	if typ, name, _ = nextEvent(t, sel); typ != "DELETED" || name != "a" {
		t.Fatalf("relabel: %s %s, want DELETED a", typ, name)
	}
	// Resume after a's creation: b comes first.
	resumed := watchLines(t, s, pods+"?watch=true&resourceVersion="+rvA)
	if _, name, _ = nextEvent(t, resumed); name != "b" {
		t.Fatalf("resume delivered %s first, want b", name)
	}
	// Field selector on a watch.
	// (spec.nodeName is the index of the watch fan-out: these watches are
	// offered only the changes of pods on their node, before or after.)
	nodeWatch := watchLines(t, s, pods+"?watch=true&fieldSelector=spec.nodeName%3Dn1")
	unbound := watchLines(t, s, pods+"?watch=true&fieldSelector=spec.nodeName%3D")
	expect(t, s.Do(t, "POST", pods+"/b/binding", `{"metadata":{"name":"b"},"target":{"kind":"Node","name":"n1"}}`), http.StatusCreated)
	if typ, name, _ = nextEvent(t, nodeWatch); typ != "ADDED" || name != "b" {
		t.Fatalf("bound pod on node watch: %s %s", typ, name)
	}
	for _, p := range []struct{ name, node string }{{"c", "n2"}, {"d", "n1"}} {
		expect(t, s.Do(t, "POST", pods, strings.Replace(podJSON, `"name":"web"`, `"name":"`+p.name+`"`, 1)), http.StatusCreated)
		expect(t, s.Do(t, "POST", pods+"/"+p.name+"/binding", `{"metadata":{"name":"`+p.name+`"},"target":{"kind":"Node","name":"`+p.node+`"}}`), http.StatusCreated)
	}
	if typ, name, _ = nextEvent(t, nodeWatch); typ != "ADDED" || name != "d" {
		t.Fatalf("node n1's watch: %s %s, want ADDED d (c is on n2)", typ, name)
	}
	// It starts with the unbound pods as ADDED; then each bound one leaves.
	for _, want := range []string{"ADDED a", "ADDED b", "DELETED b", "ADDED c", "DELETED c", "ADDED d", "DELETED d"} {
		if typ, name, _ = nextEvent(t, unbound); typ+" "+name != want {
			t.Fatalf("unbound pods' watch: %s %s, want %s", typ, name, want)
		}
	}
	// A second binding is refused.
	expect(t, s.Do(t, "POST", pods+"/b/binding", `{"metadata":{"name":"b"},"target":{"kind":"Node","name":"n2"}}`), http.StatusConflict)
	// Unknown field selector: 400.
	expect(t, s.Do(t, "GET", pods+"?fieldSelector=spec.color%3Dred", nil), http.StatusBadRequest)
}

// TestWatchParamLikeKubernetes: every value of the watch parameter that
// Kubernetes reads as true is served as a watch, not as a list (and so is
// never counted as a list by the limits either).
func TestWatchParamLikeKubernetes(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	for i, v := range []string{"t", "True", "TRUE", "yes"} {
		ch := watchLines(t, s, pods+"?watch="+v)
		name := "w" + string(rune('a'+i))
		expect(t, s.Do(t, "POST", pods, strings.Replace(podJSON, `"name":"web"`, `"name":"`+name+`"`, 1)), http.StatusCreated)
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatalf("watch=%s: the response ended: served as a list, not a watch", v)
				}
				if _, isEvent := ev["type"].(string); !isEvent {
					t.Fatalf("watch=%s: got %v, not a watch event", v, ev["kind"])
				}
				o, _ := ev["object"].(map[string]any)
				m, _ := o["metadata"].(map[string]any)
				if m["name"] != name {
					continue
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("watch=%s: no event for %s within 5s", v, name)
			}
			break
		}
	}
}
