package registry

import (
	"encoding/json"
	"testing"
)

// TestDeclarations checks what every declaration must hold, so that a new
// kind cannot be half declared.
func TestDeclarations(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		t.Run(r.Kind, func(t *testing.T) {
			if r.Kind == "" || r.Name == "" || r.Singular == "" || r.Version == "" {
				t.Fatalf("incomplete names: %+v", r)
			}
			// A kind served at several versions is declared once per
			// version, each (but the storage version) stored at another.
			if r.StoredAsServed() && (seen[r.StoreName()] || seen[r.Kind]) {
				t.Fatalf("declared twice")
			}
			if !r.StoredAsServed() {
				st := r.StorageResource()
				if st.Kind != r.Kind || st.StoreName() != r.StoreName() || !st.StoredAsServed() || r.Convert == nil || st.Convert == nil {
					t.Fatalf("stored as %s %s, or without conversions both ways", st.GroupVersion(), st.Kind)
				}
			} else {
				seen[r.StoreName()], seen[r.Kind] = true, true
			}
			if r.Schema.Go == nil || r.Schema.Go.Name() != r.Kind+r.TypeSuffix() || r.TypeSuffix() != "" && r.StoredAsServed() {
				t.Fatalf("schema %v is not the Go type %s (or %s<Version> of a version not stored)", r.Schema.Go, r.Kind, r.Kind)
			}
			if r.HasSubresource("status") && r.Strategy.PrepareForUpdate == nil {
				t.Error("a kind with /status must say what writes of the object do to status (PrepareForUpdate: KeepStatus)")
			}
			if r.Strategy.Validate == nil && !r.Ephemeral && !r.Measured { // measured kinds are never written
				t.Error("no validation")
			}
			if got, ok := Lookup(r.Group, r.Version, r.Name); !ok || got != r {
				t.Error("Lookup does not find it")
			}
		})
	}
}

func TestPodPrepareForCreate(t *testing.T) {
	pod := obj(t, `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]},
		"status":{"phase":"Running","qosClass":"BestEffort","podIP":"10.0.0.1"}}`)
	r := resource(t, "Pod")
	r.PrepareForCreate(pod)
	if st := pod["status"].(map[string]any); len(st) != 2 || st["phase"] != "Pending" || st["qosClass"] != "Guaranteed" {
		t.Fatalf("status %v, want only phase Pending and qosClass Guaranteed", st)
	}
	// A malformed spec is left for validation to refuse.
	bad := obj(t, `{"spec":{"containers":"x"}}`)
	r.PrepareForCreate(bad)
	if st := bad["status"].(map[string]any); st["phase"] != "Pending" {
		t.Fatalf("status %v", st)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
