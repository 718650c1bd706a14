package controllerutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/labels"
)

// Claimer decides which dependents an owner controls, as Kubernetes'
// ControllerRefManager: it keeps owned dependents that still match the
// selector, releases owned ones that no longer match, and adopts matching
// orphans.
type Claimer struct {
	// Owner is the controller's object; its uid and deletionTimestamp
	// matter.
	Owner *api.ObjectMeta
	// OwnerAPIVersion and OwnerKind go into adopted dependents' owner
	// references, e.g. "apps/v1" and "ReplicaSet".
	OwnerAPIVersion, OwnerKind string
	// Selector picks the dependents.
	Selector labels.Selector
	// CanAdopt re-checks, against the API server rather than a cache, that
	// the owner still exists with the same uid and is not being deleted.
	// It is called at most once per Claim, before the first adoption.
	CanAdopt func(ctx context.Context) error
	// Patch applies a strategic merge patch to the named dependent in the
	// owner's namespace.
	Patch func(ctx context.Context, name string, patch []byte) error
}

// Claim returns the dependents the owner controls after adopting and
// releasing: owned are the candidates whose controller reference names the
// owner, orphans those with no controller reference (others are skipped).
// A dependent that vanished meanwhile is left out. Failed adoptions and
// releases are returned joined; the dependents claimed so far are
// returned with them.
func Claim[T api.Object](ctx context.Context, c Claimer, owned, orphans []T) ([]T, error) {
	var (
		claimed = make([]T, 0, len(owned)) // almost always all of owned
		errs    []error
		adopt   error // CanAdopt's answer, once asked
		asked   bool
	)
	ownerDeleting := c.Owner.DeletionTimestamp != nil
	for _, obj := range owned {
		m := obj.GetObjectMeta()
		if r := api.GetControllerOf(m); r == nil || r.UID != c.Owner.UID {
			continue
		}
		if c.Selector.Matches(m.Labels) {
			claimed = append(claimed, obj)
			continue
		}
		if ownerDeleting {
			continue // the garbage collector deals with the dependents
		}
		if err := c.Patch(ctx, m.Name, ReleasePatch(m.UID, c.Owner.UID)); err != nil && !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("release %s: %w", m.Name, err))
		}
	}
	for _, obj := range orphans {
		m := obj.GetObjectMeta()
		if api.GetControllerOf(m) != nil || !c.Selector.Matches(m.Labels) || ownerDeleting || m.DeletionTimestamp != nil {
			continue
		}
		if !asked {
			adopt, asked = c.CanAdopt(ctx), true
		}
		if adopt != nil {
			errs = append(errs, fmt.Errorf("adopt %s: %w", m.Name, adopt))
			break
		}
		ref := api.NewControllerRef(*c.Owner, c.OwnerAPIVersion, c.OwnerKind)
		err := c.Patch(ctx, m.Name, AdoptPatch(m.UID, *ref))
		switch {
		case client.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("adopt %s: %w", m.Name, err))
		default:
			claimed = append(claimed, obj)
		}
	}
	return claimed, errors.Join(errs...)
}

// ErrOwnerChanged is CanAdopt's answer when the owner was deleted,
// recreated or marked for deletion since it was cached.
var ErrOwnerChanged = errors.New("owner is gone or being deleted")

// CheckOwner is the usual body of a CanAdopt: fresh is the owner as just
// read from the API server and err the error of reading it; cached is the
// owner as cached.
func CheckOwner(fresh api.Object, err error, cached *api.ObjectMeta) error {
	if err != nil {
		return fmt.Errorf("read owner: %w", err)
	}
	if m := fresh.GetObjectMeta(); m.UID != cached.UID || m.DeletionTimestamp != nil {
		return ErrOwnerChanged
	}
	return nil
}

// AdoptPatch is the strategic merge patch that adds ref to the owner
// references of the object with uid. The uid names the object the patch
// was meant for.
func AdoptPatch(uid string, ref api.OwnerReference) []byte {
	return mustJSON(map[string]any{"metadata": map[string]any{
		"ownerReferences": []api.OwnerReference{ref},
		"uid":             uid,
	}})
}

// ReleasePatch is the strategic merge patch that removes the owner
// reference to ownerUID from the object with uid.
func ReleasePatch(uid, ownerUID string) []byte {
	return mustJSON(map[string]any{"metadata": map[string]any{
		"ownerReferences": []map[string]string{{"$patch": "delete", "uid": ownerUID}},
		"uid":             uid,
	}})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings and owner references
	}
	return b
}
