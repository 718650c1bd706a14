package controllerutil

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// ControllerRevisionHashLabel labels a ControllerRevision with the hash of
// its data, and the pods of a DaemonSet (the hash) or StatefulSet (the
// revision's name) with the revision they were made from.
const ControllerRevisionHashLabel = "controller-revision-hash"

// RevisionClient is every write History makes; NewRevisionClient in
// production.
type RevisionClient interface {
	CreateControllerRevision(ctx context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error)
	GetControllerRevision(ctx context.Context, namespace, name string) (*api.ControllerRevision, error)
	UpdateControllerRevision(ctx context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error)
	DeleteControllerRevision(ctx context.Context, namespace, name, uid string) error
	PatchControllerRevision(ctx context.Context, namespace, name string, patch []byte) error
}

type revisionClient struct{ c *client.Client }

// NewRevisionClient returns a RevisionClient that talks to the API server
// through c.
func NewRevisionClient(c *client.Client) RevisionClient { return revisionClient{c} }

func (r revisionClient) res(ns string) *client.ResourceClient[api.ControllerRevision, *api.ControllerRevision] {
	return client.Resource[api.ControllerRevision](r.c, client.ControllerRevisions, ns)
}

func (r revisionClient) CreateControllerRevision(ctx context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error) {
	return r.res(cr.Namespace).Create(ctx, cr)
}

func (r revisionClient) GetControllerRevision(ctx context.Context, ns, name string) (*api.ControllerRevision, error) {
	return r.res(ns).Get(ctx, name)
}

func (r revisionClient) UpdateControllerRevision(ctx context.Context, cr *api.ControllerRevision) (*api.ControllerRevision, error) {
	return r.res(cr.Namespace).Update(ctx, cr)
}

// DeleteControllerRevision deletes the revision only if it still has uid.
func (r revisionClient) DeleteControllerRevision(ctx context.Context, ns, name, uid string) error {
	return r.res(ns).Delete(ctx, name, api.DeleteOptions{Preconditions: &api.Preconditions{UID: &uid}})
}

func (r revisionClient) PatchControllerRevision(ctx context.Context, ns, name string, patch []byte) error {
	err := r.res(ns).PatchDiscard(ctx, name, client.StrategicMergePatchType, patch)
	return err
}

// History keeps the ControllerRevisions of the DaemonSets or the
// StatefulSets of one controller, as Kubernetes' controller/history: one
// immutable revision per distinct pod template, numbered in the order
// they became current, so that kubectl rollout history and undo work.
type History struct {
	// Revisions is the shared informer of ControllerRevisions, made with
	// Indexers.
	Revisions *informer.Informer[*api.ControllerRevision]
	Client    RevisionClient
	// OwnerAPIVersion and OwnerKind name the owners' kind, e.g. "apps/v1"
	// and "DaemonSet".
	OwnerAPIVersion, OwnerKind string
}

// Claim returns the revisions owner controls, after adopting the orphans
// sel matches and releasing owned ones it no longer matches (Claim);
// canAdopt re-checks the owner against the API server. They are sorted
// oldest first (SortRevisions).
func (h History) Claim(ctx context.Context, owner *api.ObjectMeta, sel labels.Selector, canAdopt func(context.Context) error) ([]*api.ControllerRevision, error) {
	owned := h.Revisions.ByIndex(IndexControllerUID, owner.UID)
	orphans := h.Revisions.ByIndex(IndexOrphans, owner.Namespace)
	revs, err := Claim(ctx, Claimer{
		Owner: owner, OwnerAPIVersion: h.OwnerAPIVersion, OwnerKind: h.OwnerKind, Selector: sel, CanAdopt: canAdopt,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return h.Client.PatchControllerRevision(ctx, owner.Namespace, name, patch)
		},
	}, owned, orphans)
	SortRevisions(revs)
	return revs, err
}

