package disruption

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// DeletionTimeout is how long an evicted pod stays in a budget's
// status.disruptedPods, not counted as healthy, before the controller
// assumes it was not deleted after all.
const DeletionTimeout = 2 * time.Minute

// sync computes the status of the budget named by key and writes it if it
// changed. It asks to be called again when an entry of disruptedPods
// expires.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	cached, ok := c.pdbs.Get(key)
	if !ok {
		return 0, nil
	}
	pdb := api.DeepCopy(cached)
	var pods []*api.Pod
	for _, p := range c.pods.ByIndex(controllerutil.IndexNamespace, pdb.Namespace) {
		if selects(pdb, p) {
			pods = append(pods, p)
		}
	}
	ref := api.ObjectReference{Kind: "PodDisruptionBudget", APIVersion: "policy/v1", Namespace: pdb.Namespace, Name: pdb.Name, UID: pdb.UID}
	if len(pods) == 0 {
		c.events.Eventf(ref, "Normal", "NoPods", "No matching pods found")
	}
	expected, desired, err := c.expectedPodCount(ctx, pdb, pods)
	if err != nil {
		c.events.Eventf(ref, "Warning", "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: %v", err)
		return 0, c.failSafe(ctx, pdb, err)
	}
	now := c.now()
	disrupted, recheck := disruptedPodMap(pods, pdb.Status.DisruptedPods, now)
	healthy := countHealthy(pods, disrupted, now)
	if err := c.writeStatus(ctx, pdb, healthy, desired, expected, disrupted); err != nil {
		return 0, err
	}
	if recheck.IsZero() {
		return 0, nil
	}
	return max(recheck.Sub(now), time.Second), nil
}

