package fieldmanager

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/structured-merge-diff/v6/schema"

	"github.com/minik8s/minik8s/api"
)

// cachePod is a pod as a ReplicaSet creates it; NAME and UID differ
// between its pods.
const cachePod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","uid":"UID","namespace":"default","generateName":"web-",
"creationTimestamp":"2026-12-05T18:10:31Z","labels":{"app":"web"},"finalizers":["a"]},
"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]},{"name":"d","image":"i"}],"priority":0}}`

var cacheNow = time.Date(2026, 12, 5, 18, 10, 31, 0, time.UTC)

func podManager() *Manager { return ForGo(reflect.TypeFor[api.Pod](), "v1", true) }

// created is the object a create of body by m gives.
func created(t *testing.T, m *Manager, body string) Object {
	t.Helper()
	o := obj(t, body)
	if err := m.Update(nil, o, "kube-controller-manager", "", cacheNow); err != nil {
		t.Fatal(err)
	}
	return o
}

func managedJSON(t *testing.T, o Object) string {
	t.Helper()
	b, err := json.Marshal(metaOf(o)["managedFields"])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outcome is the managedFields a create of body by m gives, or its error.
func outcome(t *testing.T, m *Manager, body string) string {
	t.Helper()
	o := obj(t, body)
	if err := m.Update(nil, o, "kube-controller-manager", "", cacheNow); err != nil {
		return "error: " + err.Error()
	}
	return managedJSON(t, o)
}

// uncached is the outcome of a create of body by a Manager that has seen
// nothing before, so computes it.
func uncached(t *testing.T, body string) string {
	t.Helper()
	return outcome(t, podManager(), body)
}

func podBody(i int) string {
	return strings.NewReplacer("NAME", "web-"+strconv.Itoa(i), "UID", "uid-"+strconv.Itoa(i)).Replace(cachePod)
}

func cachedSets(m *Manager) int {
	m.creates.mu.Lock()
	defer m.creates.mu.Unlock()
	n := 0
	for _, s := range m.creates.sets {
		if s != nil {
			n++
		}
	}
	return n
}

// TestCreateCache checks that creates whose bodies differ only in what
// is in no set share one cached set, and still get the managedFields
// computed for each: a ReplicaSet's pods (their names and uids, which
// nobody owns, differ) and bodies that differ in values outside lists (a
// label's value, a number, as an Event's message and times do). Seen
// once, a digest is recorded; twice, its set stored; then read.
func TestCreateCache(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(i int) string
	}{
		{"pods of a ReplicaSet", podBody},
		{"values outside lists", func(i int) string {
			n := strconv.Itoa(i)
			return strings.NewReplacer(`"app":"web"`, `"app":"web-`+n+`"`, `"priority":0`, `"priority":`+n).Replace(podBody(i))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := podManager()
			for i := range 4 {
				if got, want := outcome(t, m, tc.body(i)), uncached(t, tc.body(i)); got != want {
					t.Fatalf("create %d:\n got %s\nwant %s", i, got, want)
				}
			}
			if n := cachedSets(m); n != 1 {
				t.Fatalf("%d sets cached, want 1", n)
			}
		})
	}
}

// TestCreateCacheGoValues checks that values Go code set (the priority
// admission's int32) are cached like decoded ones.
func TestCreateCacheGoValues(t *testing.T) {
	m := podManager()
	for i := range 3 {
		o := obj(t, podBody(i))
		o["spec"].(map[string]any)["priority"] = int32(7)
		if err := m.Update(nil, o, "kube-controller-manager", "", cacheNow); err != nil {
			t.Fatal(err)
		}
	}
	if n := cachedSets(m); n != 1 {
		t.Fatalf("%d sets cached, want 1", n)
	}
}

