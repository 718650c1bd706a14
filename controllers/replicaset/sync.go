package replicaset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// sync reconciles one ReplicaSet from the caches; see the package doc.
// after is when a pod that is ready but not yet available will become
// available (0: none).
func (c *Controller) sync(ctx context.Context, key informer.Key) (after time.Duration, err error) {
	rs, ok := c.rss.Get(key)
	if !ok {
		c.exp.Delete(key.String())
		return 0, nil
	}
	log := c.log.With().Str("replicaset", key.String()).Logger()
	sel, err := labels.FromLabelSelector(rs.Spec.Selector)
	if err != nil {
		// Validation keeps this from happening; nothing to do until it changes.
		log.Warn().Err(err).Msg("invalid selector")
		return 0, nil
	}
	// Read the expectations before the pods: pods observed in between
	// are then in the cache we count from.
	satisfied := c.exp.Satisfied(key.String())
	manage := satisfied && rs.DeletionTimestamp == nil
	now := c.now()
	n, pods, err := c.countPods(ctx, rs, sel, manage, now)
	if err != nil {
		return 0, fmt.Errorf("claim pods: %w", err)
	}
	var manageErr error
	if manage {
		manageErr = c.manageReplicas(ctx, rs, int(n.replicas), pods)
	}
	status := calculateStatus(rs, n, manageErr, now)
	if err := c.updateStatus(ctx, rs, status); err != nil {
		return 0, errors.Join(manageErr, err)
	}
	if manageErr != nil {
		return 0, manageErr
	}
	return nextAvailable(rs, pods, now), nil
}

// countPods counts the active pods rs controls. It reads the tally when
// it can and nothing needs the pods themselves: none to release, adopt or
// delete, and no minReadySeconds to wait for. Otherwise it claims the
// pods from the cache and returns them too.
func (c *Controller) countPods(ctx context.Context, rs *api.ReplicaSet, sel labels.Selector, manage bool, now time.Time) (podCounts, []*api.Pod, error) {
	n, ok := c.tally.count(rs, sel)
	if ok && n.mismatched == 0 && !(manage && int(n.replicas) > replicas(rs)) && !c.adoptable(rs, sel) {
		return n, nil, nil
	}
	pods, err := c.claimPods(ctx, rs, sel)
	if err != nil {
		return podCounts{}, nil, err
	}
	return countOf(rs, pods, now), pods, nil
}

// adoptable reports whether rs would adopt one of the orphans of its
// namespace, as Claim decides.
func (c *Controller) adoptable(rs *api.ReplicaSet, sel labels.Selector) bool {
	if rs.DeletionTimestamp != nil {
		return false
	}
	for _, p := range c.pods.ByIndex(controllerutil.IndexOrphans, rs.Namespace) {
		if controllerutil.IsPodActive(p) && sel.Matches(p.Labels) {
			return true
		}
	}
	return false
}

// claimPods returns the active pods rs controls, after adopting and
// releasing.
func (c *Controller) claimPods(ctx context.Context, rs *api.ReplicaSet, sel labels.Selector) ([]*api.Pod, error) {
	active := func(pods []*api.Pod) []*api.Pod {
		return slices.DeleteFunc(pods, func(p *api.Pod) bool { return !controllerutil.IsPodActive(p) })
	}
	owned := active(c.pods.ByIndex(controllerutil.IndexControllerUID, rs.UID))
	orphans := active(c.pods.ByIndex(controllerutil.IndexOrphans, rs.Namespace))
	return controllerutil.Claim(ctx, controllerutil.Claimer{
		Owner:           &rs.ObjectMeta,
		OwnerAPIVersion: apiVersion,
		OwnerKind:       kind,
		Selector:        sel,
		CanAdopt: func(ctx context.Context) error {
			fresh, err := c.w.GetReplicaSet(ctx, rs.Namespace, rs.Name)
			return controllerutil.CheckOwner(fresh, err, &rs.ObjectMeta)
		},
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return c.w.PatchPod(ctx, rs.Namespace, name, patch)
		},
	}, owned, orphans)
}

func replicas(rs *api.ReplicaSet) int {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return int(*rs.Spec.Replicas)
}

