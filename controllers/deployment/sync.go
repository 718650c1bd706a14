package deployment

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// syncer is one sync of one Deployment.
type syncer struct {
	c      *Controller
	d      *api.Deployment // a copy of the cached Deployment; its conditions and revision change as the sync goes
	cached api.DeploymentStatus
	ref    api.ObjectReference // for events
	now    time.Time
	after  time.Duration // look again after this long (0: no need)
	log    zerolog.Logger
}

// sync reconciles one Deployment from the caches; see the package doc.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	cached, ok := c.deploys.Get(key)
	if !ok {
		return 0, nil
	}
	s := &syncer{
		c: c, d: api.DeepCopy(cached), cached: cached.Status, now: c.now(),
		ref: controllerutil.Ref(apiVersion, kind, cached),
		log: c.log.With().Str("deployment", key.String()).Logger(),
	}
	err := s.run(ctx)
	return s.after, err
}

func (s *syncer) run(ctx context.Context) error {
	d := s.d
	sel, err := labels.FromLabelSelector(d.Spec.Selector)
	if err != nil {
		s.log.Warn().Err(err).Msg("invalid selector")
		return nil // nothing to do until it changes
	}
	if sel.Empty() {
		s.c.events.Eventf(s.ref, api.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			st := api.DeepCopy(d.Status)
			st.ObservedGeneration = d.Generation
			return s.writeStatus(ctx, st)
		}
		return nil
	}
	rsList, err := s.claimReplicaSets(ctx, sel)
	if err != nil {
		return fmt.Errorf("claim replica sets: %w", err)
	}
	newRS, oldRSs, err := s.replicaSets(ctx, rsList)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		return s.writeStatus(ctx, calculateStatus(withNew(oldRSs, newRS), newRS, d, s.now))
	}
	s.checkPausedCondition()
	if d.Spec.Paused || s.isScalingEvent(newRS, oldRSs) {
		return s.syncScale(ctx, newRS, oldRSs)
	}
	if isRollingUpdate(d) {
		return s.rolloutRolling(ctx, newRS, oldRSs)
	}
	return s.rolloutRecreate(ctx, newRS, oldRSs)
}

// claimReplicaSets returns the ReplicaSets d controls, after adopting and
// releasing.
func (s *syncer) claimReplicaSets(ctx context.Context, sel labels.Selector) ([]*api.ReplicaSet, error) {
	d := s.d
	return controllerutil.Claim(ctx, controllerutil.Claimer{
		Owner:           &d.ObjectMeta,
		OwnerAPIVersion: apiVersion,
		OwnerKind:       kind,
		Selector:        sel,
		CanAdopt: func(ctx context.Context) error {
			fresh, err := s.c.w.GetDeployment(ctx, d.Namespace, d.Name)
			return controllerutil.CheckOwner(fresh, err, &d.ObjectMeta)
		},
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return s.c.w.PatchReplicaSet(ctx, d.Namespace, name, patch)
		},
	}, s.c.rss.ByIndex(controllerutil.IndexControllerUID, d.UID), s.c.rss.ByIndex(controllerutil.IndexOrphans, d.Namespace))
}

// withNew is oldRSs followed by newRS, if there is one, in a new slice.
func withNew(oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) []*api.ReplicaSet {
	all := slices.Clone(oldRSs)
	if newRS != nil {
		all = append(all, newRS)
	}
	return all
}

// findNewReplicaSet returns the oldest ReplicaSet whose template is d's.
func findNewReplicaSet(d *api.Deployment, rsList []*api.ReplicaSet) *api.ReplicaSet {
	for _, rs := range sorted(rsList, byCreation) {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// replicaSets splits rsList into the new ReplicaSet (nil if none has d's
// template yet) and the old ones, bringing the new one's revision,
// annotations and minReadySeconds, and d's revision, up to date.
func (s *syncer) replicaSets(ctx context.Context, rsList []*api.ReplicaSet) (*api.ReplicaSet, []*api.ReplicaSet, error) {
	d := s.d
	newRS := findNewReplicaSet(d, rsList)
	var oldRSs []*api.ReplicaSet
	for _, rs := range rsList {
		if rs != newRS {
			oldRSs = append(oldRSs, rs)
		}
	}
	if newRS == nil {
		return nil, oldRSs, nil
	}
	next := api.DeepCopy(newRS)
	changed := setNewReplicaSetAnnotations(d, next, maxRevision(oldRSs)+1, true)
	if changed || next.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		next.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		updated, err := s.c.w.UpdateReplicaSet(ctx, next)
		if err != nil {
			return nil, nil, fmt.Errorf("update replica set %s: %w", next.Name, err)
		}
		newRS = updated
	}
	if err := s.setRevision(ctx, newRS.Annotations[api.RevisionAnnotation]); err != nil {
		return nil, nil, err
	}
	if hasProgressDeadline(d) && getCondition(&d.Status, api.DeploymentProgressing) == nil {
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonFoundNewReplicaSet,
			fmt.Sprintf("Found new replica set %q", newRS.Name), s.now))
	}
	return newRS, oldRSs, nil
}

