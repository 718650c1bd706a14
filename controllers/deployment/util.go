package deployment

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
)

// Annotations beyond those of package api.
const (
	// RevisionHistoryAnnotation lists the revisions a ReplicaSet had before
	// it became current again (rollout undo).
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// ChangeCauseAnnotation is copied from a Deployment to its ReplicaSets
	// and shown by kubectl rollout history.
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
	lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	rollbackToAnnotation  = "deprecated.deployment.rollback.to"
)

// skipCopy are the Deployment annotations not copied to its ReplicaSets.
var skipCopy = map[string]bool{
	lastAppliedAnnotation:         true,
	api.RevisionAnnotation:        true,
	RevisionHistoryAnnotation:     true,
	api.DesiredReplicasAnnotation: true,
	api.MaxReplicasAnnotation:     true,
	rollbackToAnnotation:          true,
}

// ComputeHash returns the pod-template-hash of a template
// (controllerutil.ComputeHash).
func ComputeHash(t *api.PodTemplateSpec, collisionCount *int32) string {
	return controllerutil.ComputeHash(t, collisionCount)
}

// equalIgnoreHash reports whether two templates are the same but for the
// pod-template-hash label.
func equalIgnoreHash(a, b *api.PodTemplateSpec) bool {
	return string(templateJSON(a)) == string(templateJSON(b))
}

func templateJSON(t *api.PodTemplateSpec) []byte {
	c := *t
	if _, ok := c.Labels[api.DefaultDeploymentUniqueLabelKey]; ok {
		c.Labels = make(map[string]string, len(t.Labels))
		for k, v := range t.Labels {
			if k != api.DefaultDeploymentUniqueLabelKey {
				c.Labels[k] = v
			}
		}
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err)
	}
	return b
}

