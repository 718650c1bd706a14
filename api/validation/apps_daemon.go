package validation

import (
	"slices"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// This file validates the apps/v1 kinds besides ReplicaSet and
// Deployment: DaemonSet, StatefulSet and ControllerRevision, as
// Kubernetes' apps validation does.

var (
	updateStrategyTypes  = []string{"OnDelete", "RollingUpdate"}
	podManagementPolices = []string{"OrderedReady", "Parallel"}
	claimRetention       = []string{"Delete", "Retain"}
)

// ValidateDaemonSet checks a DaemonSet: its selector and template (as a
// ReplicaSet's), its update strategy, and counts not negative. On update
// the selector is immutable.
func ValidateDaemonSet(newObj, oldObj *api.DaemonSet) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	errs = append(errs, validateSelectorAndTemplate(s.Selector, &s.Template, spec, "daemonset")...)
	errs = append(errs, ValidateNonnegativeField(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	if l := s.RevisionHistoryLimit; l != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*l), spec.Child("revisionHistoryLimit"))...)
	}
	sp := spec.Child("updateStrategy")
	errs = append(errs, validateEnum(s.UpdateStrategy.Type, updateStrategyTypes, sp.Child("type"))...)
	if s.UpdateStrategy.Type == "RollingUpdate" {
		if ru := s.UpdateStrategy.RollingUpdate; ru == nil {
			errs = append(errs, field.Required(sp.Child("rollingUpdate"), ""))
		} else {
			rp := sp.Child("rollingUpdate")
			errs = append(errs, validateIntOrPercent(ru.MaxUnavailable, rp.Child("maxUnavailable"))...)
			errs = append(errs, validateIntOrPercent(ru.MaxSurge, rp.Child("maxSurge"))...)
			if isZero(ru.MaxUnavailable) && isZero(ru.MaxSurge) {
				errs = append(errs, field.Invalid(rp.Child("maxUnavailable"), ru.MaxUnavailable.String(), "may not be 0 when `maxSurge` is 0"))
			}
		}
	}
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(s.Selector, oldObj.Spec.Selector, spec.Child("selector"))...)
	}
	return errs
}

// ValidateStatefulSet checks a StatefulSet: its selector and template,
// pod management policy, update strategy, claim retention policy and
// counts. On update only replicas, ordinals, template, updateStrategy,
// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and
// minReadySeconds may change.
func ValidateStatefulSet(newObj, oldObj *api.StatefulSet) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	s := &newObj.Spec
	errs = append(errs, validateEnum(s.PodManagementPolicy, podManagementPolices, spec.Child("podManagementPolicy"))...)
	sp := spec.Child("updateStrategy")
	errs = append(errs, validateEnum(s.UpdateStrategy.Type, updateStrategyTypes, sp.Child("type"))...)
	if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
		if s.UpdateStrategy.Type != "RollingUpdate" {
			errs = append(errs, field.Invalid(sp.Child("rollingUpdate"), ru, "only allowed for updateStrategy 'RollingUpdate'"))
		}
		if ru.Partition != nil {
			errs = append(errs, ValidateNonnegativeField(int64(*ru.Partition), sp.Child("rollingUpdate", "partition"))...)
		}
		if ru.MaxUnavailable != nil {
			mp := sp.Child("rollingUpdate", "maxUnavailable")
			errs = append(errs, validateIntOrPercent(ru.MaxUnavailable, mp)...)
			if isZero(ru.MaxUnavailable) {
				errs = append(errs, field.Invalid(mp, ru.MaxUnavailable.String(), "must be greater than 0"))
			}
		}
	}
	if rp := s.PersistentVolumeClaimRetentionPolicy; rp != nil {
		pp := spec.Child("persistentVolumeClaimRetentionPolicy")
		errs = append(errs, validateEnum(rp.WhenDeleted, claimRetention, pp.Child("whenDeleted"))...)
		errs = append(errs, validateEnum(rp.WhenScaled, claimRetention, pp.Child("whenScaled"))...)
	}
	if s.Replicas != nil {
		errs = append(errs, ValidateNonnegativeField(int64(*s.Replicas), spec.Child("replicas"))...)
	}
	if s.Ordinals != nil {
		errs = append(errs, ValidateNonnegativeField(int64(s.Ordinals.Start), spec.Child("ordinals", "start"))...)
	}
	errs = append(errs, ValidateNonnegativeField(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, validateSelectorAndTemplate(s.Selector, withClaimVolumes(s), spec, "statefulset")...)
	errs = append(errs, validateStatefulSetStatus(&newObj.Status, field.NewPath("status"))...)
	if oldObj == nil {
		return errs
	}
	frozen := func(s api.StatefulSetSpec) api.StatefulSetSpec {
		s.Replicas, s.Ordinals, s.Template, s.UpdateStrategy = nil, nil, api.PodTemplateSpec{}, api.StatefulSetUpdateStrategy{}
		s.RevisionHistoryLimit, s.PersistentVolumeClaimRetentionPolicy, s.MinReadySeconds = nil, nil, 0
		return s
	}
	if len(ValidateImmutableField(frozen(*s), frozen(oldObj.Spec), spec)) > 0 {
		errs = append(errs, field.Forbidden(spec, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
	}
	return errs
}

func validateStatefulSetStatus(s *api.StatefulSetStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"replicas", int64(s.Replicas)}, {"readyReplicas", int64(s.ReadyReplicas)},
		{"currentReplicas", int64(s.CurrentReplicas)}, {"updatedReplicas", int64(s.UpdatedReplicas)},
		{"availableReplicas", int64(s.AvailableReplicas)}, {"observedGeneration", s.ObservedGeneration},
	} {
		errs = append(errs, ValidateNonnegativeField(f.v, p.Child(f.name))...)
	}
	if s.ReadyReplicas > s.Replicas {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), s.ReadyReplicas, "cannot be greater than status.replicas"))
	}
	if s.AvailableReplicas > s.ReadyReplicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than status.readyReplicas"))
	}
	return errs
}

// ValidateControllerRevision checks a ControllerRevision: data is set, the
// revision is not negative; on update data is immutable.
func ValidateControllerRevision(newObj, oldObj *api.ControllerRevision) field.ErrorList {
	errs := ValidateObjectMeta(&newObj.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	if len(newObj.Data) == 0 || string(newObj.Data) == "null" {
		errs = append(errs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	errs = append(errs, ValidateNonnegativeField(newObj.Revision, field.NewPath("revision"))...)
	if oldObj != nil {
		errs = append(errs, ValidateImmutableField(string(newObj.Data), string(oldObj.Data), field.NewPath("data"))...)
	}
	return errs
}

// withClaimVolumes is the StatefulSet's template with a volume for each
// claim template its pods will get (as the controller adds them), so
// that volume mounts may name the claim templates.
func withClaimVolumes(s *api.StatefulSetSpec) *api.PodTemplateSpec {
	if len(s.VolumeClaimTemplates) == 0 {
		return &s.Template
	}
	t := s.Template
	t.Spec.Volumes = slices.Clone(t.Spec.Volumes)
	for _, c := range s.VolumeClaimTemplates {
		if !slices.ContainsFunc(t.Spec.Volumes, func(v api.Volume) bool { return v.Name == c.Name }) {
			t.Spec.Volumes = append(t.Spec.Volumes, api.Volume{Name: c.Name, VolumeSource: api.VolumeSource{
				PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
		}
	}
	return &t
}
