package fieldmanager

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/structural"
)

func obj(t *testing.T, s string) Object {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func entries(t *testing.T, o Object) []Entry {
	t.Helper()
	b, _ := json.Marshal(metaOf(o)["managedFields"])
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		t.Fatal(err)
	}
	return es
}

func TestApplyConflictsAndRemoval(t *testing.T) {
	m := ForGo(reflect.TypeFor[api.Deployment](), "apps/v1", true)
	now := time.Now()
	empty := obj(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"}}`)
	cfg := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"1"}},"spec":{"replicas":2,
	  "template":{"spec":{"containers":[{"name":"c","image":"i:1","ports":[{"containerPort":80}]}]}}}}`
	out, err := m.Apply(empty, obj(t, cfg), "alice", "", false, now)
	if err != nil {
		t.Fatal(err)
	}
	es := entries(t, out)
	if len(es) != 1 || es[0].Manager != "alice" || es[0].Operation != "Apply" || es[0].APIVersion != "apps/v1" {
		t.Fatalf("entries %+v", es)
	}
	fs := string(es[0].FieldsV1)
	for _, want := range []string{`"k:{\"name\":\"c\"}"`, `"k:{\"containerPort\":80,\"protocol\":\"TCP\"}"`, `"f:replicas"`, `"f:a"`} {
		if !strings.Contains(fs, want) {
			t.Errorf("fieldsV1 %s lacks %s", fs, want)
		}
	}
	// The same config again changes nothing.
	again, err := m.Apply(out, obj(t, cfg), "alice", "", false, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(out)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Fatalf("no-op apply changed the object:\n%s\n%s", a, b)
	}
	// bob changes replicas: conflict; forced, he takes it over.
	bobCfg := obj(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}`)
	_, err = m.Apply(out, bobCfg, "bob", "", false, now)
	var c *Conflicts
	if !errors.As(err, &c) {
		t.Fatalf("want conflicts, got %v", err)
	}
	if c.Message() != `Apply failed with 1 conflict: conflict with "alice": .spec.replicas` {
		t.Fatalf("message %q", c.Message())
	}
	forced, err := m.Apply(out, bobCfg, "bob", "", true, now)
	if err != nil {
		t.Fatal(err)
	}
	if r := forced["spec"].(map[string]any)["replicas"]; r != json.Number("3") {
		t.Fatalf("replicas %v", r)
	}
	// alice stops applying the label: it goes.
	cfg2 := strings.Replace(cfg, `"labels":{"a":"1"}`, `"labels":{"b":"2"}`, 1)
	cfg2 = strings.Replace(cfg2, `"replicas":2,`, ``, 1)
	next, err := m.Apply(forced, obj(t, cfg2), "alice", "", false, now)
	if err != nil {
		t.Fatal(err)
	}
	labels := metaOf(next)["labels"].(map[string]any)
	if _, ok := labels["a"]; ok || labels["b"] != "2" {
		t.Fatalf("labels %v", labels)
	}
	// An update by another manager records what it changed.
	upd := copyObject(next)
	upd["spec"].(map[string]any)["paused"] = true
	if err := m.Update(next, upd, "kubectl-edit", "", now); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range entries(t, upd) {
		if e.Manager == "kubectl-edit" && e.Operation == "Update" && strings.Contains(string(e.FieldsV1), "f:paused") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no update entry: %+v", entries(t, upd))
	}
}

// TestReadSetMatchesFromJSON: managedFields read from the decoded object
// give the same sets as structured-merge-diff's own FieldsV1 reader.
func TestReadSetMatchesFromJSON(t *testing.T) {
	for _, fields := range []string{
		`{}`,
		`{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{}}}`,
		`{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{}}}}}}`,
		`{"f:spec":{"f:a":{".":{}}}}`, // a member alone, written {} (not written back the same)
		`{"f:data":{"f:a":{}},"v:\"x\"":{},"i:3":{".":{},"f:b":{}},"z:unknown":{}}`,
	} {
		want := fieldpath.NewSet()
		if err := want.FromJSON(strings.NewReader(fields)); err != nil {
			t.Fatalf("%s: %v", fields, err)
		}
		var decoded map[string]any
		if err := json.Unmarshal([]byte(fields), &decoded); err != nil {
			t.Fatal(err)
		}
		got := &fieldpath.Set{}
		if !readSet(decoded, got) {
			t.Fatalf("%s: not read", fields)
		}
		if !got.Equals(want) {
			t.Errorf("%s: read %s, want %s", fields, got, want)
		}
		if b, _ := json.Marshal(setJSON(got, false)); !strings.Contains(fields, "z:") && !strings.Contains(fields, `{".":{}}`) && string(b) != fields {
			t.Errorf("written back as %s, want %s", b, fields)
		}
	}
	for _, bad := range []string{`{"f:a":1}`, `{"q":{}}`} {
		var decoded map[string]any
		_ = json.Unmarshal([]byte(bad), &decoded)
		if readSet(decoded, &fieldpath.Set{}) {
			t.Errorf("%s read as FieldsV1", bad)
		}
	}
}

