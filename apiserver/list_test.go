package apiserver_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// page is a list response as a client reads it.
type page struct {
	Metadata struct {
		ResourceVersion    string `json:"resourceVersion"`
		Continue           string `json:"continue"`
		RemainingItemCount *int64 `json:"remainingItemCount"`
	} `json:"metadata"`
	Items []struct {
		Metadata meta `json:"metadata"`
	} `json:"items"`
	Rows []struct {
		Cells []any `json:"cells"`
	} `json:"rows"`
}

func (p *page) names() []string {
	var out []string
	for _, it := range p.Items {
		n := it.Metadata.Name
		if it.Metadata.Namespace != "" && it.Metadata.Namespace != "default" {
			n = it.Metadata.Namespace + "/" + n
		}
		out = append(out, n)
	}
	for _, r := range p.Rows {
		out = append(out, fmt.Sprint(r.Cells[0]))
	}
	return out
}

func getPage(t *testing.T, s *testenv.APIServer, path string, q url.Values, header ...string) *page {
	t.Helper()
	r := s.Do(t, "GET", path+"?"+q.Encode(), nil, header...)
	expect(t, r, http.StatusOK)
	var p page
	r.JSON(t, &p)
	return &p
}

func createPod(t *testing.T, s *testenv.APIServer, ns, name, app string) meta {
	t.Helper()
	body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"labels":{"app":%q}},
		"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}`, name, app)
	r := s.Do(t, "POST", "/api/v1/namespaces/"+ns+"/pods", body)
	expect(t, r, http.StatusCreated)
	var o obj
	r.JSON(t, &o)
	return o.Metadata
}

func createNamespace(t *testing.T, s *testenv.APIServer, name string) {
	t.Helper()
	expect(t, s.Do(t, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+name+`"}}`), http.StatusCreated)
	// What the service account controller would add: pods need it.
	expect(t, s.Do(t, "POST", "/api/v1/namespaces/"+name+"/serviceaccounts", `{"metadata":{"name":"default"}}`), http.StatusCreated)
}

func ptr(n int64) *int64 { return &n }

// TestListPagination: limit and continue page through a list as Kubernetes
// does. Every page shows the first page's revision, whatever was written in
// between; continue and remainingItemCount are set as Kubernetes sets them
// (no count with selectors); namespaced, all-namespaces and cluster-scoped
// lists, tables and selectors page alike.
func TestListPagination(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			opt := testenv.Options{}
			if store == "postgres" {
				opt.Store = testenv.Postgres(t)
			}
			testPagination(t, testenv.StartAPIServer(t, opt))
		})
	}
}

