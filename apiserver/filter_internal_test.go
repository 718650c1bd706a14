package apiserver

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// selectableZero is the value of every selectable field of every served
// kind when an object lacks the field: the zero value of its type, as in
// Kubernetes, whose selectable fields come from the typed object.
var selectableZero = map[string]map[string]string{
	"Namespace": {"status.phase": ""},
	"Node":      {"spec.unschedulable": "false"},
	"Pod": {"spec.nodeName": "", "spec.schedulerName": "", "spec.restartPolicy": "", "spec.serviceAccountName": "",
		"spec.hostNetwork": "false", "status.phase": "", "status.podIP": "", "status.nominatedNodeName": ""},
	"Event": {"involvedObject.kind": "", "involvedObject.namespace": "", "involvedObject.name": "", "involvedObject.uid": "",
		"involvedObject.apiVersion": "", "involvedObject.resourceVersion": "", "involvedObject.fieldPath": "",
		"reason": "", "reportingComponent": "", "source": "", "type": "",
		// events.k8s.io/v1's names
		"regarding.kind": "", "regarding.namespace": "", "regarding.name": "", "regarding.uid": "",
		"regarding.apiVersion": "", "regarding.resourceVersion": "", "regarding.fieldPath": "", "reportingController": ""},
	"ReplicaSet": {"status.replicas": "0"},
	"Secret":     {"type": ""},
	"Job":        {"status.successful": "0"},
	"Service":    {"spec.clusterIP": "", "spec.type": ""},
}

// matchBoth is f.matches(o), checked against what a watch computes from
// o's JSON (readSelectAttrs and matchesAttrs): the two must agree.
func matchBoth(t *testing.T, f *filter, o object) bool {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	a, err := readSelectAttrs(f.res, b)
	if err != nil {
		t.Fatal(err)
	}
	want := f.matches(o)
	if got := f.matchesAttrs(a); got != want {
		t.Errorf("%v: from the JSON's attributes %v, from the object %v", o, got, want)
	}
	return want
}

