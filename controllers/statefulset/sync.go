package statefulset

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// sync reconciles one StatefulSet from the caches; see the package doc.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	set, ok := c.sets.Get(key)
	if !ok {
		c.exp.Delete(key.String())
		return 0, nil
	}
	log := c.log.With().Str("statefulset", key.String()).Logger()
	sel, err := labels.FromLabelSelector(set.Spec.Selector)
	if err != nil || sel.Empty() {
		log.Warn().Err(err).Msg("invalid selector")
		return 0, nil
	}
	if set.DeletionTimestamp != nil {
		return 0, nil // the garbage collector deletes its pods and revisions
	}
	satisfied := c.exp.Satisfied(key.String())
	canAdopt := func(ctx context.Context) error {
		fresh, err := c.w.GetStatefulSet(ctx, set.Namespace, set.Name)
		return controllerutil.CheckOwner(fresh, err, &set.ObjectMeta)
	}
	pods, err := c.claimPods(ctx, set, sel, canAdopt)
	if err != nil {
		return 0, fmt.Errorf("claim pods: %w", err)
	}
	revs, err := c.history.Claim(ctx, &set.ObjectMeta, sel, canAdopt)
	if err != nil {
		return 0, fmt.Errorf("claim revisions: %w", err)
	}
	collisions := int32(0)
	if set.Status.CollisionCount != nil {
		collisions = *set.Status.CollisionCount
	}
	update, err := c.history.Update(ctx, &set.ObjectMeta, set.Spec.Template.Labels, controllerutil.TemplatePatch(&set.Spec.Template), revs, &collisions)
	if err != nil {
		return 0, fmt.Errorf("revision: %w", err)
	}
	current := update
	if i := slices.IndexFunc(revs, func(r *api.ControllerRevision) bool { return r.Name == set.Status.CurrentRevision }); i >= 0 && revs[i].Name != update.Name {
		current = revs[i]
	}
	currentTemplate, err := controllerutil.TemplateOf(current)
	if err != nil {
		currentTemplate = &set.Spec.Template // a revision that is not ours: roll forward
	}

	now := c.now()
	var after time.Duration
	var syncErr error
	if satisfied {
		after, syncErr = c.update(ctx, set, pods, currentTemplate, current.Name, update.Name, now)
		if syncErr == nil {
			syncErr = c.truncateHistory(ctx, set, pods, revs, current, update)
		}
	}
	st := calculateStatus(set, pods, current.Name, update.Name, satisfied, now)
	if collisions > 0 {
		st.CollisionCount = &collisions
	}
	if err := c.updateStatus(ctx, set, st); err != nil {
		return 0, errors.Join(syncErr, err)
	}
	return after, syncErr
}

// claimPods returns the pods set controls, after adopting and releasing.
func (c *Controller) claimPods(ctx context.Context, set *api.StatefulSet, sel labels.Selector, canAdopt func(context.Context) error) ([]*api.Pod, error) {
	owned := c.pods.ByIndex(controllerutil.IndexControllerUID, set.UID)
	orphans := c.pods.ByIndex(controllerutil.IndexOrphans, set.Namespace)
	pods, err := controllerutil.Claim(ctx, controllerutil.Claimer{
		Owner: &set.ObjectMeta, OwnerAPIVersion: apiVersion, OwnerKind: kind, Selector: sel, CanAdopt: canAdopt,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return c.w.PatchPod(ctx, set.Namespace, name, patch)
		},
	}, owned, orphans)
	// Pods named otherwise are not the set's members.
	return slices.DeleteFunc(pods, func(p *api.Pod) bool { _, ok := ordinalOf(set, p); return !ok }), err
}

// plan is what one sync does: pods to create (ordinals) and to delete.
type plan struct {
	create []int
	del    []*api.Pod
}

func (p *plan) empty() bool { return len(p.create) == 0 && len(p.del) == 0 }