func testPagination(t *testing.T, s *testenv.APIServer) {
	const pods = "/api/v1/namespaces/default/pods"
	createNamespace(t, s, "other")
	created := map[string]meta{}
	for i := range 7 {
		name := fmt.Sprintf("p%d", i)
		created[name] = createPod(t, s, "default", name, []string{"a", "b"}[i%2])
	}
	createPod(t, s, "other", "o1", "a")
	createPod(t, s, "other", "o2", "b")

	first := getPage(t, s, pods, url.Values{"limit": {"3"}})
	rv := first.Metadata.ResourceVersion
	if !slices.Equal(first.names(), []string{"p0", "p1", "p2"}) || first.Metadata.Continue == "" ||
		first.Metadata.RemainingItemCount == nil || *first.Metadata.RemainingItemCount != 4 {
		t.Fatalf("first page: %q continue %q remaining %v; want p0-p2, a token, 4 remaining",
			first.names(), first.Metadata.Continue, first.Metadata.RemainingItemCount)
	}

	// Writes between pages do not show in the pages that follow.
	expect(t, s.Do(t, "DELETE", pods+"/p3", `{"gracePeriodSeconds":0}`), http.StatusOK)
	createPod(t, s, "default", "p35", "a")
	r := s.Do(t, "PATCH", pods+"/p4", `{"metadata":{"labels":{"app":"c"}}}`, "Content-Type", "application/merge-patch+json")
	expect(t, r, http.StatusOK)

	second := getPage(t, s, pods, url.Values{"limit": {"3"}, "continue": {first.Metadata.Continue}})
	if !slices.Equal(second.names(), []string{"p3", "p4", "p5"}) || second.Metadata.ResourceVersion != rv ||
		second.Metadata.RemainingItemCount == nil || *second.Metadata.RemainingItemCount != 1 {
		t.Fatalf("second page: %q at %s remaining %v; want p3-p5 at %s, 1 remaining",
			second.names(), second.Metadata.ResourceVersion, second.Metadata.RemainingItemCount, rv)
	}
	if got := second.Items[1].Metadata; got.ResourceVersion != created["p4"].ResourceVersion || got.Labels["app"] != "a" {
		t.Errorf("p4 on the second page: resourceVersion %s labels %v, want it as it was: %s, app=a",
			got.ResourceVersion, got.Labels, created["p4"].ResourceVersion)
	}
	third := getPage(t, s, pods, url.Values{"limit": {"3"}, "continue": {second.Metadata.Continue}, "resourceVersion": {"0"}})
	if !slices.Equal(third.names(), []string{"p6"}) || third.Metadata.Continue != "" || third.Metadata.RemainingItemCount != nil {
		t.Fatalf("last page: %q continue %q remaining %v; want p6 and neither", third.names(), third.Metadata.Continue, third.Metadata.RemainingItemCount)
	}

	now := getPage(t, s, pods, nil)
	for _, tc := range []struct {
		name, path string
		q          url.Values
		want       []string
		remaining  []*int64 // per page; nil: none
		header     []string
	}{
		{"all at once", pods, url.Values{"limit": {"100"}}, now.names(), []*int64{nil}, nil},
		{"limit 0 is no limit", pods, url.Values{"limit": {"0"}}, now.names(), []*int64{nil}, nil},
		{"every namespace", "/api/v1/pods", url.Values{"limit": {"4"}},
			[]string{"p0", "p1", "p2", "p35", "p4", "p5", "p6", "other/o1", "other/o2"}, []*int64{ptr(5), ptr(1), nil}, nil},
		{"cluster-scoped", "/api/v1/namespaces", url.Values{"limit": {"1"}},
			[]string{"default", "kube-node-lease", "kube-public", "kube-system", "other"}, []*int64{ptr(4), ptr(3), ptr(2), ptr(1), nil}, nil},
		{"label selector", "/api/v1/pods", url.Values{"limit": {"2"}, "labelSelector": {"app=a"}},
			[]string{"p0", "p2", "p35", "p6", "other/o1"}, []*int64{nil, nil, nil}, nil},
		{"field selector", "/api/v1/pods", url.Values{"limit": {"3"}, "fieldSelector": {"metadata.namespace=other"}},
			[]string{"other/o1", "other/o2"}, []*int64{nil}, nil},
		{"selector that matches nothing", pods, url.Values{"limit": {"2"}, "labelSelector": {"app=none"}},
			nil, []*int64{nil}, nil},
		{"table", pods, url.Values{"limit": {"5"}}, now.names(), []*int64{ptr(2), nil},
			[]string{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				got     []string
				pageRV  string
				q       = tc.q
				counted []*int64
			)
			for {
				p := getPage(t, s, tc.path, q, tc.header...)
				if pageRV == "" {
					pageRV = p.Metadata.ResourceVersion
				} else if p.Metadata.ResourceVersion != pageRV {
					t.Fatalf("page at %s, the first at %s", p.Metadata.ResourceVersion, pageRV)
				}
				got = append(got, p.names()...)
				counted = append(counted, p.Metadata.RemainingItemCount)
				if p.Metadata.Continue == "" {
					break
				}
				q = url.Values{"continue": {p.Metadata.Continue}}
				for k, v := range tc.q {
					if k != "continue" {
						q[k] = v
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("items %q, want %q", got, tc.want)
			}
			if !slices.EqualFunc(counted, tc.remaining, func(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }) {
				t.Errorf("remainingItemCount per page %v, want %v", deref(counted), deref(tc.remaining))
			}
		})
	}

	// resourceVersion with a limit: exact (the legacy rule) unless
	// NotOlderThan; an older revision shows the list as it was.
	exact := getPage(t, s, pods, url.Values{"limit": {"10"}, "resourceVersion": {rv}})
	if exact.Metadata.ResourceVersion != rv || !slices.Equal(exact.names(), []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}) {
		t.Errorf("resourceVersion=%s&limit=10: %q at %s, want p0-p6 at %s", rv, exact.names(), exact.Metadata.ResourceVersion, rv)
	}
	exact = getPage(t, s, pods, url.Values{"resourceVersion": {rv}, "resourceVersionMatch": {"Exact"}})
	if exact.Metadata.ResourceVersion != rv || len(exact.Items) != 7 {
		t.Errorf("resourceVersionMatch=Exact: %q at %s, want p0-p6 at %s", exact.names(), exact.Metadata.ResourceVersion, rv)
	}
	newer := getPage(t, s, pods, url.Values{"limit": {"10"}, "resourceVersion": {rv}, "resourceVersionMatch": {"NotOlderThan"}})
	if newer.Metadata.ResourceVersion != now.Metadata.ResourceVersion || !slices.Equal(newer.names(), now.names()) {
		t.Errorf("NotOlderThan with a limit: %q at %s, want the newest list at %s", newer.names(), newer.Metadata.ResourceVersion, now.Metadata.ResourceVersion)
	}

	// Bad tokens and combinations: 400, as Kubernetes answers.
	token := func(j string) string { return base64.RawURLEncoding.EncodeToString([]byte(j)) }
	for _, tc := range []struct {
		name string
		q    url.Values
		msg  string
	}{
		{"with a resourceVersion", url.Values{"continue": {first.Metadata.Continue}, "resourceVersion": {rv}},
			"specifying resource version is not allowed when using continue"},
		{"not base64", url.Values{"continue": {"?"}},
			"invalid continue token: continue key is not valid: illegal base64 data at input byte 0"},
		{"not JSON", url.Values{"continue": {token("{")}},
			"invalid continue token: continue key is not valid: unexpected end of JSON input"},
		{"another version", url.Values{"continue": {token(`{"v":"v2","rv":5,"start":"a\u0000"}`)}},
			`invalid continue token: continue key is not valid: server does not recognize this encoded version "v2"`},
		{"no revision", url.Values{"continue": {token(`{"v":"meta.k8s.io/v1","start":"a\u0000"}`)}},
			"invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"},
		{"no key", url.Values{"continue": {token(`{"v":"meta.k8s.io/v1","rv":5}`)}},
			"invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"},
		{"a key outside the list", url.Values{"continue": {token(`{"v":"meta.k8s.io/v1","rv":5,"start":"../secrets/x\u0000"}`)}},
			"invalid continue token: continue key is not valid: ../secrets/x\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, "GET", pods+"?"+tc.q.Encode(), nil)
			expect(t, r, http.StatusBadRequest)
			var st fullStatus
			r.JSON(t, &st)
			if st.Reason != "BadRequest" || st.Message != tc.msg {
				t.Errorf("Status %s %q, want BadRequest %q", st.Reason, st.Message, tc.msg)
			}
		})
	}
}