func testFilter(t *testing.T, res *registry.Resource, selector string) *filter {
	t.Helper()
	req := httptest.NewRequest("GET", "/?fieldSelector="+url.QueryEscape(selector), nil)
	f, err := newFilter(&request{c: echo.New().NewContext(req, httptest.NewRecorder()), res: res})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFieldSelectorsZeroValues checks every selectable field of every
// served kind: an object that lacks the field matches its zero value and
// nothing else, and one that has it matches its value.
func TestFieldSelectorsZeroValues(t *testing.T) {
	t.Parallel()
	for _, res := range registry.All() {
		for name, path := range res.Fields {
			zero, ok := selectableZero[res.Kind][name]
			if !ok {
				t.Errorf("%s %s: no zero value in the table", res.Kind, name)
				continue
			}
			t.Run(res.Kind+"/"+name, func(t *testing.T) {
				absent := object{"metadata": map[string]any{"name": "x"}}
				if !matchBoth(t, testFilter(t, res, name+"="+zero), absent) {
					t.Errorf("%s=%q does not select an object without the field", name, zero)
				}
				if matchBoth(t, testFilter(t, res, name+"!="+zero), absent) {
					t.Errorf("%s!=%q selects an object without the field", name, zero)
				}
				if matchBoth(t, testFilter(t, res, name+"=other"), absent) {
					t.Errorf("%s=other selects an object without the field", name)
				}
				value := any("v1")
				switch zero {
				case "false":
					value = true
				case "0":
					value = 3
				}
				present := object{"metadata": map[string]any{"name": "x"}}
				setNested(present, value, path...)
				if !matchBoth(t, testFilter(t, res, name+"="+fieldString(value)), present) || matchBoth(t, testFilter(t, res, name+"="+zero), present) {
					t.Errorf("%s: an object with %v is not selected by its value alone", name, value)
				}
			})
		}
	}
	// A kind served at several versions (Event: core/v1 and
	// events.k8s.io/v1) selects on the fields of any of them.
	selectable := map[string]map[string]bool{}
	for _, res := range registry.All() {
		for name := range res.Fields {
			if selectable[res.Kind] == nil {
				selectable[res.Kind] = map[string]bool{}
			}
			selectable[res.Kind][name] = true
		}
	}
	for kind, fields := range selectableZero {
		for name := range fields {
			if !selectable[kind][name] {
				t.Errorf("%s %s is in the table but not selectable", kind, name)
			}
		}
	}
}

// TestFieldSelectorsTools checks the selectors kubectl and test tools send.
func TestFieldSelectorsTools(t *testing.T) {
	t.Parallel()
	pods, _ := registry.ByKind("Pod")
	nodes, _ := registry.ByKind("Node")
	tests := []struct {
		name     string
		res      *registry.Resource
		selector string
		obj      object
		want     bool
	}{
		{"schedulable nodes: unschedulable absent", nodes, "spec.unschedulable=false", object{"spec": map[string]any{}}, true},
		{"schedulable nodes: no spec", nodes, "spec.unschedulable=false", object{}, true},
		{"schedulable nodes: cordoned", nodes, "spec.unschedulable=false", object{"spec": map[string]any{"unschedulable": true}}, false},
		{"cordoned nodes", nodes, "spec.unschedulable=true", object{"spec": map[string]any{"unschedulable": true}}, true},
		{"drain: pods on the node", pods, "spec.nodeName=n1", object{"spec": map[string]any{"nodeName": "n1"}}, true},
		{"drain: pods on another node", pods, "spec.nodeName=n1", object{"spec": map[string]any{"nodeName": "n2"}}, false},
		{"drain: unbound pods", pods, "spec.nodeName=n1", object{"spec": map[string]any{}}, false},
		{"unbound pods", pods, "spec.nodeName=", object{"spec": map[string]any{}}, true},
		{"kubelet: its pods not terminated", pods, "spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed",
			object{"spec": map[string]any{"nodeName": "n1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchBoth(t, testFilter(t, tt.res, tt.selector), tt.obj); got != tt.want {
				t.Errorf("%s matches %v = %v, want %v", tt.selector, tt.obj, got, tt.want)
			}
		})
	}
}

// TestSelectAttrs: label and field selectors agree between the decoded
// object and its JSON's attributes, including labels, null and non-object
// values on the way to a field; and the watchers of one change share one
// reading of it.
func TestSelectAttrs(t *testing.T) {
	t.Parallel()
	pods, _ := registry.ByKind("Pod")
	labelFilter := func(sel string) *filter {
		req := httptest.NewRequest("GET", "/?labelSelector="+url.QueryEscape(sel)+"&fieldSelector="+url.QueryEscape("spec.nodeName!=n2"), nil)
		f, err := newFilter(&request{c: echo.New().NewContext(req, httptest.NewRecorder()), res: pods})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, o := range []object{
		{"metadata": map[string]any{"name": "a", "labels": map[string]any{"app": "web", "tier": "front"}}, "spec": map[string]any{"nodeName": "n1"}},
		{"metadata": map[string]any{"name": "b", "labels": map[string]any{"app": "db"}}, "spec": nil},
		{"metadata": map[string]any{"name": "c"}, "spec": "not an object", "status": map[string]any{"phase": nil}},
		{"metadata": map[string]any{"name": "d", "labels": map[string]any{"app": "web"}}, "spec": map[string]any{"nodeName": "n2"}},
	} {
		for _, sel := range []string{"app=web", "app in (web,db),!tier", "tier", ""} {
			matchBoth(t, labelFilter(sel), o)
		}
	}

	var cache attrCache
	c := store.Change{Revision: 7, Record: store.Record{Key: store.Key{Resource: "pods", Namespace: "ns", Name: "a"},
		Value: []byte(`{"metadata":{"name":"a"},"spec":{"nodeName":"n1"}}`)}}
	first, err := cache.get(pods, &c)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := cache.get(pods, &c); again != first {
		t.Error("a second watcher of the change read it again")
	}
	if first.fields["spec.nodeName"] != "n1" {
		t.Errorf("attributes %v", first.fields)
	}
	c.Revision, c.Value = 8, []byte(`{"metadata":{"name":"a"},"spec":{"nodeName":"n2"}}`)
	if next, _ := cache.get(pods, &c); next.fields["spec.nodeName"] != "n2" {
		t.Errorf("the next version read as %v", next.fields)
	}
	c.Value = []byte(`{"metadata":`)
	c.Revision = 9
	if _, err := cache.get(pods, &c); err == nil {
		t.Error("a malformed object read without error")
	}
}

// FuzzSelectAttrs: the attributes read from an object's JSON are the ones
// read from the decoded object, for any JSON object (the store only holds
// what encoding an object gives: no duplicate keys), and no input makes
// readSelectAttrs panic.
func FuzzSelectAttrs(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"a","namespace":"n","labels":{"app":"web","x":1}},"spec":{"nodeName":"n1","hostNetwork":true},"status":{"phase":null}}`))
	f.Add([]byte(`{"metadata":{"name":7},"spec":[1,2],"status":{"phase":{"a":1}}}`))
	f.Add([]byte(`{"involvedObject":{"kind":"Pod","name":"p\u00e9\"q"},"reason":"Scheduled","source":{"component":"x"},"type":"Normal"}`))
	f.Add([]byte(`{"spec":{"unschedulable":false},"status":{"replicas":12.5e3}}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, res := range registry.All() {
			a, err := readSelectAttrs(res, b)
			var o map[string]any
			if json.Unmarshal(b, &o) != nil || o == nil {
				continue // not an object: no attributes to compare
			}
			if b, err = json.Marshal(o); err != nil {
				t.Fatal(err)
			}
			if a, err = readSelectAttrs(res, b); err != nil {
				t.Fatalf("%s: %v\n%s", res.Kind, err, b)
			}
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			if err := d.Decode(&o); err != nil {
				t.Fatal(err)
			}
			if want := stringMap(nested(o, "metadata", "labels")); !maps.Equal(a.labels, want) {
				t.Errorf("%s labels %v, want %v\n%s", res.Kind, a.labels, want, b)
			}
			if a.fields["metadata.name"] != nestedString(o, "metadata", "name") || a.fields["metadata.namespace"] != nestedString(o, "metadata", "namespace") {
				t.Errorf("%s name and namespace %v\n%s", res.Kind, a.fields, b)
			}
			for name, path := range res.Fields {
				v := nested(o, path...)
				switch v.(type) {
				case map[string]any, []any:
					continue // not a scalar: no selector reads it
				}
				got, ok := a.fields[name]
				if ok != (v != nil) || ok && got != fieldString(v) {
					t.Errorf("%s %s: %q (%v), want %v\n%s", res.Kind, name, got, ok, v, b)
				}
			}
		}
	})
}
