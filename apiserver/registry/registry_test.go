package registry

import (
	"encoding/json"
	"testing"

	"github.com/minik8s/minik8s/api"
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
			if r.Strategy.Validate == nil && !r.Ephemeral && !r.Measured && !r.Probed { // measured and probed kinds are never written
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

// TestPodResourcesMatchesAs checks that the QoS class computed from the
// resources read off the pipeline's map is the one the typed spec (As)
// gives, including quantities written as numbers, init containers, null
// and malformed values.
func TestPodResourcesMatchesAs(t *testing.T) {
	for _, spec := range []string{
		`{"containers":[{"name":"c"}]}`,
		`{"containers":[{"name":"c","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":1,"memory":"1Gi"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}],"initContainers":[{"name":"i","resources":{"requests":{"cpu":"1"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":"0","memory":"0"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":1.5,"memory":1e9},"requests":{"cpu":"1500m","memory":"1G"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":null,"requests":{"cpu":"1"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":null}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":"one"}}}]}`,
		`{"containers":[{"name":"c","resources":{"limits":{"cpu":true}}}]}`,
		`{"containers":[{"name":"c","resources":"x"}]}`,
		`{"containers":["x"]}`,
		`{"containers":"x"}`,
		`{"initContainers":[{"name":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}`,
	} {
		o := obj(t, `{"spec":`+spec+`}`)
		fast, fastOK := podResources(o["spec"])
		slow, slowOK := slowPodResources(o["spec"])
		if fastOK != slowOK {
			t.Errorf("%s: read %v, As %v", spec, fastOK, slowOK)
			continue
		}
		if fastOK && api.ComputeQOSClass(fast) != api.ComputeQOSClass(slow) {
			t.Errorf("%s: class %s, As gives %s", spec, api.ComputeQOSClass(fast), api.ComputeQOSClass(slow))
		}
	}
}
