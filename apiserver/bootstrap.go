package apiserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/store"
)

// systemNamespaces exist from the start, as in every Kubernetes cluster.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// bootstrap creates the system namespaces that are missing. Several API
// servers may race here; the store lets exactly one create each.
func (s *Server) bootstrap(ctx context.Context) error {
	for _, ns := range systemNamespaces {
		k := store.Key{Resource: "namespaces", Name: ns}
		if _, err := s.deps.Store.Get(ctx, k); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("bootstrap namespace %s: %w", ns, err)
		}
		o := object{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": ns, "labels": map[string]any{"kubernetes.io/metadata.name": ns}},
			"spec":     map[string]any{},
			"status":   map[string]any{"phase": "Active"},
		}
		uid := uuid.NewString()
		initMeta(o, time.Now(), uid)
		value, err := encodeStored(o)
		if err != nil {
			return err
		}
		if _, err := s.deps.Store.Create(ctx, &store.Record{Key: k, UID: uid, Value: value}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("bootstrap namespace %s: %w", ns, err)
		}
	}
	return nil
}
