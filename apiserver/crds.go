package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/discovery"
	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
	"github.com/minik8s/minik8s/workqueue"
)

// crdStoreName is where CustomResourceDefinitions are stored.
const crdStoreName = "customresourcedefinitions." + api.APIExtensionsGroup

// crds serves the kinds that CustomResourceDefinitions declare, as
// Kubernetes' apiextensions-apiserver does inside kube-apiserver. Every API
// server keeps its own copy, fed by the watch of CRDs (so a CRD created
// through another API server sharing the store is served here as soon as
// the watch delivers it), and rebuilds its declarations and its discovery
// and OpenAPI documents on every change of a CRD.
//
// Every API server also does the CRD controllers' work: it writes each
// CRD's status (NamesAccepted, Established, Terminating, accepted names)
// and, for a CRD being deleted, deletes its objects and then the cleanup
// finalizer. That work is idempotent and every server computes the same
// status from the same CRDs, so servers sharing a store converge: a write
// that loses a race finds the status already as it wants it.
type crds struct {
	log zerolog.Logger

	mu sync.RWMutex
	// byName holds every stored CRD, by name.
	byName map[string]*api.CustomResourceDefinition
	// served maps group/version/plural to the declaration served there.
	served map[string]*registry.Resource
	// state is each CRD's computed acceptance.
	state map[string]crdState
	disc  *discovery.Handlers
	// removed holds, per served CRD, the channel closed when it stops
	// being served (registry.Resource.Removed). Only rebuild uses it.
	removed map[string]chan struct{}
	// resources are every served kind, for the next documents; docsDirty
	// tells docsLoop to build them. pending are the CRDs to sync once
	// they are: a CRD is Established only when discovery lists its kind.
	resources []*registry.Resource
	docsDirty chan struct{}
	pending   map[string]bool
	// servedUIDs are the CRDs (name → UID) whose kinds resources holds;
	// documented are those the current documents list. syncCRD declares
	// a CRD Established only once documented has its UID: a CRD deleted
	// and created again under the same name is queued by the deletion's
	// documents, built without it.
	servedUIDs, documented map[string]string

	queue *workqueue.Queue[string]
	// loaded is set once the stored CRDs are served.
	loaded atomic.Bool
}

// crdState is what the API server decided about one CRD.
type crdState struct {
	accepted bool
	conflict string // why the names were not accepted
	failure  string // why the kind could not be built
}

func newCRDs(log zerolog.Logger) (*crds, error) {
	c := &crds{
		log:    log,
		byName: map[string]*api.CustomResourceDefinition{},
		served: map[string]*registry.Resource{},
		state:  map[string]crdState{},

		removed: map[string]chan struct{}{},

		docsDirty: make(chan struct{}, 1),
		pending:   map[string]bool{},

		servedUIDs: map[string]string{},
		documented: map[string]string{},
	}
	d, err := discovery.New(registry.All())
	if err != nil {
		return nil, err
	}
	c.disc = d
	return c, nil
}

func gvrKey(group, version, plural string) string { return group + "/" + version + "/" + plural }

// lookup finds a custom resource served at group, version and plural.
func (c *crds) lookup(group, version, plural string) (*registry.Resource, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.served[gvrKey(group, version, plural)]
	return r, ok
}

// discovery returns the current discovery and OpenAPI documents.
func (c *crds) discovery() *discovery.Handlers {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.disc
}

// run keeps the served kinds in step with the stored CRDs until ctx ends
// (list, then watch from the list's revision, starting over when the watch
// ends), and works off the CRDs' status and cleanup.
func (c *crds) run(ctx context.Context, s *Server) {
	c.queue = workqueue.New(workqueue.Config[string]{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			name, shutdown := c.queue.Get()
			if shutdown {
				return
			}
			again, err := s.syncCRD(ctx, name)
			switch {
			case err != nil && ctx.Err() == nil:
				c.log.Debug().Err(err).Str("crd", name).Msg("sync CRD")
				c.queue.AddRateLimited(name)
			case again:
				c.queue.AddAfter(name, time.Second)
			default:
				c.queue.Forget(name)
			}
			c.queue.Done(name)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.docsLoop(ctx)
	}()
	for ctx.Err() == nil {
		if err := c.watch(ctx, s.deps.Store, s.hub); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("watch CRDs")
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	c.queue.ShutDown()
	wg.Wait()
}

// docsLoop rebuilds the discovery and OpenAPI documents after every
// change of the served kinds (changes that come while one is built are
// taken by the next), then queues the CRDs that changed for syncCRD,
// until ctx ends.
func (c *crds) docsLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.docsDirty:
		}
		for name := range c.buildDocs(c.takeDocsWork()) {
			c.queue.Add(name)
		}
	}
}