// manageReplicas creates or deletes pods so that rs, which has active
// pods, has spec.replicas, recording expectations first. pods are those
// pods; only deleting needs them.
func (c *Controller) manageReplicas(ctx context.Context, rs *api.ReplicaSet, active int, pods []*api.Pod) error {
	key := rs.Key()
	ref := controllerutil.Ref(apiVersion, kind, rs)
	diff := active - replicas(rs)
	switch {
	case diff < 0:
		n := min(-diff, c.cfg.BurstReplicas)
		c.exp.ExpectCreations(key, n)
		var failed atomic.Int64
		created, err := controllerutil.SlowStartBatch(n, 1, func() error {
			p, err := c.w.CreatePod(ctx, podFromTemplate(rs))
			if err != nil {
				failed.Add(1)
				c.exp.CreationObserved(key)
				c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
				return err
			}
			c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", p.Name)
			return nil
		})
		// Batches skipped after a failure will never be observed either.
		for range n - created - int(failed.Load()) {
			c.exp.CreationObserved(key)
		}
		if err != nil {
			return fmt.Errorf("create pods: %w", err)
		}
	case diff > 0:
		victims := controllerutil.PodsToDelete(pods, min(diff, c.cfg.BurstReplicas))
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = p.Key()
		}
		c.exp.ExpectDeletions(key, keys)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, p := range victims {
			wg.Go(func() {
				err := c.w.DeletePod(ctx, p.Namespace, p.Name, p.UID)
				switch {
				case err == nil:
					c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
					return
				case client.IsNotFound(err):
					// Gone already: what we wanted.
				default:
					c.events.Eventf(ref, api.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				c.exp.DeletionObserved(key, p.Key())
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("delete pods: %w", err)
		}
	}
	return nil
}

// podFromTemplate is a new pod of rs: its template, named "<rs>-" plus a
// suffix the server generates, controlled by rs.
func podFromTemplate(rs *api.ReplicaSet) *api.Pod {
	t := api.DeepCopy(rs.Spec.Template)
	return &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(rs.ObjectMeta, apiVersion, kind)},
		},
		Spec: t.Spec,
	}
}

// calculateStatus is rs's status given the counts of its active pods and
// the outcome of manageReplicas.
func calculateStatus(rs *api.ReplicaSet, n podCounts, manageErr error, now time.Time) api.ReplicaSetStatus {
	st := api.DeepCopy(rs.Status)
	st.Replicas, st.FullyLabeledReplicas, st.ReadyReplicas, st.AvailableReplicas = n.replicas, n.fullyLabeled, n.ready, n.available
	st.ObservedGeneration = rs.Generation
	i := slices.IndexFunc(st.Conditions, func(c api.ReplicaSetCondition) bool { return c.Type == api.ReplicaSetReplicaFailure })
	switch {
	case manageErr != nil && i < 0:
		reason := "FailedCreate"
		if int(n.replicas) > replicas(rs) {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, api.ReplicaSetCondition{
			Type: api.ReplicaSetReplicaFailure, Status: api.ConditionTrue,
			LastTransitionTime: api.NewTime(now), Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && i >= 0:
		st.Conditions = slices.Delete(st.Conditions, i, i+1)
	}
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	return st
}

// updateStatus writes st unless rs already has it. A 409 is returned: the
// key is retried against a fresher cache.
func (c *Controller) updateStatus(ctx context.Context, rs *api.ReplicaSet, st api.ReplicaSetStatus) error {
	// Compare encodings: times decoded from the cache and times made here
	// differ in location only.
	a, errA := json.Marshal(rs.Status)
	b, errB := json.Marshal(st)
	if errA == nil && errB == nil && string(a) == string(b) {
		return nil
	}
	next := api.DeepCopy(rs)
	next.Status = st
	if _, err := c.w.UpdateReplicaSetStatus(ctx, next); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// nextAvailable is how long until the first pod of rs that is ready but
// not yet available becomes available (0: there is none).
func nextAvailable(rs *api.ReplicaSet, pods []*api.Pod, now time.Time) time.Duration {
	if rs.Spec.MinReadySeconds <= 0 {
		return 0
	}
	minReady := time.Duration(rs.Spec.MinReadySeconds) * time.Second
	var soonest time.Duration
	for _, p := range pods {
		c := api.GetPodCondition(&p.Status, api.PodReady)
		if c == nil || c.Status != api.ConditionTrue || api.IsPodAvailable(p, rs.Spec.MinReadySeconds, now) {
			continue
		}
		// A second more, as the transition time has second precision.
		d := c.LastTransitionTime.Add(minReady).Sub(now) + time.Second
		if soonest == 0 || d < soonest {
			soonest = max(d, time.Second)
		}
	}
	return soonest
}
