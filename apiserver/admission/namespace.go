package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/store"
)

// NamespaceLifecycle refuses to create objects in a namespace that does
// not exist (404 `namespaces "x" not found`) or is being deleted (403
// `unable to create new content in namespace x because it is being
// terminated`), as Kubernetes' plugin of that name.
type NamespaceLifecycle struct {
	Namespaces *Cache
}

// Name implements Plugin.
func (NamespaceLifecycle) Name() string { return "NamespaceLifecycle" }

// Admit implements Mutator; it changes nothing, and runs first so that a
// missing namespace is what the client hears of.
func (p NamespaceLifecycle) Admit(ctx context.Context, a *Attributes) error {
	if a.Operation != Create || a.Namespace == "" || a.Resource == "namespaces" {
		return nil
	}
	rec, err := p.Namespaces.Get(ctx, "", a.Namespace)
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, api.StatusReasonNotFound, fmt.Sprintf("namespaces %q not found", a.Namespace),
			&api.StatusDetails{Name: a.Namespace, Kind: "namespaces"})
	}
	if err != nil {
		return err
	}
	if isTerminating(rec.Value) {
		return Forbidden(a, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", a.Namespace))
	}
	return nil
}

// isTerminating reads whether a stored namespace is being deleted,
// reading only the two fields (every create in a namespace asks).
func isTerminating(value []byte) bool {
	if !gjson.ValidBytes(value) {
		return false
	}
	r := gjson.GetManyBytes(value, "metadata.deletionTimestamp", "status.phase")
	return r[0].Exists() && r[0].Type != gjson.Null || r[1].Str == "Terminating"
}
