package apiserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// bootstrap creates the objects every cluster has (each kind's
// Bootstrap: the system namespaces, the system priority classes) that are
// missing. Several API servers may race here; the store lets exactly one
// create each.
func (s *Server) bootstrap(ctx context.Context) error {
	if err := s.bootstrapRBAC(ctx); err != nil {
		return err
	}
	for _, res := range registry.All() {
		for _, b := range res.Bootstrap {
			o := deepCopy(b).(map[string]any)
			o["apiVersion"], o["kind"] = res.GroupVersion(), res.Kind
			k := store.Key{Resource: res.StoreName(), Namespace: nestedString(o, "metadata", "namespace"), Name: nestedString(o, "metadata", "name")}
			if _, err := s.deps.Store.Get(ctx, k); err == nil {
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
			}
			uid := uuid.NewString()
			initMeta(o, time.Now(), uid)
			value, err := encodeStored(o)
			if err != nil {
				return err
			}
			if _, err := s.deps.Store.Create(ctx, &store.Record{Key: k, UID: uid, Value: value}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
			}
		}
	}
	return nil
}