// revision is a ReplicaSet's revision annotation (0 if absent or bad).
func revision(rs *api.ReplicaSet) int64 {
	v, err := strconv.ParseInt(rs.Annotations[api.RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func maxRevision(rss []*api.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, revision(rs))
	}
	return m
}

// setNewReplicaSetAnnotations copies d's annotations to the (copy of the)
// new ReplicaSet rs, raises its revision to newRevision, remembering
// earlier revisions, and for a ReplicaSet about to be created sets the
// replicas annotations. It reports whether rs changed.
func setNewReplicaSetAnnotations(d *api.Deployment, rs *api.ReplicaSet, newRevision int64, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if skipCopy[k] || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	old, had := rs.Annotations[api.RevisionAnnotation]
	oldRev, err := strconv.ParseInt(old, 10, 64)
	if had && err != nil {
		return changed // not ours to fix
	}
	if oldRev < newRevision {
		rs.Annotations[api.RevisionAnnotation] = strconv.FormatInt(newRevision, 10)
		changed = true
		if had {
			if h := rs.Annotations[RevisionHistoryAnnotation]; h != "" {
				rs.Annotations[RevisionHistoryAnnotation] = h + "," + old
			} else {
				rs.Annotations[RevisionHistoryAnnotation] = old
			}
		}
	}
	if !exists && setReplicasAnnotations(rs, replicas(d), replicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// setReplicasAnnotations records the Deployment's size and size plus
// surge on rs; it reports whether they changed.
func setReplicasAnnotations(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[api.DesiredReplicasAnnotation] = strconv.Itoa(int(desired))
	rs.Annotations[api.MaxReplicasAnnotation] = strconv.Itoa(int(maxReplicas))
	return true
}

func replicasAnnotationsNeedUpdate(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[api.DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[api.MaxReplicasAnnotation] != strconv.Itoa(int(maxReplicas))
}

// intAnnotation reads an int32 annotation.
func intAnnotation(rs *api.ReplicaSet, key string) (int32, bool) {
	v, err := strconv.ParseInt(rs.Annotations[key], 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(v), true
}

func replicas(d *api.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func rsReplicas(rs *api.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func isRollingUpdate(d *api.Deployment) bool {
	return d.Spec.Strategy.Type != api.RecreateDeploymentStrategyType
}

// resolveFenceposts turns maxSurge (rounded up) and maxUnavailable
// (rounded down) into pod counts for desired replicas; when both come to
// zero, maxUnavailable becomes 1 so that a rollout can progress. Nil
// values count as zero.
func resolveFenceposts(maxSurgeV, maxUnavailableV *api.IntOrString, desired int32) (surge, unavailable int32, err error) {
	zero := api.FromInt(0)
	if maxSurgeV == nil {
		maxSurgeV = &zero
	}
	if maxUnavailableV == nil {
		maxUnavailableV = &zero
	}
	s, err := maxSurgeV.ScaledValue(int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	u, err := maxUnavailableV.ScaledValue(int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// maxSurge is how many pods d may run above its replicas (0 for Recreate;
// validation keeps the values well formed).
func maxSurge(d *api.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	s, _, _ := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, replicas(d))
	return s
}

// maxUnavailable is how many of d's replicas may be unavailable, at most
// all of them (0 for Recreate or no replicas).
func maxUnavailable(d *api.Deployment) int32 {
	if !isRollingUpdate(d) || replicas(d) == 0 {
		return 0
	}
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil {
		ru = &api.RollingUpdateDeployment{}
	}
	_, u, _ := resolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, replicas(d))
	return min(u, replicas(d))
}

// Sums over ReplicaSets. specOrStatus counts, for each, the larger of its
// spec and its status: a ReplicaSet scaled down still has its old pods
// until its controller deletes them and reports so, and counting them
// keeps a rollout from surging past maxSurge meanwhile.
func sumSpec(rss []*api.ReplicaSet) (n int32) {
	for _, rs := range rss {
		n += rsReplicas(rs)
	}
	return n
}

func sumSpecOrStatus(rss []*api.ReplicaSet) (n int32) {
	for _, rs := range rss {
		if rs != nil {
			n += max(rsReplicas(rs), rs.Status.Replicas)
		}
	}
	return n
}

func sumStatus(rss []*api.ReplicaSet, field func(*api.ReplicaSetStatus) int32) (n int32) {
	for _, rs := range rss {
		if rs != nil {
			n += field(&rs.Status)
		}
	}
	return n
}

// sumAvailable counts, for each ReplicaSet, available pods it will keep:
// no more than its spec, since a ReplicaSet being scaled down deletes
// unavailable pods first and its status may predate the scale-down.
func sumAvailable(rss []*api.ReplicaSet) (n int32) {
	for _, rs := range rss {
		if rs != nil {
			n += min(rs.Status.AvailableReplicas, rsReplicas(rs))
		}
	}
	return n
}

func filterActive(rss []*api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range rss {
		if rs != nil && rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreation orders oldest first, then by name.
func byCreation(a, b *api.ReplicaSet) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// bySizeNewer orders larger first, newer first among equals.
func bySizeNewer(a, b *api.ReplicaSet) int {
	if c := cmp.Compare(rsReplicas(b), rsReplicas(a)); c != 0 {
		return c
	}
	return byCreation(b, a)
}

// bySizeOlder orders larger first, older first among equals.
func bySizeOlder(a, b *api.ReplicaSet) int {
	if c := cmp.Compare(rsReplicas(b), rsReplicas(a)); c != 0 {
		return c
	}
	return byCreation(a, b)
}

// byRevision orders lowest revision first, then by creation.
func byRevision(a, b *api.ReplicaSet) int {
	if c := cmp.Compare(revision(a), revision(b)); c != 0 {
		return c
	}
	return byCreation(a, b)
}

func sorted(rss []*api.ReplicaSet, f func(a, b *api.ReplicaSet) int) []*api.ReplicaSet {
	out := slices.Clone(rss)
	slices.SortFunc(out, f)
	return out
}

// roundToInt32 rounds half away from zero, as Kubernetes' RoundToInt32.
func roundToInt32(f float64) int32 { return int32(math.Round(f)) }

// scaleVerb is "up" or "down".
func scaleVerb(from, to int32) string {
	if to > from {
		return "up"
	}
	return "down"
}
