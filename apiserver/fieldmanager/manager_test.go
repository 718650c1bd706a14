package fieldmanager

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"reflect"
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
