package gc

import (
	"reflect"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func meta(uid string, owners ...string) *api.ObjectMeta {
	m := &api.ObjectMeta{Namespace: "default", Name: "obj-" + uid, UID: uid}
	for _, o := range owners {
		m.OwnerReferences = append(m.OwnerReferences, api.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs-" + o, UID: o})
	}
	return m
}

func uids(nodes []node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.uid)
	}
	return out
}

func TestGraph(t *testing.T) {
	g := newGraph()
	// A dependent may be seen before its owner.
	g.upsert(podKind, meta("p1", "rs"))
	g.upsert(podKind, meta("p2", "rs", "other"))
	g.upsert(replicaSetKind, meta("rs"))
	if got := uids(g.dependentsOf("rs")); !reflect.DeepEqual(got, []string{"p1", "p2"}) {
		t.Fatalf("dependents of rs = %v", got)
	}
	// Dropping a reference reports the owner and unlinks it.
	if dropped := g.upsert(podKind, meta("p2", "other")); !reflect.DeepEqual(dropped, []string{"rs"}) {
		t.Fatalf("dropped = %v, want [rs]", dropped)
	}
	if got := uids(g.dependentsOf("rs")); !reflect.DeepEqual(got, []string{"p1"}) {
		t.Fatalf("dependents of rs after p2 let go = %v", got)
	}
	// Removing an object reports its owners and its dependents.
	affected := g.remove("rs")
	slices.Sort(affected)
	if !reflect.DeepEqual(affected, []string{"p1"}) {
		t.Fatalf("remove(rs) affected %v, want [p1]", affected)
	}
	if _, ok := g.get("rs"); ok {
		t.Fatal("rs still in the graph")
	}
	// The dependents stay indexed under the missing owner's uid, so that
	// the collector finds them.
	if got := uids(g.dependentsOf("rs")); !reflect.DeepEqual(got, []string{"p1"}) {
		t.Fatalf("dependents of a removed owner = %v", got)
	}
	if affected := g.remove("p1"); !reflect.DeepEqual(affected, []string{"rs"}) {
		t.Fatalf("remove(p1) affected %v, want [rs]", affected)
	}
	if len(g.dependents["rs"]) != 0 {
		t.Fatal("empty dependent set kept")
	}
	if g.upsert(podKind, &api.ObjectMeta{Name: "no-uid"}) != nil || len(g.nodes) != 1 {
		t.Fatal("an object without uid was recorded")
	}
}

func TestGroupKindOf(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		want             groupKind
	}{
		{"v1", "Pod", podKind},
		{"apps/v1", "ReplicaSet", replicaSetKind},
		{"apps/v1beta2", "Deployment", deploymentKind},
		{"example.com/v1", "Thing", groupKind{"example.com", "Thing"}},
	} {
		if got := groupKindOf(api.OwnerReference{APIVersion: tc.apiVersion, Kind: tc.kind}); got != tc.want {
			t.Errorf("groupKindOf(%s, %s) = %v, want %v", tc.apiVersion, tc.kind, got, tc.want)
		}
	}
}

var (
	podKind        = groupKind{Kind: "Pod"}
	replicaSetKind = groupKind{Group: "apps", Kind: "ReplicaSet"}
	deploymentKind = groupKind{Group: "apps", Kind: "Deployment"}
)