// setRevision records rev as d's revision annotation (a merge patch, so
// that it does not conflict with spec changes).
func (s *syncer) setRevision(ctx context.Context, rev string) error {
	d := s.d
	if rev == "" || d.Annotations[api.RevisionAnnotation] == rev {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{api.RevisionAnnotation: rev}}})
	got, err := s.c.w.PatchDeployment(ctx, d.Namespace, d.Name, patch)
	if err != nil {
		return fmt.Errorf("set deployment revision: %w", err)
	}
	d.Annotations, d.ResourceVersion = got.Annotations, got.ResourceVersion
	return nil
}

// createNewReplicaSet creates the ReplicaSet of d's template, sized as the
// strategy allows, and returns it.
func (s *syncer) createNewReplicaSet(ctx context.Context, oldRSs []*api.ReplicaSet) (*api.ReplicaSet, error) {
	d := s.d
	hash := ComputeHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl := api.DeepCopy(d.Spec.Template)
	tmpl.Labels = withLabel(tmpl.Labels, hash)
	sel := api.DeepCopy(d.Spec.Selector)
	sel.MatchLabels = withLabel(sel.MatchLabels, hash)
	zero := int32(0)
	rs := &api.ReplicaSet{
		TypeMeta: api.TypeMeta{APIVersion: apiVersion, Kind: rsKind},
		ObjectMeta: api.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			Labels:          maps.Clone(tmpl.Labels),
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(d.ObjectMeta, apiVersion, kind)},
		},
		Spec: api.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
	n := newRSReplicas(d, withNew(oldRSs, rs), rs)
	rs.Spec.Replicas = &n
	setNewReplicaSetAnnotations(d, rs, maxRevision(oldRSs)+1, false)
	created, err := s.c.w.CreateReplicaSet(ctx, rs)
	switch {
	case client.IsAlreadyExists(err):
		return s.existingNewReplicaSet(ctx, rs, err)
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		s.c.events.Eventf(s.ref, api.EventTypeWarning, "FailedCreate", "%s", msg)
		if hasProgressDeadline(d) {
			st := api.DeepCopy(d.Status)
			setCondition(&st, newCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonReplicaSetCreateError, msg, s.now))
			_ = s.writeStatus(ctx, st) // best effort: the create error is what counts
		}
		return nil, fmt.Errorf("create replica set %s: %w", rs.Name, err)
	}
	if n > 0 {
		s.c.events.Eventf(s.ref, api.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", created.Name, n)
	}
	if err := s.setRevision(ctx, created.Annotations[api.RevisionAnnotation]); err != nil {
		return nil, err
	}
	if hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), s.now))
	}
	return created, nil
}

// existingNewReplicaSet handles a create that found the name taken: if
// the ReplicaSet there is d's with d's template, the cache was behind
// and it is the new one; otherwise the hash collided, and the collision
// count goes up so that the next hash differs.
func (s *syncer) existingNewReplicaSet(ctx context.Context, want *api.ReplicaSet, createErr error) (*api.ReplicaSet, error) {
	d := s.d
	got, ok := s.c.rss.Get(informer.Key{Namespace: want.Namespace, Name: want.Name})
	if !ok {
		return nil, fmt.Errorf("create replica set %s: %w", want.Name, createErr) // retry once the cache has it
	}
	if api.IsControlledBy(&got.ObjectMeta, &d.ObjectMeta) && equalIgnoreHash(&got.Spec.Template, &d.Spec.Template) {
		return got, nil
	}
	st := api.DeepCopy(d.Status)
	n := int32(1)
	if st.CollisionCount != nil {
		n = *st.CollisionCount + 1
	}
	st.CollisionCount = &n
	if err := s.writeStatus(ctx, st); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("replica set name %s collides with another template; collision count now %d", want.Name, n)
}

