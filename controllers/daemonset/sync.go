package daemonset

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// sync reconciles one DaemonSet from the caches; see the package doc.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	ds, ok := c.dss.Get(key)
	if !ok {
		c.exp.Delete(key.String())
		return 0, nil
	}
	log := c.log.With().Str("daemonset", key.String()).Logger()
	sel, err := labels.FromLabelSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		// Validation keeps this from happening; nothing to do until it changes.
		log.Warn().Err(err).Msg("invalid selector")
		return 0, nil
	}
	if ds.DeletionTimestamp != nil {
		return 0, nil // the garbage collector deletes its pods and revisions
	}
	// Read the expectations before the pods: pods observed in between
	// are then in the cache we count from.
	satisfied := c.exp.Satisfied(key.String())
	canAdopt := func(ctx context.Context) error {
		fresh, err := c.w.GetDaemonSet(ctx, ds.Namespace, ds.Name)
		return controllerutil.CheckOwner(fresh, err, &ds.ObjectMeta)
	}
	pods, err := c.claimPods(ctx, ds, sel, canAdopt)
	if err != nil {
		return 0, fmt.Errorf("claim pods: %w", err)
	}
	revs, err := c.history.Claim(ctx, &ds.ObjectMeta, sel, canAdopt)
	if err != nil {
		return 0, fmt.Errorf("claim revisions: %w", err)
	}
	collisions := int32(0)
	if ds.Status.CollisionCount != nil {
		collisions = *ds.Status.CollisionCount
	}
	cur, err := c.history.Update(ctx, &ds.ObjectMeta, ds.Spec.Template.Labels, controllerutil.TemplatePatch(&ds.Spec.Template), revs, &collisions)
	if err != nil {
		if ds.Status.CollisionCount == nil && collisions > 0 || ds.Status.CollisionCount != nil && *ds.Status.CollisionCount != collisions {
			st := api.DeepCopy(ds.Status)
			st.CollisionCount = &collisions
			err = errors.Join(err, c.updateStatus(ctx, ds, st))
		}
		return 0, fmt.Errorf("revision: %w", err)
	}
	hash := cur.Labels[controllerutil.ControllerRevisionHashLabel]
	nodes := c.nodes.List()
	byNode := podsByNode(pods)
	now := c.now()

	var after time.Duration
	var syncErr error
	if satisfied {
		var manageAfter time.Duration
		manageAfter, syncErr = c.manage(ctx, ds, nodes, byNode, hash)
		after = manageAfter
		if syncErr == nil && c.exp.Satisfied(key.String()) && ds.Spec.UpdateStrategy.Type != "OnDelete" {
			syncErr = c.rollingUpdate(ctx, ds, nodes, byNode, hash, now)
		}
		if syncErr == nil {
			syncErr = c.truncateHistory(ctx, ds, pods, revs, cur)
		}
	}
	st := calculateStatus(ds, nodes, byNode, hash, satisfied, now)
	st.CollisionCount = ds.Status.CollisionCount
	if collisions > 0 {
		st.CollisionCount = &collisions
	}
	if err := c.updateStatus(ctx, ds, st); err != nil {
		return 0, errors.Join(syncErr, err)
	}
	if syncErr != nil {
		return 0, syncErr
	}
	if d := nextAvailable(ds, byNode, now); d > 0 && (after == 0 || d < after) {
		after = d
	}
	return after, nil
}

// claimPods returns the pods ds controls, after adopting and releasing,
// leaving out those finished and being deleted.
func (c *Controller) claimPods(ctx context.Context, ds *api.DaemonSet, sel labels.Selector, canAdopt func(context.Context) error) ([]*api.Pod, error) {
	relevant := func(pods []*api.Pod) []*api.Pod {
		return slices.DeleteFunc(pods, func(p *api.Pod) bool { return api.IsPodTerminal(p) && p.DeletionTimestamp != nil })
	}
	owned := relevant(c.pods.ByIndex(controllerutil.IndexControllerUID, ds.UID))
	orphans := relevant(c.pods.ByIndex(controllerutil.IndexOrphans, ds.Namespace))
	return controllerutil.Claim(ctx, controllerutil.Claimer{
		Owner: &ds.ObjectMeta, OwnerAPIVersion: apiVersion, OwnerKind: kind, Selector: sel, CanAdopt: canAdopt,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return c.w.PatchPod(ctx, ds.Namespace, name, patch)
		},
	}, owned, orphans)
}