// expectedPodCount is the number of pods the budget expects and how many
// of them must stay healthy.
func (c *Controller) expectedPodCount(ctx context.Context, pdb *api.PodDisruptionBudget, pods []*api.Pod) (expected, desired int32, err error) {
	s := pdb.Spec
	switch {
	case s.MaxUnavailable != nil:
		if expected, err = c.expectedScale(ctx, pdb, pods); err != nil {
			return 0, 0, err
		}
		maxUnavailable, err := s.MaxUnavailable.ScaledValue(int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, max(expected-int32(maxUnavailable), 0), nil
	case s.MinAvailable != nil && s.MinAvailable.Type == api.IntOrStringInt:
		return int32(len(pods)), s.MinAvailable.IntVal, nil
	case s.MinAvailable != nil:
		if expected, err = c.expectedScale(ctx, pdb, pods); err != nil {
			return 0, 0, err
		}
		minAvailable, err := s.MinAvailable.ScaledValue(int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, int32(minAvailable), nil
	}
	return int32(len(pods)), 0, nil
}

// expectedScale sums the scales of the pods' controllers, each once.
func (c *Controller) expectedScale(ctx context.Context, pdb *api.PodDisruptionBudget, pods []*api.Pod) (int32, error) {
	seen := map[string]bool{}
	var total int32
	for _, pod := range pods {
		ref := api.GetControllerOf(&pod.ObjectMeta)
		if ref == nil {
			return 0, fmt.Errorf("found no controller ref for pod %q", pod.Name)
		}
		uid, scale, err := c.controllerScale(ctx, pod.Namespace, ref)
		if err != nil {
			return 0, err
		}
		if uid == "" {
			return 0, fmt.Errorf("found no controllers for pod %q", pod.Name)
		}
		if !seen[uid] {
			seen[uid] = true
			total += scale
		}
	}
	return total, nil
}

// controllerScale resolves a pod's controller to the object that scales
// it (a ReplicaSet's Deployment when it has one) and reads its replicas;
// uid is "" when there is none.
func (c *Controller) controllerScale(ctx context.Context, ns string, ref *api.OwnerReference) (uid string, scale int32, err error) {
	switch {
	case ref.Kind == "ReplicaSet" && ref.APIVersion == "apps/v1":
		rs, ok := controllerutil.Owner(c.rss, "ReplicaSet", ns, ref)
		if !ok {
			return "", 0, nil
		}
		if dref := api.GetControllerOf(&rs.ObjectMeta); dref != nil && dref.Kind == "Deployment" {
			d, ok := controllerutil.Owner(c.deploys, "Deployment", ns, dref)
			if !ok {
				return "", 0, nil
			}
			return d.UID, replicas(d.Spec.Replicas), nil
		}
		return rs.UID, replicas(rs.Spec.Replicas), nil
	case ref.Kind == "StatefulSet" && ref.APIVersion == "apps/v1":
		n, err := c.w.Scale(ctx, ref.APIVersion, ref.Kind, ns, ref.Name)
		if err != nil {
			return "", 0, err
		}
		return ref.UID, n, nil
	}
	return "", 0, nil
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// disruptedPodMap keeps the entries of disrupted whose pods still exist,
// are not being deleted and were evicted less than DeletionTimeout ago;
// recheck is when the first kept entry expires (zero if none).
func disruptedPodMap(pods []*api.Pod, disrupted map[string]api.Time, now time.Time) (map[string]api.Time, time.Time) {
	if len(disrupted) == 0 {
		return nil, time.Time{}
	}
	out := map[string]api.Time{}
	var recheck time.Time
	for _, pod := range pods {
		t, ok := disrupted[pod.Name]
		if !ok || pod.DeletionTimestamp != nil {
			continue
		}
		expires := t.Add(DeletionTimeout)
		if !expires.After(now) {
			continue // the eviction did not delete it after all
		}
		out[pod.Name] = t
		if recheck.IsZero() || expires.Before(recheck) {
			recheck = expires
		}
	}
	if len(out) == 0 {
		return nil, time.Time{}
	}
	return out, recheck
}

// countHealthy counts the ready pods that are neither being deleted nor
// just evicted.
func countHealthy(pods []*api.Pod, disrupted map[string]api.Time, now time.Time) int32 {
	var n int32
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if t, ok := disrupted[pod.Name]; ok && t.Add(DeletionTimeout).After(now) {
			continue
		}
		if api.IsPodReady(pod) {
			n++
		}
	}
	return n
}

// writeStatus writes the computed status if it differs from pdb's.
func (c *Controller) writeStatus(ctx context.Context, pdb *api.PodDisruptionBudget, healthy, desired, expected int32, disrupted map[string]api.Time) error {
	allowed := max(healthy-desired, 0)
	st := pdb.Status
	st.CurrentHealthy, st.DesiredHealthy, st.ExpectedPods, st.DisruptionsAllowed = healthy, desired, expected, allowed
	st.DisruptedPods = disrupted
	st.ObservedGeneration = pdb.Generation
	cond := api.Condition{Type: api.DisruptionAllowedCondition, Status: api.ConditionTrue, Reason: api.SufficientPodsReason}
	if allowed == 0 {
		cond.Status, cond.Reason = api.ConditionFalse, api.InsufficientPodsReason
	}
	st.Conditions = setCondition(st.Conditions, cond, pdb.Generation, c.now())
	return c.update(ctx, pdb, st)
}

// failSafe allows no disruption when the budget cannot be computed.
func (c *Controller) failSafe(ctx context.Context, pdb *api.PodDisruptionBudget, cause error) error {
	st := pdb.Status
	st.DisruptionsAllowed = 0
	st.ObservedGeneration = pdb.Generation
	st.Conditions = setCondition(st.Conditions, api.Condition{Type: api.DisruptionAllowedCondition,
		Status: api.ConditionFalse, Reason: api.SyncFailedReason, Message: cause.Error()}, pdb.Generation, c.now())
	if err := c.update(ctx, pdb, st); err != nil {
		return err
	}
	return cause
}

func (c *Controller) update(ctx context.Context, pdb *api.PodDisruptionBudget, st api.PodDisruptionBudgetStatus) error {
	if statusEqual(pdb.Status, st) {
		return nil
	}
	pdb.Status = st
	return c.w.UpdateStatus(ctx, pdb)
}

func statusEqual(a, b api.PodDisruptionBudgetStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.DisruptionsAllowed == b.DisruptionsAllowed &&
		a.CurrentHealthy == b.CurrentHealthy && a.DesiredHealthy == b.DesiredHealthy && a.ExpectedPods == b.ExpectedPods &&
		maps.EqualFunc(a.DisruptedPods, b.DisruptedPods, func(x, y api.Time) bool { return x.Equal(y.Time) }) &&
		reflect.DeepEqual(a.Conditions, b.Conditions)
}

// setCondition replaces or adds cond (by type), keeping its
// lastTransitionTime when its status does not change, as
// meta.SetStatusCondition does.
func setCondition(conds []api.Condition, cond api.Condition, generation int64, now time.Time) []api.Condition {
	cond.ObservedGeneration = generation
	out := slices.Clone(conds)
	for i, c := range out {
		if c.Type != cond.Type {
			continue
		}
		cond.LastTransitionTime = c.LastTransitionTime
		if c.Status != cond.Status {
			cond.LastTransitionTime = api.NewTime(now)
		}
		out[i] = cond
		return out
	}
	cond.LastTransitionTime = api.NewTime(now)
	return append(out, cond)
}