func withLabel(m map[string]string, hash string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	out[api.DefaultDeploymentUniqueLabelKey] = hash
	return out
}

// newRSReplicas is the size the new ReplicaSet may have now.
func newRSReplicas(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) int32 {
	if !isRollingUpdate(d) {
		return replicas(d)
	}
	maxTotal := replicas(d) + maxSurge(d)
	current := sumSpecOrStatus(allRSs)
	if current >= maxTotal {
		return rsReplicas(newRS)
	}
	up := min(maxTotal-current, replicas(d)-rsReplicas(newRS))
	return rsReplicas(newRS) + max(up, 0)
}

// scaleReplicaSet sets rs's replicas to n and its replicas annotations to
// d's, writing only if something changes; scaled reports a size change
// (which is recorded as an event). The returned ReplicaSet is the one
// written, or rs.
func (s *syncer) scaleReplicaSet(ctx context.Context, rs *api.ReplicaSet, n int32) (scaled bool, out *api.ReplicaSet, err error) {
	d := s.d
	from := rsReplicas(rs)
	resize := from != n
	if !resize && !replicasAnnotationsNeedUpdate(rs, replicas(d), replicas(d)+maxSurge(d)) {
		return false, rs, nil
	}
	next := api.DeepCopy(rs)
	next.Spec.Replicas = &n
	setReplicasAnnotations(next, replicas(d), replicas(d)+maxSurge(d))
	updated, err := s.c.w.UpdateReplicaSet(ctx, next)
	if err != nil {
		return false, rs, fmt.Errorf("scale replica set %s: %w", rs.Name, err)
	}
	if resize {
		s.c.events.Eventf(s.ref, api.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", scaleVerb(from, n), rs.Name, from, n)
	}
	return resize, updated, nil
}

// writeStatus writes st as d's status unless it is already the cached one.
func (s *syncer) writeStatus(ctx context.Context, st api.DeploymentStatus) error {
	if jsonEqual(st, s.cached) {
		return nil
	}
	next := api.DeepCopy(s.d)
	next.Status = st
	got, err := s.c.w.UpdateDeploymentStatus(ctx, next)
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	s.cached, s.d.ResourceVersion = got.Status, got.ResourceVersion
	return nil
}

// syncRolloutStatus writes the rollout's status, or, if it is unchanged,
// plans a look at the progress deadline.
func (s *syncer) syncRolloutStatus(ctx context.Context, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) error {
	st := rolloutStatus(allRSs, newRS, s.d, s.now)
	if jsonEqual(st, s.cached) {
		s.after = stuckRequeue(s.d, &st, s.now)
		return nil
	}
	return s.writeStatus(ctx, st)
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// checkPausedCondition notes a pause or resume in the Progressing
// condition, unless the rollout has already timed out.
func (s *syncer) checkPausedCondition() {
	d := s.d
	if !hasProgressDeadline(d) {
		return
	}
	c := getCondition(&d.Status, api.DeploymentProgressing)
	if c != nil && c.Reason == ReasonProgressDeadlineExceeded {
		return
	}
	paused := c != nil && c.Reason == ReasonDeploymentPaused
	switch {
	case d.Spec.Paused && !paused:
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentPaused, "Deployment is paused", s.now))
	case !d.Spec.Paused && paused:
		setCondition(&d.Status, newCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentResumed, "Deployment is resumed", s.now))
	}
}

// cleanup deletes the old ReplicaSets beyond revisionHistoryLimit that
// are scaled to zero and settled, lowest revision first.
func (s *syncer) cleanup(ctx context.Context, oldRSs []*api.ReplicaSet) error {
	d := s.d
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	alive := slices.DeleteFunc(slices.Clone(oldRSs), func(rs *api.ReplicaSet) bool { return rs.DeletionTimestamp != nil })
	extra := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if extra <= 0 {
		return nil
	}
	for _, rs := range sorted(alive, byRevision)[:extra] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		if err := s.c.w.DeleteReplicaSet(ctx, rs.Namespace, rs.Name, rs.UID); err != nil && !client.IsNotFound(err) {
			return fmt.Errorf("delete old replica set %s: %w", rs.Name, err)
		}
		s.log.Debug().Str("replicaset", rs.Name).Msg("deleted old replica set beyond revision history limit")
	}
	return nil
}