// TestStatusWrite: a status write's manager gets the status fields it
// changed, takes them from the manager that had them, and leaves the rest
// of the object's ownership alone: the same sets as comparing the whole
// objects gave before status writes compared status alone.
func TestStatusWrite(t *testing.T) {
	m := ForGo(reflect.TypeFor[api.Pod](), "v1", true)
	now := time.Now()
	created := obj(t, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"app":"web"}},
	  "spec":{"containers":[{"name":"c","image":"i"}]}}`)
	if err := m.Update(nil, created, "creator", "", now); err != nil {
		t.Fatal(err)
	}
	status := func(cur Object, st string) Object {
		next := copyObject(cur)
		next["status"] = obj(t, st)
		return next
	}
	first := status(created, `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}]}`)
	if err := m.Update(created, first, "scheduler", "status", now); err != nil {
		t.Fatal(err)
	}
	second := status(first, `{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"PodScheduled","status":"True"}]}`)
	if err := m.Update(first, second, "kubelet", "status", now); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries(t, second) {
		got[e.Manager+"/"+e.Subresource] = string(e.FieldsV1)
	}
	want := map[string]string{
		"creator/":         `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}`,
		"scheduler/status": `{"f:status":{".":{},"f:conditions":{".":{},"k:{\"type\":\"PodScheduled\"}":{".":{},"f:status":{},"f:type":{}}}}}`,
		"kubelet/status":   `{"f:status":{"f:phase":{},"f:podIP":{}}}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("managedFields\n got %v\nwant %v", got, want)
	}
}

// TestCRDListAndMapTypes: a custom resource's x-kubernetes-list-type set
// merges two managers' items and lets each own its own; atomic lists and
// x-kubernetes-map-type atomic maps are owned whole, so a second manager
// conflicts on the whole value, and two conflicts are worded as kubectl
// prints them.
func TestCRDListAndMapTypes(t *testing.T) {
	s := structural.MustNew(obj(t, `{"type":"object","properties":{
	  "spec":{"type":"object","properties":{
	    "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
	    "args":{"type":"array","x-kubernetes-list-type":"atomic","items":{"type":"string"}},
	    "selector":{"type":"object","x-kubernetes-map-type":"atomic","additionalProperties":{"type":"string"}},
	    "labels":{"type":"object","additionalProperties":{"type":"string"}}}}}}`))
	m := ForStructural(s, "demo.example.com/v1", false)
	now := time.Now()
	apply := func(cur Object, manager, spec string, force bool) (Object, error) {
		t.Helper()
		return m.Apply(cur, obj(t, `{"apiVersion":"demo.example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":`+spec+`}`), manager, "", force, now)
	}
	empty := obj(t, `{"apiVersion":"demo.example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"default"}}`)
	a, err := apply(empty, "alice", `{"tags":["a","b"],"args":["x"],"selector":{"app":"web"},"labels":{"l1":"1"}}`, false)
	if err != nil {
		t.Fatal(err)
	}
	// A set: bob adds his own item, and keeps alice's.
	b, err := apply(a, "bob", `{"tags":["b","c"],"labels":{"l2":"2"}}`, false)
	if err != nil {
		t.Fatalf("bob's set items and map keys: %v", err)
	}
	spec := b["spec"].(map[string]any)
	if got := fmt.Sprint(spec["tags"]); got != "[a b c]" {
		t.Fatalf("set after two managers = %s, want [a b c]", got)
	}
	// alice stops applying "a": it goes; "b", co-owned by bob, stays.
	c, err := apply(b, "alice", `{"tags":["b"],"args":["x"],"selector":{"app":"web"},"labels":{"l1":"1"}}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c["spec"].(map[string]any)["tags"]); got != "[b c]" {
		t.Fatalf("set after alice dropped a = %s, want [b c]", got)
	}
	// An atomic list and an atomic map are owned whole: bob conflicts on
	// each as one field, even adding an item or a key alice never set.
	_, err = apply(c, "bob", `{"args":["x","y"],"selector":{"app":"web","tier":"db"}}`, false)
	var conflicts *Conflicts
	if !errors.As(err, &conflicts) {
		t.Fatalf("want conflicts on the atomic list and map, got %v", err)
	}
	const want = "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.args\n- .spec.selector"
	if conflicts.Message() != want {
		t.Fatalf("message:\n%s\nwant:\n%s", conflicts.Message(), want)
	}
	forced, err := apply(c, "bob", `{"args":["x","y"],"selector":{"tier":"db"}}`, true)
	if err != nil {
		t.Fatal(err)
	}
	fs := forced["spec"].(map[string]any)
	if fmt.Sprint(fs["args"]) != "[x y]" || fmt.Sprint(fs["selector"]) != "map[tier:db]" {
		t.Fatalf("forced atomic values: args %v selector %v, want replaced whole", fs["args"], fs["selector"])
	}
}

// identityByMarshal is identity as json.Marshal writes it, which identity
// must give exactly: one entry, one key.
func identityByMarshal(e Entry) string {
	e.Time, e.FieldsType, e.FieldsV1 = "", "", nil
	if e.Operation == OperationApply {
		e.APIVersion = ""
	}
	b, _ := json.Marshal(e)
	return string(b)
}

func checkIdentity(t *testing.T, e Entry) {
	t.Helper()
	got, want := identity(e), identityByMarshal(e)
	if got != want {
		t.Fatalf("identity(%+v) = %s, json.Marshal gives %s", e, got, want)
	}
	var parsed Entry
	_ = json.Unmarshal([]byte(got), &parsed)
	for range 2 { // parsed, then kept
		if back, err := parseIdentity(got); err != nil || !reflect.DeepEqual(back, parsed) {
			t.Fatalf("parseIdentity(%s) = %+v, %v; want %+v", got, back, err, parsed)
		}
	}
}

func TestIdentityMatchesMarshal(t *testing.T) {
	for _, e := range []Entry{
		{},
		{Manager: "kubectl", Operation: OperationUpdate, APIVersion: "v1"},
		{Manager: "kubelet", Operation: OperationUpdate, APIVersion: "v1", Subresource: "status", Time: "2026-01-01T00:00:00Z"},
		{Manager: "kubectl", Operation: OperationApply, APIVersion: "apps/v1", FieldsType: "FieldsV1"},
		{Manager: `q"uote\back <a>&b`, Operation: OperationUpdate, APIVersion: "v1"},
		{Manager: "ctl\x00\x1f\x7f é \u2028 bad\xff", Operation: OperationUpdate},
	} {
		checkIdentity(t, e)
	}
}