// docsWork is what one build of the documents starts from.
type docsWork struct {
	resources []*registry.Resource
	uids      map[string]string // the CRDs resources holds, name → UID
	pending   map[string]bool   // the CRDs to sync once the documents are built
}

// takeDocsWork takes the served kinds and the pending CRDs for a build.
func (c *crds) takeDocsWork() docsWork {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := docsWork{resources: c.resources, uids: c.servedUIDs, pending: c.pending}
	c.pending = map[string]bool{}
	return w
}

// buildDocs builds the documents of w, swaps them in and returns the CRDs
// to sync.
func (c *crds) buildDocs(w docsWork) map[string]bool {
	disc, err := discovery.New(w.resources)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// A schema OpenAPI cannot render: keep the documents as they were.
		c.log.Warn().Err(err).Msg("build discovery documents with custom resources")
	} else {
		c.disc = disc
	}
	c.documented = w.uids
	return w.pending
}

// documentedNow tells whether the current documents list the kinds of CRD
// name with uid.
func (c *crds) documentedNow(name, uid string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.documented[name] == uid
}

func (c *crds) watch(ctx context.Context, st store.Store, h *hub.Hub) error {
	recs, rev, err := st.List(ctx, store.Prefix{Resource: crdStoreName}, store.ListOptions{})
	if err != nil {
		return err
	}
	w, err := h.Watch(ctx, rev, func(ch *store.Change) bool { return ch.Resource == crdStoreName })
	if err != nil {
		return err
	}
	defer w.Stop()
	all := map[string]*api.CustomResourceDefinition{}
	var names []string
	for _, r := range recs {
		if crd := c.decode(r.Value); crd != nil {
			all[r.Name] = crd
			names = append(names, r.Name)
		}
	}
	c.rebuild(all, names)
	c.loaded.Store(true)
	for ch := range w.Events() {
		c.mu.RLock()
		next := make(map[string]*api.CustomResourceDefinition, len(c.byName)+1)
		for k, v := range c.byName {
			next[k] = v
		}
		c.mu.RUnlock()
		apply := func(ch *store.Change) {
			if ch.Type == store.Deleted {
				delete(next, ch.Name)
			} else if crd := c.decode(ch.Value); crd != nil {
				next[ch.Name] = crd
			}
		}
		apply(&ch)
		changed := []string{ch.Name}
		// Take every change queued behind this one before rebuilding.
		for len(w.Events()) > 0 {
			ch := <-w.Events()
			apply(&ch)
			changed = append(changed, ch.Name)
		}
		c.rebuild(next, changed)
	}
	return w.Err()
}

func (c *crds) decode(value []byte) *api.CustomResourceDefinition {
	var crd api.CustomResourceDefinition
	if err := api.Unmarshal(value, &crd); err != nil {
		c.log.Warn().Err(err).Msg("decode stored CRD")
		return nil
	}
	return &crd
}