// podsByNode groups pods by the node they run on or are meant for,
// oldest first.
func podsByNode(pods []*api.Pod) map[string][]*api.Pod {
	out := map[string][]*api.Pod{}
	for _, p := range pods {
		if n := targetNode(p); n != "" {
			out[n] = append(out[n], p)
		}
	}
	for _, ps := range out {
		slices.SortFunc(ps, byCreation)
	}
	return out
}

// byCreation orders pods oldest first, running before pending on a tie
// (Kubernetes' podByCreationTimestampAndPhase), then by name.
func byCreation(a, b *api.Pod) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	if ra, rb := a.Status.Phase == api.PodRunning, b.Status.Phase == api.PodRunning; ra != rb {
		if ra {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.Name, b.Name)
}

// targetNode is the node a daemon pod runs on, or, unscheduled, the node
// its node affinity names.
func targetNode(p *api.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	aff := p.Spec.Affinity
	if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, r := range t.MatchFields {
			if r.Key == "metadata.name" && r.Operator == api.NodeSelectorOpIn && len(r.Values) == 1 {
				return r.Values[0]
			}
		}
	}
	return ""
}

// daemonTolerations are the tolerations every daemon pod gets, so that
// node problems do not evict it and cordons do not keep it away
// (Kubernetes' AddOrUpdateDaemonPodTolerations).
var daemonTolerations = []api.Toleration{
	{Key: api.TaintNodeNotReady, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute},
	{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute},
	{Key: "node.kubernetes.io/disk-pressure", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
	{Key: "node.kubernetes.io/memory-pressure", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
	{Key: "node.kubernetes.io/pid-pressure", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
	{Key: api.TaintNodeUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
}

// networkUnavailable is tolerated by daemon pods on the host network.
var networkUnavailable = api.Toleration{Key: "node.kubernetes.io/network-unavailable", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule}

// withDaemonTolerations adds to tols the daemon tolerations it lacks
// (by key and effect).
func withDaemonTolerations(tols []api.Toleration, hostNetwork bool) []api.Toleration {
	out := slices.Clone(tols)
	add := slices.Clone(daemonTolerations)
	if hostNetwork {
		add = append(add, networkUnavailable)
	}
	for _, t := range add {
		if !slices.ContainsFunc(out, func(o api.Toleration) bool { return o.Key == t.Key && o.Effect == t.Effect }) {
			out = append(out, t)
		}
	}
	return out
}

// shouldRun reports whether node should run a pod of ds, and whether a
// pod of ds already there should keep running (Kubernetes'
// NodeShouldRunDaemonPod): a node that fails the selector, affinity or
// nodeName does neither; one with an untolerated NoSchedule taint only
// keeps a running pod; one with an untolerated NoExecute taint neither.
func shouldRun(node *api.Node, ds *api.DaemonSet) (run, keep bool) {
	spec := &ds.Spec.Template.Spec
	if spec.NodeName != "" && spec.NodeName != node.Name {
		return false, false
	}
	if !api.MatchesNodeSelector(spec, node) {
		return false, false
	}
	tols := withDaemonTolerations(spec.Tolerations, spec.HostNetwork)
	if _, ok := api.UntoleratedTaint(node.Spec.Taints, tols, api.TaintEffectNoSchedule, api.TaintEffectNoExecute); ok {
		_, evict := api.UntoleratedTaint(node.Spec.Taints, tols, api.TaintEffectNoExecute)
		return false, !evict
	}
	return true, true
}

// newPod is ds's pod for node: its template, labelled with the revision's
// hash, with the daemon tolerations and a required node affinity to the
// node's name in place of the template's required terms (the node
// satisfies them), controlled by ds. The scheduler binds it.
func newPod(ds *api.DaemonSet, node, hash string) *api.Pod {
	t := api.DeepCopy(ds.Spec.Template)
	lbls := maps.Clone(t.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[controllerutil.ControllerRevisionHashLabel] = hash
	spec := t.Spec
	spec.Tolerations = withDaemonTolerations(spec.Tolerations, spec.HostNetwork)
	term := api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{node}}}}
	if spec.Affinity == nil {
		spec.Affinity = &api.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{term}}
	return &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			GenerateName:    ds.Name + "-",
			Namespace:       ds.Namespace,
			Labels:          lbls,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(ds.ObjectMeta, apiVersion, kind)},
		},
		Spec: spec,
	}
}

// isUpdated reports whether pod was made from the revision with hash.
func isUpdated(p *api.Pod, hash string) bool {
	return p.Labels[controllerutil.ControllerRevisionHashLabel] == hash
}