// update decides and makes the creates and deletes of one sync (see the
// package doc) and returns when to look again for a pod that will become
// available.
func (c *Controller) update(ctx context.Context, set *api.StatefulSet, pods []*api.Pod, currentTemplate *api.PodTemplateSpec,
	currentRev, updateRev string, now time.Time) (time.Duration, error) {
	start, n := startOrdinal(set), replicaCount(set)
	replicas := make([]*api.Pod, n)
	var condemned []*api.Pod
	for _, p := range pods {
		ord, _ := ordinalOf(set, p)
		if ord >= start && ord < start+n {
			replicas[ord-start] = p
		} else {
			condemned = append(condemned, p)
		}
	}
	slices.SortFunc(condemned, func(a, b *api.Pod) int {
		x, _ := ordinalOf(set, a)
		y, _ := ordinalOf(set, b)
		return cmp.Compare(x, y)
	})
	mono := monotonic(set)
	var firstUnhealthy *api.Pod
	for _, p := range slices.Concat(replicas, condemned) {
		if p != nil && !isHealthy(p) {
			firstUnhealthy = p
			break
		}
	}

	var pl plan
	wait := func(p *api.Pod, why string) (time.Duration, error) {
		c.waitingFor(set, p.Name, why)
		return 0, nil
	}
	for i, p := range replicas {
		switch {
		case p == nil:
			pl.create = append(pl.create, start+i)
		case api.IsPodTerminal(p) && !isTerminating(p):
			pl.del = append(pl.del, p)
		case isTerminating(p) && mono:
			return c.execute(ctx, set, pl, currentTemplate, currentRev, updateRev)
		case mono && !isRunningAndReady(p):
			if !pl.empty() {
				break
			}
			return wait(p, "Running and Ready")
		case mono && !available(set, p, now):
			if !pl.empty() {
				break
			}
			c.waitingFor(set, p.Name, "available")
			return untilAvailable(set, p, now), nil
		}
		if mono && !pl.empty() {
			return c.execute(ctx, set, pl, currentTemplate, currentRev, updateRev)
		}
	}
	if !pl.empty() {
		return c.execute(ctx, set, pl, currentTemplate, currentRev, updateRev)
	}
	// Scale down, highest ordinal first.
	for i := len(condemned) - 1; i >= 0; i-- {
		p := condemned[i]
		if isTerminating(p) {
			if mono {
				return 0, nil
			}
			continue
		}
		if mono && !isRunningAndReady(p) && p != firstUnhealthy {
			return wait(firstUnhealthy, "Running and Ready before scaling down")
		}
		pl.del = append(pl.del, p)
		if mono {
			break
		}
	}
	if !pl.empty() {
		return c.execute(ctx, set, pl, currentTemplate, currentRev, updateRev)
	}
	c.waitingFor(set, "", "")
	if set.Spec.UpdateStrategy.Type == "OnDelete" {
		return 0, nil
	}
	// Rolling update: the highest pod not of the update revision, once
	// all above it are healthy.
	for i := n - 1; i >= partition(set); i-- {
		p := replicas[i]
		if revisionOf(p) != updateRev && !isTerminating(p) {
			pl.del = append(pl.del, p)
			return c.execute(ctx, set, pl, currentTemplate, currentRev, updateRev)
		}
		if !isHealthy(p) {
			return 0, nil
		}
	}
	return 0, nil
}

// waitingFor records, once per change, an event saying which pod the
// set waits for ("" when it waits for none).
func (c *Controller) waitingFor(set *api.StatefulSet, pod, why string) {
	c.mu.Lock()
	changed := c.waiting[set.Key()] != pod
	if pod == "" {
		delete(c.waiting, set.Key())
	} else {
		c.waiting[set.Key()] = pod
	}
	c.mu.Unlock()
	if changed && pod != "" {
		c.events.Eventf(controllerutil.Ref(apiVersion, kind, set), api.EventTypeNormal, "WaitingForPod",
			"StatefulSet %s is waiting for Pod %s to be %s", set.Name, pod, why)
	}
}

// untilAvailable is how long until ready pod p is available.
func untilAvailable(set *api.StatefulSet, p *api.Pod, now time.Time) time.Duration {
	cond := api.GetPodCondition(&p.Status, api.PodReady)
	if cond == nil {
		return time.Second
	}
	return max(cond.LastTransitionTime.Add(time.Duration(set.Spec.MinReadySeconds)*time.Second).Sub(now)+time.Second, time.Second)
}

// execute makes pl's deletes and creates, recording expectations first.
// A pod below the partition is made from the current revision, others
// from the update revision. Claims are made before their pod; a
// scale-down with whenScaled Delete hands the pod's claims to the pod.
func (c *Controller) execute(ctx context.Context, set *api.StatefulSet, pl plan, currentTemplate *api.PodTemplateSpec,
	currentRev, updateRev string) (time.Duration, error) {
	key := set.Key()
	ref := controllerutil.Ref(apiVersion, kind, set)
	keys := make([]string, len(pl.del))
	for i, p := range pl.del {
		keys[i] = p.Key()
	}
	c.exp.Expect(key, len(pl.create), keys)
	var errs []error
	start, n := startOrdinal(set), replicaCount(set)
	for _, p := range pl.del {
		ord, _ := ordinalOf(set, p)
		if rp := set.Spec.PersistentVolumeClaimRetentionPolicy; rp != nil && rp.WhenScaled == "Delete" && (ord < start || ord >= start+n) {
			if err := c.handClaimsTo(ctx, set, p, ord); err != nil {
				c.exp.DeletionObserved(key, p.Key())
				errs = append(errs, err)
				continue
			}
		}
		err := c.w.DeletePod(ctx, p.Namespace, p.Name, p.UID)
		switch {
		case err == nil:
			c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful", p.Name, set.Name)
			continue
		case client.IsNotFound(err):
		default:
			c.events.Eventf(ref, api.EventTypeWarning, "FailedDelete", "delete Pod %s in StatefulSet %s failed error: %v", p.Name, set.Name, err)
			errs = append(errs, err)
		}
		c.exp.DeletionObserved(key, p.Key())
	}
	for _, ord := range pl.create {
		tmpl, rev := &set.Spec.Template, updateRev
		if set.Spec.UpdateStrategy.Type != "OnDelete" && ord-start < partition(set) {
			tmpl, rev = currentTemplate, currentRev
		}
		pod := newPod(set, tmpl, rev, ord)
		if err := c.createClaims(ctx, set, pod, ord); err != nil {
			c.exp.CreationObserved(key)
			c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v", pod.Name, set.Name, err)
			errs = append(errs, err)
			continue
		}
		if _, err := c.w.CreatePod(ctx, pod); err != nil {
			c.exp.CreationObserved(key)
			if client.IsAlreadyExists(err) {
				continue // made by an earlier sync; the cache will show it
			}
			c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v", pod.Name, set.Name, err)
			errs = append(errs, err)
			continue
		}
		c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulCreate", "create Pod %s in StatefulSet %s successful", pod.Name, set.Name)
	}
	return 0, errors.Join(errs...)
}