// SortRevisions orders revisions by revision number, then creation time,
// then name.
func SortRevisions(revs []*api.ControllerRevision) {
	slices.SortFunc(revs, func(a, b *api.ControllerRevision) int {
		if c := cmp.Compare(a.Revision, b.Revision); c != 0 {
			return c
		}
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// TemplatePatch is the data of the revision of a pod template, as
// Kubernetes writes it for DaemonSets and StatefulSets: a strategic merge
// patch that replaces spec.template, which is what kubectl rollout undo
// applies to the owner. Map keys are sorted, so equal templates give
// equal bytes.
func TemplatePatch(t *api.PodTemplateSpec) []byte {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // api types always encode
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		panic(err)
	}
	tmpl["$patch"] = "replace"
	return mustJSON(map[string]any{"spec": map[string]any{"template": tmpl}})
}

// TemplateOf decodes the pod template of a revision TemplatePatch made.
func TemplateOf(cr *api.ControllerRevision) (*api.PodTemplateSpec, error) {
	var data struct {
		Spec struct {
			Template api.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(cr.Data, &data); err != nil {
		return nil, fmt.Errorf("revision %s: %w", cr.Name, err)
	}
	return &data.Spec.Template, nil
}

// RevisionName is the name of owner's revision with hash, as Kubernetes
// names it (the owner's name cut to 223 characters, "-", the hash).
func RevisionName(owner, hash string) string {
	if len(owner) > 223 {
		owner = owner[:223]
	}
	return owner + "-" + hash
}

// Update makes the revision with data the newest of owner's revisions
// (sorted oldest first) and returns it: the newest revision if it has
// data already; an older one with data gets the next revision number (a
// rollback); otherwise a new revision is created, named after owner and
// the hash of data, labelled with lbls and the hash. A name taken by a
// revision with other data raises *collisionCount, which the caller keeps
// in the owner's status, and another name is tried.
func (h History) Update(ctx context.Context, owner *api.ObjectMeta, lbls map[string]string, data []byte, revisions []*api.ControllerRevision, collisionCount *int32) (*api.ControllerRevision, error) {
	next := int64(1)
	if n := len(revisions); n > 0 {
		next = revisions[n-1].Revision + 1
	}
	var equal *api.ControllerRevision
	for _, r := range revisions {
		if bytes.Equal(r.Data, data) || jsonEqual(r.Data, data) {
			equal = r
		}
	}
	switch {
	case equal != nil && equal == revisions[len(revisions)-1]:
		return equal, nil
	case equal != nil:
		bumped := api.DeepCopy(equal)
		bumped.Revision = next
		return h.Client.UpdateControllerRevision(ctx, bumped)
	}
	for {
		hash := HashBytes(data, collisionCount)
		cr := &api.ControllerRevision{
			TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "ControllerRevision"},
			ObjectMeta: api.ObjectMeta{
				Name:            RevisionName(owner.Name, hash),
				Namespace:       owner.Namespace,
				Labels:          maps.Clone(lbls),
				OwnerReferences: []api.OwnerReference{*api.NewControllerRef(*owner, h.OwnerAPIVersion, h.OwnerKind)},
			},
			Data:     data,
			Revision: next,
		}
		if cr.Labels == nil {
			cr.Labels = map[string]string{}
		}
		cr.Labels[ControllerRevisionHashLabel] = hash
		created, err := h.Client.CreateControllerRevision(ctx, cr)
		if err == nil {
			return created, nil
		}
		if !client.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create revision %s: %w", cr.Name, err)
		}
		existing, gerr := h.Client.GetControllerRevision(ctx, cr.Namespace, cr.Name)
		if gerr != nil {
			return nil, fmt.Errorf("read revision %s: %w", cr.Name, gerr)
		}
		if api.IsControlledBy(&existing.ObjectMeta, owner) && jsonEqual(existing.Data, data) {
			// Ours, made by an earlier sync the cache has not shown yet.
			if existing.Revision < next {
				existing.Revision = next
				return h.Client.UpdateControllerRevision(ctx, existing)
			}
			return existing, nil
		}
		if collisionCount == nil {
			return nil, errors.New("revision name collision and no collision count to raise")
		}
		*collisionCount++
	}
}

// Truncate deletes owner's oldest revisions (sorted oldest first) beyond
// limit, sparing those live says are in use (the current and update
// revisions, those of existing pods).
func (h History) Truncate(ctx context.Context, revisions []*api.ControllerRevision, live func(*api.ControllerRevision) bool, limit int) error {
	var old []*api.ControllerRevision
	for _, r := range revisions {
		if !live(r) {
			old = append(old, r)
		}
	}
	var errs []error
	for _, r := range old[:max(len(old)-max(limit, 0), 0)] {
		if err := h.Client.DeleteControllerRevision(ctx, r.Namespace, r.Name, r.UID); err != nil && !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete revision %s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
