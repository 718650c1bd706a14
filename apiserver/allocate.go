package apiserver

import (
	"context"
	"time"

	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/servicealloc"
)

// allocator claims values an object holds that must be unique in the
// cluster but live outside the object's own row: a Service's cluster IP
// and node ports (servicealloc). The write pipeline calls Allocate before
// it writes the object (and the returned undo if the write fails), and
// Release after the write that dropped them or deleted the object.
type allocator interface {
	Allocate(ctx context.Context, next, cur object, dryRun bool) (servicealloc.Undo, field.ErrorList, error)
	Release(ctx context.Context, cur, next object) error
}

var _ allocator = (*servicealloc.Allocator)(nil)

// allocatedWriteTimeout bounds the write of an object after its values
// were claimed, so that a write can no longer land once the repair loop's
// grace (repairGrace) has passed and the claims may have been given back.
const allocatedWriteTimeout = 30 * time.Second

// repairGrace is how old a claim whose object is missing must be before
// the repair loop gives it back: longer than allocatedWriteTimeout plus
// the store's commit timeout.
const repairGrace = 2 * time.Minute

// repairInterval is how often each API server repairs the claims.
const repairInterval = 3 * time.Minute

// allocatingResource returns the declaration of a store resource that
// has an allocator.
func (s *Server) allocatingResource(storeName string) (*registry.Resource, bool) {
	if s.allocators[storeName] == nil {
		return nil, false
	}
	return registry.ByStoreName(storeName)
}

// allocate runs the resource's allocator, if it has one, on the next
// version of an object (cur: the stored one, nil on create). Field errors
// are the kind's 422. The returned undo (never nil) releases what was
// claimed; call it if the write fails.
func (s *Server) allocate(ctx context.Context, res *registry.Resource, next, cur object, dryRun bool) (func(), error) {
	a := s.allocators[res.StoreName()]
	if a == nil {
		return func() {}, nil
	}
	undo, errs, err := a.Allocate(ctx, next, cur, dryRun)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, invalid(res, nestedString(next, "metadata", "name"), errs)
	}
	return func() { undo(context.WithoutCancel(ctx)) }, nil
}

// release frees what cur held and next (nil: deleted) does not, once the
// write is done. A failure is logged: the claims stay until the repair
// loop gives them back.
func (s *Server) release(ctx context.Context, resource string, cur, next object) {
	a := s.allocators[resource]
	if a == nil {
		return
	}
	if err := a.Release(context.WithoutCancel(ctx), cur, next); err != nil {
		s.log.Warn().Err(err).Str("resource", resource).Str("name", nestedString(cur, "metadata", "name")).
			Msg("release of allocated values failed; the repair loop will")
	}
}

// runRepair repairs the service allocations at start and then every
// repairInterval, until ctx ends.
func (s *Server) runRepair(ctx context.Context) {
	t := time.NewTicker(repairInterval)
	defer t.Stop()
	for {
		res, err := s.svcAlloc.Repair(ctx, repairGrace)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn().Err(err).Msg("repair of service allocations failed")
		case res.Released > 0 || res.Reclaimed > 0:
			s.log.Info().Int("released", res.Released).Int("reclaimed", res.Reclaimed).Msg("repaired service allocations")
		}
		for _, v := range res.Conflicts {
			s.log.Warn().Str("value", v).Msg("a cluster IP or node port is held by two services")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