// createClaims makes the claims of pod that do not exist yet.
func (c *Controller) createClaims(ctx context.Context, set *api.StatefulSet, pod *api.Pod, ord int) error {
	for i := range set.Spec.VolumeClaimTemplates {
		pvc := newClaim(set, &set.Spec.VolumeClaimTemplates[i], ord)
		_, err := c.w.CreateClaim(ctx, pvc)
		switch {
		case err == nil:
			c.events.Eventf(controllerutil.Ref(apiVersion, kind, set), api.EventTypeNormal, "SuccessfulCreate",
				"create Claim %s Pod %s in StatefulSet %s success", pvc.Name, pod.Name, set.Name)
		case client.IsAlreadyExists(err):
			// Kept from an earlier pod of this ordinal: the point of a StatefulSet.
			existing, gerr := c.w.GetClaim(ctx, pvc.Namespace, pvc.Name)
			if gerr != nil {
				return fmt.Errorf("read claim %s: %w", pvc.Name, gerr)
			}
			if existing.DeletionTimestamp != nil {
				return fmt.Errorf("claim %s is being deleted", pvc.Name)
			}
		default:
			return fmt.Errorf("create claim %s: %w", pvc.Name, err)
		}
	}
	return nil
}

// handClaimsTo adds pod p as an owner of its claims, so that they go with
// it (whenScaled Delete on a scale-down).
func (c *Controller) handClaimsTo(ctx context.Context, set *api.StatefulSet, p *api.Pod, ord int) error {
	for _, ct := range set.Spec.VolumeClaimTemplates {
		pvc, err := c.w.GetClaim(ctx, set.Namespace, claimName(set, ct.Name, ord))
		if client.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read claim: %w", err)
		}
		if slices.ContainsFunc(pvc.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == p.UID }) {
			continue
		}
		pvc.OwnerReferences = append(pvc.OwnerReferences, ownerRef(p.ObjectMeta, "v1", "Pod"))
		if _, err := c.w.UpdateClaim(ctx, pvc); err != nil {
			return fmt.Errorf("hand claim %s to pod %s: %w", pvc.Name, p.Name, err)
		}
	}
	return nil
}

// truncateHistory deletes the revisions beyond revisionHistoryLimit that
// are neither current, nor the update revision, nor a pod's.
func (c *Controller) truncateHistory(ctx context.Context, set *api.StatefulSet, pods []*api.Pod, revs []*api.ControllerRevision, current, update *api.ControllerRevision) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	used := map[string]bool{current.Name: true, update.Name: true}
	for _, p := range pods {
		used[revisionOf(p)] = true
	}
	return c.history.Truncate(ctx, revs, func(r *api.ControllerRevision) bool { return used[r.Name] }, limit)
}

// calculateStatus is set's status from its pods. A rolling update is
// complete, and the update revision becomes current, when every pod is of
// it and ready. observedGeneration is raised only by a sync that acted.
func calculateStatus(set *api.StatefulSet, pods []*api.Pod, currentRev, updateRev string, acted bool, now time.Time) api.StatefulSetStatus {
	st := api.DeepCopy(set.Status)
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.CurrentReplicas, st.UpdatedReplicas = 0, 0, 0, 0, 0
	for _, p := range pods {
		st.Replicas++
		if isRunningAndReady(p) {
			st.ReadyReplicas++
			if available(set, p, now) {
				st.AvailableReplicas++
			}
		}
		if !isTerminating(p) {
			if revisionOf(p) == currentRev {
				st.CurrentReplicas++
			}
			if revisionOf(p) == updateRev {
				st.UpdatedReplicas++
			}
		}
	}
	st.CurrentRevision, st.UpdateRevision = currentRev, updateRev
	if set.Spec.UpdateStrategy.Type != "OnDelete" && st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentReplicas, st.CurrentRevision = st.UpdatedReplicas, updateRev
	}
	if acted {
		st.ObservedGeneration = set.Generation
	}
	return st
}

// updateStatus writes st unless set already has it.
func (c *Controller) updateStatus(ctx context.Context, set *api.StatefulSet, st api.StatefulSetStatus) error {
	a, errA := json.Marshal(set.Status)
	b, errB := json.Marshal(st)
	if errA == nil && errB == nil && string(a) == string(b) {
		return nil
	}
	next := api.DeepCopy(set)
	next.Status = st
	if _, err := c.w.UpdateStatefulSetStatus(ctx, next); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}
