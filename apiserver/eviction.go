package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// maxDisruptedPods bounds a budget's status.disruptedPods: evictions the
// disruption controller has not yet confirmed, as Kubernetes bounds them.
const maxDisruptedPods = 2000

// evict serves POST pods/{name}/eviction, as Kubernetes' eviction
// subresource does (kubectl drain evicts). A pod that is not running
// (Pending, Succeeded, Failed) or already being deleted is deleted at
// once. Otherwise the PodDisruptionBudget that selects it (at most one)
// must allow a disruption: its status.disruptionsAllowed is decremented
// and the pod recorded in status.disruptedPods before the pod is deleted,
// both under optimistic concurrency; a budget that allows none is a 429
// naming it. An unready pod is deleted without using up the budget when
// the budget is healthy (or its unhealthyPodEvictionPolicy is
// AlwaysAllow). The pod's deletion honours the Eviction's deleteOptions
// (grace period, preconditions, dry run).
func (s *Server) evict(r *request) error {
	ctx := r.c.Request().Context()
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var ev api.Eviction
	if err := unmarshalBody(r, b, &ev); err != nil {
		return bodyError(err, "Eviction cannot be handled")
	}
	if ev.Name != r.ri.Name {
		return badRequest("name in URL does not match name in Eviction object")
	}
	var opts api.DeleteOptions
	if ev.DeleteOptions != nil {
		opts = *ev.DeleteOptions
	}
	if r.dryRun {
		opts.DryRun = []string{"All"}
	} else if _, err := checkDryRun("DeleteOptions", opts.DryRun); err != nil {
		return err
	}
	dryRun := len(opts.DryRun) > 0

	rec, err := s.deps.Store.Get(ctx, r.key())
	if err != nil {
		return err
	}
	po, err := decodeStored(rec.Value, rec.ResourceVersion)
	if err != nil {
		return err
	}
	pod, err := registry.As[api.Pod](po)
	if err != nil {
		return err
	}
	if !canIgnoreBudget(pod) {
		if err := s.takeDisruption(ctx, pod, dryRun); err != nil {
			return err
		}
	}
	if _, _, err := s.deleteObject(ctx, r.res, r.key(), opts); err != nil {
		return err
	}
	return writeJSON(r.c, http.StatusCreated, api.Status{TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: "Success", Code: http.StatusCreated})
}

// canIgnoreBudget reports a pod whose eviction no budget restrains: it
// does not run (yet or any more) or is already being deleted.
func canIgnoreBudget(p *api.Pod) bool {
	switch p.Status.Phase {
	case api.PodPending, api.PodSucceeded, api.PodFailed:
		return true
	}
	return p.DeletionTimestamp != nil
}

// takeDisruption finds the budget of pod and, if it allows a disruption,
// records the pod's in it (a dry run only checks).
func (s *Server) takeDisruption(ctx context.Context, pod *api.Pod, dryRun bool) error {
	pdbs, ok := registry.ByKind("PodDisruptionBudget")
	if !ok {
		return nil
	}
	recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: pdbs.StoreName(), Namespace: pod.Namespace}, store.ListOptions{})
	if err != nil {
		return err
	}
	var match []*api.PodDisruptionBudget
	for _, rec := range recs {
		o, err := decodeStored(rec.Value, rec.ResourceVersion)
		if err != nil {
			return err
		}
		pdb, err := registry.As[api.PodDisruptionBudget](o)
		if err != nil {
			return err
		}
		if ok, err := pdb.Spec.Selector.Matches(pod.Labels); err == nil && ok {
			match = append(match, pdb)
		}
	}
	switch {
	case len(match) == 0:
		return nil
	case len(match) > 1:
		// Kubernetes' answer, a 500: the eviction API cannot choose.
		return newStatus(http.StatusInternalServerError, api.StatusReasonInternalError,
			"Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
	}
	pdb := match[0]
	if !api.IsPodReady(pod) {
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; p != nil && *p == "AlwaysAllow" {
			return nil
		}
		if st := pdb.Status; st.CurrentHealthy >= st.DesiredHealthy && st.DesiredHealthy > 0 {
			return nil
		}
	}
	if dryRun {
		return checkDisruption(pdbs, pdb)
	}
	key := store.Key{Resource: pdbs.StoreName(), Namespace: pdb.Namespace, Name: pdb.Name}
	_, err = s.guaranteedUpdate(ctx, pdbs, key, func(cur object, _ []byte) (object, []byte, error) {
		pdb, err := registry.As[api.PodDisruptionBudget](cur)
		if err != nil {
			return nil, nil, err
		}
		if err := checkDisruption(pdbs, pdb); err != nil {
			return nil, nil, err
		}
		allowed := pdb.Status.DisruptionsAllowed - 1
		setNested(cur, allowed, "status", "disruptionsAllowed")
		disrupted, _ := nested(cur, "status", "disruptedPods").(map[string]any)
		if disrupted == nil {
			disrupted = map[string]any{}
		}
		disrupted[pod.Name] = time.Now().UTC().Format(time.RFC3339)
		setNested(cur, disrupted, "status", "disruptedPods")
		if allowed == 0 {
			setCondition(cur, map[string]any{
				"type": api.DisruptionAllowedCondition, "status": string(api.ConditionFalse),
				"reason": api.InsufficientPodsReason, "message": "",
				"observedGeneration": pdb.Generation,
				"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			})
		}
		return cur, nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the budget went away meanwhile: nothing restrains the eviction
	}
	return err
}

// checkDisruption is Kubernetes' checkAndDecrement without the write: a
// budget the controller has not processed since its last change, or that
// allows no disruption, is a 429 whose cause names it.
func checkDisruption(res *registry.Resource, pdb *api.PodDisruptionBudget) error {
	if pdb.Status.ObservedGeneration < pdb.Generation {
		return tooManyEvictions(10, fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name))
	}
	if pdb.Status.DisruptionsAllowed < 0 {
		return forbidden(res, pdb.Name, "pdb disruptions allowed is negative")
	}
	if len(pdb.Status.DisruptedPods) > maxDisruptedPods {
		return forbidden(res, pdb.Name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
	}
	if pdb.Status.DisruptionsAllowed == 0 {
		return tooManyEvictions(0, fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
			pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy))
	}
	return nil
}

// tooManyEvictions is Kubernetes' 429 for an eviction a budget refuses.
func tooManyEvictions(retryAfter int32, cause string) *statusError {
	se := newStatus(http.StatusTooManyRequests, api.StatusReasonTooManyRequests,
		"Cannot evict pod as it would violate the pod's disruption budget.")
	se.s.Details = &api.StatusDetails{RetryAfterSeconds: retryAfter,
		Causes: []api.StatusCause{{Type: "DisruptionBudget", Message: cause}}}
	return se
}