// manage creates the pods missing on nodes that should run one and
// deletes those that should go (Kubernetes' manage). It returns when to
// look again for a node whose failed pod is held back.
func (c *Controller) manage(ctx context.Context, ds *api.DaemonSet, nodes []*api.Node, byNode map[string][]*api.Pod, hash string) (time.Duration, error) {
	var create []string
	var del []*api.Pod
	var after time.Duration
	exists := make(map[string]bool, len(nodes))
	for _, node := range nodes {
		exists[node.Name] = true
		run, keep := shouldRun(node, ds)
		pods := byNode[node.Name]
		switch {
		case run && len(pods) == 0:
			create = append(create, node.Name)
		case keep:
			var live []*api.Pod
			for _, p := range pods {
				if p.DeletionTimestamp != nil {
					continue
				}
				switch p.Status.Phase {
				case api.PodFailed:
					// Kubelets may keep failing a pod: replace it with back-off.
					if d := c.failedBackoff(ds, node.Name); d > 0 {
						after = minPositive(after, d)
						continue
					}
					c.events.Eventf(controllerutil.Ref(apiVersion, kind, ds), api.EventTypeWarning, "FailedDaemonPod",
						"Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, node.Name)
					del = append(del, p)
				case api.PodSucceeded:
					del = append(del, p)
				default:
					live = append(live, p)
				}
			}
			if len(live) > 1 {
				del = append(del, extraPods(ds, live, hash, c.now())...)
			}
		default:
			for _, p := range pods {
				if p.DeletionTimestamp == nil {
					del = append(del, p)
				}
			}
		}
	}
	// Pods meant for nodes that are gone.
	for name, ps := range byNode {
		if exists[name] {
			continue
		}
		for _, p := range ps {
			if p.DeletionTimestamp == nil {
				del = append(del, p)
			}
		}
	}
	return after, c.syncNodes(ctx, ds, del, create, hash)
}

// extraPods are the pods to delete of several live ones on one node:
// without surge all but the oldest; with surge, the oldest new and oldest
// old pod may stay together while the new one is not available yet and
// the old one ready.
func extraPods(ds *api.DaemonSet, live []*api.Pod, hash string, now time.Time) []*api.Pod {
	if maxSurgeSet(ds) == 0 {
		return live[1:]
	}
	var del []*api.Pod
	var oldestNew, oldestOld *api.Pod
	for _, p := range live {
		switch {
		case isUpdated(p, hash) && oldestNew == nil:
			oldestNew = p
		case !isUpdated(p, hash) && oldestOld == nil:
			oldestOld = p
		default:
			del = append(del, p)
		}
	}
	if oldestNew != nil && oldestOld != nil &&
		(!api.IsPodReady(oldestOld) || api.IsPodAvailable(oldestNew, ds.Spec.MinReadySeconds, now)) {
		del = append(del, oldestOld)
	}
	return del
}

// failedPodBackoff bounds how often a node's failed daemon pod is
// replaced: 1s, doubling up to 15 minutes, as Kubernetes'.
const (
	failedPodBackoff    = time.Second
	maxFailedPodBackoff = 15 * time.Minute
)

// failedBackoff returns how long to wait before replacing the failed pod
// of ds on node (0: now, and the next failure waits longer).
func (c *Controller) failedBackoff(ds *api.DaemonSet, node string) time.Duration {
	c.backoffMu.Lock()
	defer c.backoffMu.Unlock()
	if c.backoff == nil {
		c.backoff = map[string]backoffEntry{}
	}
	k := ds.Namespace + "/" + ds.Name + "/" + node
	now := c.now()
	b := c.backoff[k]
	if now.Before(b.next) {
		return b.next.Sub(now)
	}
	delay := failedPodBackoff
	if b.delay > 0 && now.Sub(b.next) < 2*maxFailedPodBackoff {
		delay = min(2*b.delay, maxFailedPodBackoff)
	}
	c.backoff[k] = backoffEntry{next: now.Add(delay), delay: delay}
	return 0
}

type backoffEntry struct {
	next  time.Time
	delay time.Duration
}

func minPositive(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// syncNodes deletes del and creates a pod on each node of create, at most
// burstReplicas of each, recording expectations first.
func (c *Controller) syncNodes(ctx context.Context, ds *api.DaemonSet, del []*api.Pod, create []string, hash string) error {
	if len(del) == 0 && len(create) == 0 {
		return nil
	}
	key := ds.Key()
	ref := controllerutil.Ref(apiVersion, kind, ds)
	create = create[:min(len(create), burstReplicas)]
	del = del[:min(len(del), burstReplicas)]
	keys := make([]string, len(del))
	for i, p := range del {
		keys[i] = p.Key()
	}
	c.exp.Expect(key, len(create), keys)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, p := range del {
		wg.Go(func() {
			err := c.w.DeletePod(ctx, p.Namespace, p.Name, p.UID)
			switch {
			case err == nil:
				c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
				return
			case client.IsNotFound(err):
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

	var next atomic.Int64
	var failed atomic.Int64
	created, err := controllerutil.SlowStartBatch(len(create), 1, func() error {
		node := create[next.Add(1)-1]
		p, err := c.w.CreatePod(ctx, newPod(ds, node, hash))
		if err != nil {
			failed.Add(1)
			c.exp.CreationObserved(key)
			c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
			return err
		}
		c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", p.Name)
		return nil
	})
	// Creates skipped after a failure will never be observed either.
	for range len(create) - created - int(failed.Load()) {
		c.exp.CreationObserved(key)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("create pods: %w", err))
	}
	return errors.Join(errs...)
}

// truncateHistory deletes the revisions beyond revisionHistoryLimit that
// are neither current nor used by a pod.
func (c *Controller) truncateHistory(ctx context.Context, ds *api.DaemonSet, pods []*api.Pod, revs []*api.ControllerRevision, cur *api.ControllerRevision) error {
	limit := 10
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	used := map[string]bool{}
	for _, p := range pods {
		used[p.Labels[controllerutil.ControllerRevisionHashLabel]] = true
	}
	return c.history.Truncate(ctx, revs, func(r *api.ControllerRevision) bool {
		return r.Name == cur.Name || used[r.Labels[controllerutil.ControllerRevisionHashLabel]]
	}, limit)
}

// calculateStatus is ds's status from its pods on nodes (Kubernetes'
// updateDaemonSetStatus). observedGeneration is raised only by a sync
// that acted (expectations satisfied).
func calculateStatus(ds *api.DaemonSet, nodes []*api.Node, byNode map[string][]*api.Pod, hash string, acted bool, now time.Time) api.DaemonSetStatus {
	st := api.DeepCopy(ds.Status)
	st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.NumberMisscheduled = 0, 0, 0
	st.NumberReady, st.UpdatedNumberScheduled, st.NumberAvailable = 0, 0, 0
	for _, node := range nodes {
		run, _ := shouldRun(node, ds)
		pods := byNode[node.Name]
		if !run {
			if len(pods) > 0 {
				st.NumberMisscheduled++
			}
			continue
		}
		st.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		st.CurrentNumberScheduled++
		p := pods[0]
		if api.IsPodReady(p) {
			st.NumberReady++
			if api.IsPodAvailable(p, ds.Spec.MinReadySeconds, now) {
				st.NumberAvailable++
			}
		}
		if isUpdated(p, hash) {
			st.UpdatedNumberScheduled++
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	if acted {
		st.ObservedGeneration = ds.Generation
	}
	return st
}

// updateStatus writes st unless ds already has it.
func (c *Controller) updateStatus(ctx context.Context, ds *api.DaemonSet, st api.DaemonSetStatus) error {
	a, errA := json.Marshal(ds.Status)
	b, errB := json.Marshal(st)
	if errA == nil && errB == nil && string(a) == string(b) {
		return nil
	}
	next := api.DeepCopy(ds)
	next.Status = st
	if _, err := c.w.UpdateDaemonSetStatus(ctx, next); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// nextAvailable is how long until the first daemon pod that is ready but
// not yet available becomes available (0: none).
func nextAvailable(ds *api.DaemonSet, byNode map[string][]*api.Pod, now time.Time) time.Duration {
	if ds.Spec.MinReadySeconds <= 0 {
		return 0
	}
	minReady := time.Duration(ds.Spec.MinReadySeconds) * time.Second
	var soonest time.Duration
	for _, ps := range byNode {
		for _, p := range ps {
			cond := api.GetPodCondition(&p.Status, api.PodReady)
			if cond == nil || cond.Status != api.ConditionTrue || api.IsPodAvailable(p, ds.Spec.MinReadySeconds, now) {
				continue
			}
			// A second more, as the transition time has second precision.
			soonest = minPositive(soonest, max(cond.LastTransitionTime.Add(minReady).Sub(now)+time.Second, time.Second))
		}
	}
	return soonest
}