func FuzzIdentity(f *testing.F) {
	f.Add("kubectl", "Update", "v1", "status")
	f.Fuzz(func(t *testing.T, manager, op, version, sub string) {
		checkIdentity(t, Entry{Manager: manager, Operation: op, APIVersion: version, Subresource: sub})
	})
}

// TestRewriteOwnFields: a manager writing again only fields it owns keeps
// its entry's FieldsV1 as read (encode reuses it rather than building it
// again) with a new time; a field it did not own before grows its set.
func TestRewriteOwnFields(t *testing.T) {
	m := ForGo(reflect.TypeFor[api.Pod](), "v1", true)
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	created := obj(t, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},
	  "spec":{"containers":[{"name":"c","image":"i"}]}}`)
	if err := m.Update(nil, created, "creator", "", t0); err != nil {
		t.Fatal(err)
	}
	first := copyObject(created)
	first["status"] = obj(t, `{"phase":"Pending","podIP":"10.0.0.1"}`)
	if err := m.Update(created, first, "kubelet", "status", t0); err != nil {
		t.Fatal(err)
	}
	// As stored and read back.
	b, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	cur := obj(t, string(b))
	kubeletFields := func(o Object) (map[string]any, string) {
		for _, e := range metaOf(o)["managedFields"].([]any) {
			if e := e.(map[string]any); e["manager"] == "kubelet" {
				return e["fieldsV1"].(map[string]any), e["time"].(string)
			}
		}
		t.Fatalf("no kubelet entry in %v", metaOf(o)["managedFields"])
		return nil, ""
	}
	read, _ := kubeletFields(cur)

	again := copyObject(cur)
	again["status"] = obj(t, `{"phase":"Running","podIP":"10.0.0.1"}`)
	t1 := t0.Add(time.Minute)
	if err := m.Update(cur, again, "kubelet", "status", t1); err != nil {
		t.Fatal(err)
	}
	fields, at := kubeletFields(again)
	if reflect.ValueOf(fields).UnsafePointer() != reflect.ValueOf(read).UnsafePointer() || at != t1.Format(time.RFC3339) {
		t.Fatalf("kubelet's entry after writing its own fields: %v at %s, want the FieldsV1 as read (%v) at %s", fields, at, read, t1.Format(time.RFC3339))
	}

	grown := copyObject(again)
	grown["status"] = obj(t, `{"phase":"Running","podIP":"10.0.0.1","hostIP":"192.168.0.2"}`)
	if err := m.Update(again, grown, "kubelet", "status", t1); err != nil {
		t.Fatal(err)
	}
	if fields, _ := kubeletFields(grown); fmt.Sprint(fields) != "map[f:status:map[.:map[] f:hostIP:map[] f:phase:map[] f:podIP:map[]]]" {
		t.Fatalf("kubelet's fields after a new one = %v", fields)
	}
}