// TestCreateCacheDiffers checks that a body whose fields differ from a
// cached body's does not get its set: body a is cached, then b created.
func TestCreateCacheDiffers(t *testing.T) {
	for _, tc := range []struct{ name, old, a, b string }{
		{"key of a keyed list", `"name":"d"`, `"name":"d"`, `"name":"e"`},
		{"field name", `{"name":"d","image":"i"}`, `{"name":"d","image":"i"}`, `{"name":"d","workingDir":"i"}`},
		{"element of a set", `"finalizers":["a"]`, `"finalizers":["a"]`, `"finalizers":["b"]`},
		{"number and string key", `"containerPort":80`, `"containerPort":80`, `"containerPort":"80"`},
		{"string and bool element", `"finalizers":["a"]`, `"finalizers":["true"]`, `"finalizers":[true]`},
		{"field moved to another element", `{"name":"c","image":"i","ports":[{"containerPort":80}]},{"name":"d","image":"i"}`,
			`{"name":"c","image":"i","ports":[{"containerPort":80}]},{"name":"d","image":"i"}`,
			`{"name":"c","image":"i"},{"name":"d","image":"i","ports":[{"containerPort":80}]}`},
		// clusterName is not in the schema: it is an error, whose value
		// does not matter but whose presence does.
		{"unowned field not in the schema", `"uid":"UID"`, `"uid":"UID"`, `"uid":"UID","clusterName":"x"`},
		// Would a list's elements cancel out in its hash, d would.
		{"duplicate elements", `{"name":"d","image":"i"}]`, `{"name":"d","image":"i"}]`, `{"name":"d","image":"i"},{"name":"d"},{"name":"d"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := strings.Replace(cachePod, tc.old, tc.a, 1), strings.Replace(cachePod, tc.old, tc.b, 1)
			if b == cachePod {
				t.Fatalf("%s not in the pod", tc.old)
			}
			wantA, wantB := uncached(t, a), uncached(t, b)
			if wantA == wantB {
				t.Fatalf("the change does not change the fields: %s", wantA)
			}
			m := podManager()
			for range 3 {
				if got := outcome(t, m, a); got != wantA {
					t.Fatalf("a:\n got %s\nwant %s", got, wantA)
				}
			}
			for i := range 3 {
				if got := outcome(t, m, b); got != wantB {
					t.Fatalf("b, create %d:\n got %s\nwant %s", i, got, wantB)
				}
			}
		})
	}
}

// TestCreateCacheNotShared checks that what a create gives shares nothing
// with the cache.
func TestCreateCacheNotShared(t *testing.T) {
	m := podManager()
	want := uncached(t, podBody(0))
	// Each create's result is changed before the next create: the first
	// is computed, the second stored, the rest read from the cache.
	for i := range 5 {
		o := created(t, m, podBody(i))
		if got := managedJSON(t, o); got != want {
			t.Fatalf("create %d, after changing the ones before:\n got %s\nwant %s", i, got, want)
		}
		// What a caller may do to the object it got, such as an admission
		// patch of its managedFields.
		fields := metaOf(o)["managedFields"].([]any)[0].(map[string]any)["fieldsV1"].(map[string]any)
		spec := fields["f:spec"].(map[string]any)
		spec["f:bogus"] = map[string]any{}
		delete(spec, "f:containers")
		fields["f:metadata"].(map[string]any)["f:labels"].(map[string]any)["f:x"] = map[string]any{}
	}
}

func TestCreateCacheConcurrent(t *testing.T) {
	m := podManager()
	want := uncached(t, podBody(0))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				v, _ := decodeJSON([]byte(podBody(g*10 + i)))
				o := v.(map[string]any)
				if err := m.Update(nil, o, "kube-controller-manager", "", cacheNow); err != nil {
					t.Error(err)
					return
				}
				b, _ := json.Marshal(metaOf(o)["managedFields"])
				if string(b) != want {
					t.Errorf("got %s\nwant %s", b, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCreateCacheErrorsAndBound checks that errors are not cached, and
// that the cache is cleared when full.
func TestCreateCacheErrorsAndBound(t *testing.T) {
	// A schema without its root type: no set can be listed.
	m := newManager(&schema.Schema{}, "missing", "v1", true)
	for range 3 {
		if err := m.Update(nil, obj(t, podBody(0)), "kube-controller-manager", "", cacheNow); err == nil {
			t.Fatal("no error without a schema")
		}
	}
	if n := cachedSets(m); n != 0 {
		t.Fatalf("%d sets cached after errors", n)
	}
	m = podManager()
	for i := range maxCreates + 10 {
		for range 2 {
			o := Object{"metadata": map[string]any{"finalizers": []any{strconv.Itoa(i)}}}
			if err := m.Update(nil, o, "kube-controller-manager", "", cacheNow); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(m.creates.sets); n > maxCreates {
		t.Fatalf("%d bodies remembered, at most %d wanted", n, maxCreates)
	}
	if n := cachedSets(m); n != 10 {
		t.Fatalf("%d sets cached after the cache was cleared, want 10", n)
	}
}
