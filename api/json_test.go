package api

import (
	"encoding/json"
	"testing"
)

// A key that differs from a field only in case is not that field, as in
// Kubernetes; encoding/json would take the last such key for it.
func TestUnmarshalIsCaseSensitive(t *testing.T) {
	const doc = `{"metadata":{"name":"p"},"spec":{"nodeName":"a","nodename":"b"},"Status":{"phase":"Running"}}`
	var p Pod
	if err := Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "a" || p.Status.Phase != "" {
		t.Errorf("nodeName %q, phase %q; want \"a\" and \"\"", p.Spec.NodeName, p.Status.Phase)
	}
	var loose Pod
	if err := json.Unmarshal([]byte(doc), &loose); err != nil || loose.Spec.NodeName != "b" {
		t.Errorf("encoding/json no longer folds case (nodeName %q, %v): this test no longer shows the difference", loose.Spec.NodeName, err)
	}
}