// rebuild decides which CRDs' names are accepted, builds their
// declarations and the discovery documents, and swaps them in; then it
// queues the CRDs whose status or cleanup may need work: those that
// changed, and those whose acceptance did.
func (c *crds) rebuild(all map[string]*api.CustomResourceDefinition, changed []string) {
	state := acceptNames(all)
	served := map[string]*registry.Resource{}
	uids := map[string]string{}
	resources := slices.Clone(registry.All())
	for _, name := range sortedKeys(all) {
		crd := all[name]
		st := state[name]
		if !st.accepted {
			continue
		}
		terminating := crd.DeletionTimestamp != nil
		rs, err := registry.CustomResources(crd, func() bool { return terminating })
		if err != nil {
			st.accepted, st.failure = false, err.Error()
			state[name] = st
			continue
		}
		ch, ok := c.removed[name]
		if !ok {
			ch = make(chan struct{})
			c.removed[name] = ch
		}
		for _, r := range rs {
			r.Removed = ch
			served[gvrKey(r.Group, r.Version, r.Name)] = r
			resources = append(resources, r)
		}
		uids[name] = crd.UID
	}
	for name, ch := range c.removed {
		if st, ok := state[name]; !ok || !st.accepted {
			close(ch)
			delete(c.removed, name)
		}
	}
	// Serve the kinds at once; the documents, which take longer to build,
	// follow from docsLoop.
	c.mu.Lock()
	old := c.state
	c.byName, c.served, c.state, c.resources, c.servedUIDs = all, served, state, resources, uids
	for _, name := range changed {
		c.pending[name] = true
	}
	for name, st := range state {
		if old[name] != st {
			c.pending[name] = true
		}
	}
	c.mu.Unlock()
	select {
	case c.docsDirty <- struct{}{}:
	default: // a rebuild is pending already; it will read these
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// acceptNames decides, within each API group, which CRD gets each name:
// a CRD whose names were accepted before keeps them, then the oldest CRD
// wins. A CRD one of whose names is taken (by a built-in kind too) is not
// served, and its NamesAccepted condition says which name.
func acceptNames(all map[string]*api.CustomResourceDefinition) map[string]crdState {
	order := sortedKeys(all)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := all[order[i]], all[order[j]]
		if pa, pb := a.Status.AcceptedNames.Plural != "", b.Status.AcceptedNames.Plural != ""; pa != pb {
			return pa
		}
		return a.CreationTimestamp.Before(b.CreationTimestamp.Time)
	})
	type names struct{ resources, kinds map[string]bool }
	taken := map[string]*names{}
	group := func(g string) *names {
		n, ok := taken[g]
		if !ok {
			n = &names{resources: map[string]bool{}, kinds: map[string]bool{}}
			for _, r := range registry.All() {
				if r.Group == g {
					n.resources[r.Name] = true
					n.kinds[r.Kind] = true
				}
			}
			taken[g] = n
		}
		return n
	}
	out := map[string]crdState{}
	for _, name := range order {
		crd := all[name]
		n := group(crd.Spec.Group)
		sn := crd.Spec.Names
		resNames := append([]string{sn.Plural, sn.Singular}, sn.ShortNames...)
		kinds := []string{sn.Kind, sn.ListKind}
		conflict := ""
		for _, r := range resNames {
			if r != "" && n.resources[r] {
				conflict = fmt.Sprintf("%q is already in use", r)
				break
			}
		}
		for _, k := range kinds {
			if conflict == "" && k != "" && n.kinds[k] {
				conflict = fmt.Sprintf("%q is already in use", k)
			}
		}
		if conflict != "" {
			out[name] = crdState{conflict: conflict}
			continue
		}
		for _, r := range resNames {
			if r != "" {
				n.resources[r] = true
			}
		}
		for _, k := range kinds {
			if k != "" {
				n.kinds[k] = true
			}
		}
		out[name] = crdState{accepted: true}
	}
	return out
}

