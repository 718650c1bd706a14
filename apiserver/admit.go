package apiserver

import (
	"context"
	"fmt"

	"github.com/minik8s/minik8s/apiserver/admission"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// admissionChain is the API server's admission chain, in Kubernetes'
// order: NamespaceLifecycle, LimitRanger, ServiceAccount, then (validating
// only) ResourceQuota, which goes last so that nothing after it can refuse
// an object it has charged.
func (s *Server) admissionChain() admission.Chain {
	return admission.Chain{
		admission.NamespaceLifecycle{Namespaces: s.namespaces},
		admission.LimitRanger{LimitRanges: s.limitRanges},
		admission.ServiceAccount{Accounts: s.serviceAccounts},
		admission.ResourceQuota{Quotas: s.quotas, Store: s.deps.Store, Update: s.updateStored},
	}
}

// attributes describes the write r makes of o (old: the stored object on
// update) to admission.
func (s *Server) attributes(r *request, op admission.Operation, o, old object) *admission.Attributes {
	ctx := r.c.Request().Context()
	u, _ := authn.UserFrom(ctx)
	name := nestedString(o, "metadata", "name")
	if name == "" {
		name = nestedString(o, "metadata", "generateName")
	}
	return &admission.Attributes{
		Operation: op, Resource: r.res.StoreName(), Kind: r.res.Kind, Subresource: r.ri.Subresource,
		Namespace: r.ri.Namespace, Name: name, Object: o, Old: old,
		DryRun: r.dryRun, User: u,
	}
}

// updateStored changes a stored object through guaranteedUpdate, for
// admission plugins (ResourceQuota's status.used).
func (s *Server) updateStored(ctx context.Context, key store.Key, mutate func(cur map[string]any) error) error {
	res, ok := registry.ByStoreName(key.Resource)
	if !ok {
		return fmt.Errorf("updateStored: no resource %q", key.Resource)
	}
	_, err := s.guaranteedUpdate(ctx, res, key, func(cur object, _ []byte) (object, []byte, error) {
		if err := mutate(cur); err != nil {
			return nil, nil, err
		}
		return cur, nil, nil
	})
	return err
}