func deref(ps []*int64) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "nil"
		if p != nil {
			out[i] = strconv.FormatInt(*p, 10)
		}
	}
	return out
}

// TestListContinueExpired: once the change log is compacted past a list's
// revision, its continue token is 410 Expired with Kubernetes' message and
// a token that resumes after the same key at the newest revision; an exact
// list at that revision is 410 too.
func TestListContinueExpired(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{Configure: func(c *app.Config) {
		c.StoreTuning.CompactWindow = 2
		c.APIServer.CompactInterval = 20 * time.Millisecond
	}})
	const pods = "/api/v1/namespaces/default/pods"
	for i := range 4 {
		createPod(t, s, "default", fmt.Sprintf("p%d", i), "a")
	}
	first := getPage(t, s, pods, url.Values{"limit": {"2"}})
	q := url.Values{"limit": {"2"}, "continue": {first.Metadata.Continue}}
	for i := range 5 {
		createPod(t, s, "default", fmt.Sprintf("q%d", i), "a")
	}
	// The compactor runs every 20 ms: wait for it to pass the list's
	// revision (no time is asserted).
	var r *testenv.Response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r = s.Do(t, "GET", pods+"?"+q.Encode(), nil); r.Code != http.StatusOK || time.Now().After(deadline) {
			break
		}
	}
	expect(t, r, http.StatusGone)
	var st struct {
		fullStatus
		Metadata struct {
			Continue string `json:"continue"`
		} `json:"metadata"`
	}
	r.JSON(t, &st)
	const msg = "The provided continue parameter is too old to display a consistent list result. " +
		"You can start a new list without the continue parameter, or use the continue token in this response " +
		"to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent " +
		"list - objects that were created, modified, or deleted between the time the first chunk was returned " +
		"and now may show up in the list."
	if st.Reason != "Expired" || st.Message != msg || st.Metadata.Continue == "" {
		t.Fatalf("Status %s %q continue %q, want Expired, Kubernetes' message and a token", st.Reason, st.Message, st.Metadata.Continue)
	}
	rest := getPage(t, s, pods, url.Values{"continue": {st.Metadata.Continue}})
	if !slices.Equal(rest.names(), []string{"p2", "p3", "q0", "q1", "q2", "q3", "q4"}) {
		t.Errorf("the 410's token lists %q, want everything after p1 now", rest.names())
	}

	r = s.Do(t, "GET", pods+"?resourceVersionMatch=Exact&resourceVersion="+first.Metadata.ResourceVersion, nil)
	expect(t, r, http.StatusGone)
	r.JSON(t, &st)
	if st.Reason != "Expired" || st.Message != "The resourceVersion for the provided list is too old." {
		t.Errorf("exact list at a compacted revision: %s %q", st.Reason, st.Message)
	}
}