// syncCRD writes a CRD's status as this server computed it and, for a CRD
// being deleted, deletes its objects and then its cleanup finalizer.
// again asks to be called again later (objects still going away).
func (s *Server) syncCRD(ctx context.Context, name string) (again bool, err error) {
	c := s.crds
	c.mu.RLock()
	crd, ok := c.byName[name]
	st := c.state[name]
	c.mu.RUnlock()
	if !ok {
		return false, nil
	}
	if st.accepted && !c.documentedNow(name, crd.UID) {
		// Not Established before discovery lists its kind (clients such
		// as Helm read discovery as soon as it is): docsLoop queues it
		// again when the documents do.
		return false, nil
	}
	crdRes, _ := registry.Lookup(api.APIExtensionsGroup, "v1", "customresourcedefinitions")
	key := store.Key{Resource: crdStoreName, Name: name}
	if _, err := s.guaranteedUpdate(ctx, crdRes, key, func(cur object, _ []byte) (object, []byte, error) {
		next := registry.DeepCopy(cur).(map[string]any)
		status, err := registry.As[api.CustomResourceDefinition](cur)
		if err != nil {
			return nil, nil, err
		}
		// As decoded JSON, so that an unchanged status encodes as stored
		// and is not written again.
		b, err := json.Marshal(crdStatus(status, st, time.Now()))
		if err != nil {
			return nil, nil, err
		}
		if next["status"], err = decodeObject(b); err != nil {
			return nil, nil, err
		}
		return next, nil, nil
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if crd.DeletionTimestamp == nil || !slices.Contains(crd.Finalizers, api.CRDCleanupFinalizer) {
		return false, nil
	}
	// Delete the objects, each as a DELETE would; the CRD stays until
	// they are gone (those with finalizers may take a while).
	storeName := crd.Spec.Names.Plural + "." + crd.Spec.Group
	recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: storeName}, store.ListOptions{})
	if err != nil {
		return false, err
	}
	if len(recs) > 0 {
		res := &registry.Resource{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind, Name: crd.Spec.Names.Plural}
		for _, rec := range recs {
			if _, _, err := s.deleteObject(ctx, res, rec.Key, api.DeleteOptions{}); err != nil && !errors.Is(err, store.ErrNotFound) {
				return false, err
			}
		}
		return true, nil
	}
	_, err = s.guaranteedUpdate(ctx, crdRes, key, func(cur object, _ []byte) (object, []byte, error) {
		next := registry.DeepCopy(cur).(map[string]any)
		meta := metaOf(next)
		var keep []any
		for _, f := range stringList(meta["finalizers"]) {
			if f != api.CRDCleanupFinalizer {
				keep = append(keep, f)
			}
		}
		if len(keep) == 0 {
			delete(meta, "finalizers")
		} else {
			meta["finalizers"] = keep
		}
		return next, nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	return false, err
}

// crdStatus is the status a CRD should have given the server's decision:
// its conditions (keeping the transition times of those that did not
// change), accepted names and stored versions.
func crdStatus(crd *api.CustomResourceDefinition, st crdState, now time.Time) api.CustomResourceDefinitionStatus {
	status := crd.Status
	cond := func(typ string, ok bool, reason, msg string) {
		want := api.CustomResourceDefinitionCondition{Type: typ, Status: api.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			want.Status = api.ConditionTrue
		}
		for i, c := range status.Conditions {
			if c.Type != typ {
				continue
			}
			want.LastTransitionTime = c.LastTransitionTime
			if c.Status != want.Status {
				want.LastTransitionTime = &api.Time{Time: now.UTC().Truncate(time.Second)}
			}
			status.Conditions[i] = want
			return
		}
		want.LastTransitionTime = &api.Time{Time: now.UTC().Truncate(time.Second)}
		status.Conditions = append(status.Conditions, want)
	}
	status.Conditions = slices.Clone(status.Conditions)
	switch {
	case st.accepted:
		cond(api.CRDNamesAccepted, true, "NoConflicts", "no conflicts found")
		status.AcceptedNames = crd.Spec.Names
		cond(api.CRDEstablished, true, "InitialNamesAccepted", "the initial names have been accepted")
	case st.failure != "":
		cond(api.CRDNamesAccepted, true, "NoConflicts", "no conflicts found")
		cond(api.CRDEstablished, false, "InstallationFailure", st.failure)
	default:
		cond(api.CRDNamesAccepted, false, "NameConflict", st.conflict)
		cond(api.CRDEstablished, false, "NotAccepted", "not all names are accepted")
	}
	if crd.DeletionTimestamp != nil {
		cond(api.CRDTerminating, true, "InstanceDeletionInProgress", "CustomResource deletion is in progress")
	}
	for _, v := range crd.Spec.Versions {
		if v.Storage && !slices.Contains(status.StoredVersions, v.Name) {
			status.StoredVersions = append(slices.Clone(status.StoredVersions), v.Name)
		}
	}
	return status
}
