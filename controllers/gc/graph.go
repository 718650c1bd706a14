package gc

import (
	"slices"
	"strings"
	"sync"

	"github.com/minik8s/minik8s/api"
)

// groupKind names a kind independently of its version.
type groupKind struct {
	Group, Kind string
}

// groupKindOf returns the group and kind an owner reference points to.
func groupKindOf(r api.OwnerReference) groupKind {
	group, _, found := strings.Cut(r.APIVersion, "/")
	if !found {
		group = "" // "v1": the core group
	}
	return groupKind{Group: group, Kind: r.Kind}
}

// node is what the graph knows about one object: a copy of the parts of
// its metadata the collector decides on.
type node struct {
	gk              groupKind
	namespace, name string
	uid             string
	owners          []api.OwnerReference
	finalizers      []string
	deleting        bool // deletionTimestamp is set
}

func (n *node) hasFinalizer(f string) bool { return slices.Contains(n.finalizers, f) }

// ownerRef returns n's reference to the owner with uid, or nil.
func (n *node) ownerRef(uid string) *api.OwnerReference {
	for i := range n.owners {
		if n.owners[i].UID == uid {
			return &n.owners[i]
		}
	}
	return nil
}

// blocks reports whether r has blockOwnerDeletion set.
func blocks(r *api.OwnerReference) bool {
	return r != nil && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion
}

// graph indexes the watched objects by uid and by owner uid. It is safe for
// concurrent use; the nodes it returns are copies.
type graph struct {
	mu         sync.Mutex
	nodes      map[string]*node               // uid → object
	dependents map[string]map[string]struct{} // owner uid → dependent uids
}

func newGraph() *graph {
	return &graph{nodes: make(map[string]*node), dependents: make(map[string]map[string]struct{})}
}

func newNode(gk groupKind, m *api.ObjectMeta) *node {
	return &node{
		gk:         gk,
		namespace:  m.Namespace,
		name:       m.Name,
		uid:        m.UID,
		owners:     slices.Clone(m.OwnerReferences),
		finalizers: slices.Clone(m.Finalizers),
		deleting:   m.DeletionTimestamp != nil,
	}
}

// upsert records the object of kind gk with metadata m and returns the
// uids of the owners it no longer references (they may be waiting for it).
func (g *graph) upsert(gk groupKind, m *api.ObjectMeta) (dropped []string) {
	if m.UID == "" {
		return nil
	}
	n := newNode(gk, m)
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.nodes[n.uid]; ok {
		for _, r := range old.owners {
			if n.ownerRef(r.UID) == nil {
				g.unlink(r.UID, n.uid)
				dropped = append(dropped, r.UID)
			}
		}
	}
	g.nodes[n.uid] = n
	for _, r := range n.owners {
		set := g.dependents[r.UID]
		if set == nil {
			set = make(map[string]struct{})
			g.dependents[r.UID] = set
		}
		set[n.uid] = struct{}{}
	}
	return dropped
}

// remove forgets the object with uid and returns the uids of its owners
// and of its dependents: the objects whose state may depend on its absence.
func (g *graph) remove(uid string) (affected []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok {
		return nil
	}
	delete(g.nodes, uid)
	for _, r := range n.owners {
		g.unlink(r.UID, uid)
		affected = append(affected, r.UID)
	}
	for d := range g.dependents[uid] {
		affected = append(affected, d)
	}
	return affected
}

// unlink removes dependent from owner's set; g.mu must be held. The set
// of an owner that is not (or no longer) in the graph is kept as long as
// it has members, so that a dependent seen before its owner is found.
func (g *graph) unlink(owner, dependent string) {
	set := g.dependents[owner]
	delete(set, dependent)
	if len(set) == 0 {
		delete(g.dependents, owner)
	}
}

// get returns a copy of the object with uid.
func (g *graph) get(uid string) (node, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok {
		return node{}, false
	}
	return *n, true
}

// dependentsOf returns copies of the objects that reference the owner with
// uid, sorted by namespace and name.
func (g *graph) dependentsOf(uid string) []node {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]node, 0, len(g.dependents[uid]))
	for d := range g.dependents[uid] {
		if n, ok := g.nodes[d]; ok {
			out = append(out, *n)
		}
	}
	slices.SortFunc(out, func(a, b node) int {
		return strings.Compare(a.namespace+"/"+a.name, b.namespace+"/"+b.name)
	})
	return out
}