// TestOmitManagedFields: with omitManagedFields=true (what minik8s's
// informers send), lists and watches leave metadata.managedFields out of
// their objects and keep the rest; without it they are there.
func TestOmitManagedFields(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const pods = "/api/v1/namespaces/default/pods"
	rv := listRV(t, s, pods)
	plain := watchLines(t, s, pods+"?watch=true&resourceVersion="+rv)
	omitted := watchLines(t, s, pods+"?watch=true&omitManagedFields=true&resourceVersion="+rv)
	expect(t, s.Do(t, "POST", pods, podJSON), http.StatusCreated)

	hasManagedFields := func(o map[string]any) bool {
		m, _ := o["metadata"].(map[string]any)
		if m["name"] != "web" || m["resourceVersion"] == nil || o["spec"] == nil {
			t.Fatalf("object lost more than its managedFields: %v", o)
		}
		_, ok := m["managedFields"]
		return ok
	}
	for _, tc := range []struct {
		name string
		ch   <-chan map[string]any
		want bool
	}{{"plain watch", plain, true}, {"watch with omitManagedFields", omitted, false}} {
		ev := nextRaw(t, tc.ch)
		if o, _ := ev["object"].(map[string]any); ev["type"] != "ADDED" || hasManagedFields(o) != tc.want {
			t.Fatalf("%s: event %v, want managedFields: %v", tc.name, ev, tc.want)
		}
	}
	for query, want := range map[string]bool{"": true, "?omitManagedFields=true": false, "?omitManagedFields=false": true} {
		var list struct{ Items []map[string]any }
		r := s.Do(t, "GET", pods+query, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &list)
		if len(list.Items) != 1 || hasManagedFields(list.Items[0]) != want {
			t.Fatalf("list%s: %v, want managedFields: %v", query, list.Items, want)
		}
	}
}

// TestListWholeUnderWrites: a list without a limit is read from the store
// a thousand objects at a time, yet it is one list at one revision R while
// objects are created and changed beside it: every object that existed at
// R, as it was at R, and nothing created after R, in order.
func TestListWholeUnderWrites(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	createNamespace(t, s, "big")
	const cms = "/api/v1/namespaces/big/configmaps"
	const initial, writers = 2100, 8
	var (
		mu      sync.Mutex
		written = map[string][]int64{} // name → the revisions of its writes, in order
	)
	// write creates (POST) or patches a ConfigMap and records the revision.
	write := func(method, name string) error {
		path, body, ctype, want := cms, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"`+name+`"},"data":{"k":"v"}}`, "application/json", http.StatusCreated
		if method == "PATCH" {
			path, body, ctype, want = cms+"/"+name, `{"data":{"k":"`+strconv.Itoa(rand.Int())+`"}}`, "application/merge-patch+json", http.StatusOK
		}
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+s.Token)
		req.Header.Set("Content-Type", ctype)
		resp, err := s.HTTP.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var o obj
		if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || resp.StatusCode != want {
			return fmt.Errorf("%s %s: %d %v", method, name, resp.StatusCode, err)
		}
		rv, err := strconv.ParseInt(o.Metadata.ResourceVersion, 10, 64)
		mu.Lock()
		written[name] = append(written[name], rv)
		mu.Unlock()
		return err
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < initial; i += writers {
				if err := write("POST", fmt.Sprintf("cm-%05d", i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Beside the lists: patches of objects in every chunk, and creates that
	// sort after them all. One writer, so each object's writes are recorded
	// in revision order.
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := write("POST", fmt.Sprintf("zz-%05d", i))
			if err == nil {
				err = write("PATCH", fmt.Sprintf("cm-%05d", i*37%initial))
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	for range 3 {
		l := getPage(t, s, cms, nil)
		rev, err := strconv.ParseInt(l.Metadata.ResourceVersion, 10, 64)
		if err != nil {
			t.Fatalf("list revision %q: %v", l.Metadata.ResourceVersion, err)
		}
		// What was there at rev: each object's last write up to rev.
		want := map[string]int64{}
		mu.Lock()
		for name, revs := range written {
			for _, r := range revs {
				if r <= rev {
					want[name] = r
				}
			}
		}
		mu.Unlock()
		if names := l.names(); len(names) != len(want) || !slices.IsSorted(names) {
			t.Errorf("list at %d: %d objects, sorted %v; want %d, sorted", rev, len(names), slices.IsSorted(names), len(want))
		}
		for _, it := range l.Items {
			if r, _ := strconv.ParseInt(it.Metadata.ResourceVersion, 10, 64); r != want[it.Metadata.Name] {
				t.Errorf("list at %d holds %s at resourceVersion %d; it was at %d then", rev, it.Metadata.Name, r, want[it.Metadata.Name])
			}
		}
	}
}
