package statefulset

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
)

// Labels of a StatefulSet's pods, as Kubernetes sets them.
const (
	PodNameLabel  = "statefulset.kubernetes.io/pod-name"
	PodIndexLabel = "apps.kubernetes.io/pod-index"
)

// podName is the name of set's pod of ordinal.
func podName(set *api.StatefulSet, ordinal int) string {
	return set.Name + "-" + strconv.Itoa(ordinal)
}

// ordinalOf returns the ordinal of a pod of set ("<set>-<ordinal>"), or
// false for a pod named otherwise.
func ordinalOf(set *api.StatefulSet, p *api.Pod) (int, bool) {
	rest, ok := strings.CutPrefix(p.Name, set.Name+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

// claimName is the claim of template for set's pod of ordinal.
func claimName(set *api.StatefulSet, template string, ordinal int) string {
	return template + "-" + podName(set, ordinal)
}

func replicaCount(set *api.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

func startOrdinal(set *api.StatefulSet) int {
	if set.Spec.Ordinals == nil {
		return 0
	}
	return int(set.Spec.Ordinals.Start)
}

func partition(set *api.StatefulSet) int {
	ru := set.Spec.UpdateStrategy.RollingUpdate
	if set.Spec.UpdateStrategy.Type == "OnDelete" || ru == nil || ru.Partition == nil {
		return 0
	}
	return int(*ru.Partition)
}

func monotonic(set *api.StatefulSet) bool { return set.Spec.PodManagementPolicy != "Parallel" }

// revisionOf is the name of the revision a pod was made from.
func revisionOf(p *api.Pod) string { return p.Labels[controllerutil.ControllerRevisionHashLabel] }

func isTerminating(p *api.Pod) bool { return p.DeletionTimestamp != nil }

func isRunningAndReady(p *api.Pod) bool { return p.Status.Phase == api.PodRunning && api.IsPodReady(p) }

func isHealthy(p *api.Pod) bool { return isRunningAndReady(p) && !isTerminating(p) }

// newPod is set's pod of ordinal made from template, the template of the
// revision named rev: its name, identity labels, hostname and subdomain,
// and a volume for each claim template.
func newPod(set *api.StatefulSet, template *api.PodTemplateSpec, rev string, ordinal int) *api.Pod {
	t := api.DeepCopy(*template)
	name := podName(set, ordinal)
	lbls := maps.Clone(t.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[PodNameLabel] = name
	lbls[PodIndexLabel] = strconv.Itoa(ordinal)
	lbls[controllerutil.ControllerRevisionHashLabel] = rev
	spec := t.Spec
	spec.Hostname = name
	spec.Subdomain = set.Spec.ServiceName
	for _, ct := range set.Spec.VolumeClaimTemplates {
		v := api.Volume{Name: ct.Name, VolumeSource: api.VolumeSource{
			PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: claimName(set, ct.Name, ordinal)}}}
		if i := slices.IndexFunc(spec.Volumes, func(x api.Volume) bool { return x.Name == ct.Name }); i >= 0 {
			spec.Volumes[i] = v
		} else {
			spec.Volumes = append(spec.Volumes, v)
		}
	}
	return &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			Name:            name,
			Namespace:       set.Namespace,
			Labels:          lbls,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(set.ObjectMeta, apiVersion, kind)},
		},
		Spec: spec,
	}
}

// newClaim is the claim of template ct for set's pod of ordinal: labelled
// with the set's selector labels, owned by the set if its claims are to be
// deleted with it.
func newClaim(set *api.StatefulSet, ct *api.PersistentVolumeClaim, ordinal int) *api.PersistentVolumeClaim {
	pvc := &api.PersistentVolumeClaim{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: api.ObjectMeta{
			Name:        claimName(set, ct.Name, ordinal),
			Namespace:   set.Namespace,
			Labels:      maps.Clone(ct.Labels),
			Annotations: maps.Clone(ct.Annotations),
		},
		Spec: api.DeepCopy(ct.Spec),
	}
	if set.Spec.Selector != nil && len(set.Spec.Selector.MatchLabels) > 0 {
		if pvc.Labels == nil {
			pvc.Labels = map[string]string{}
		}
		maps.Copy(pvc.Labels, set.Spec.Selector.MatchLabels)
	}
	if rp := set.Spec.PersistentVolumeClaimRetentionPolicy; rp != nil && rp.WhenDeleted == "Delete" {
		pvc.OwnerReferences = []api.OwnerReference{ownerRef(set.ObjectMeta, apiVersion, kind)}
	}
	return pvc
}

// ownerRef is a plain (not controlling) owner reference to o.
func ownerRef(o api.ObjectMeta, apiVersion, kind string) api.OwnerReference {
	r := *api.NewControllerRef(o, apiVersion, kind)
	r.Controller, r.BlockOwnerDeletion = nil, nil
	return r
}

// available reports whether p has been ready for set's minReadySeconds.
func available(set *api.StatefulSet, p *api.Pod, now time.Time) bool {
	return isRunningAndReady(p) && api.IsPodAvailable(p, set.Spec.MinReadySeconds, now)
}
