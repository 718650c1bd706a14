package statefulset

import (
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/controllers/controllerutil"
)

func set(mut func(*api.StatefulSet)) *api.StatefulSet {
	three := int32(3)
	s := &api.StatefulSet{
		ObjectMeta: api.ObjectMeta{Name: "db", Namespace: "default", UID: "u1", Generation: 4},
		Spec: api.StatefulSetSpec{
			Replicas:    &three,
			ServiceName: "db-svc",
			Selector:    &api.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "db"}},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "db", Image: "x"}},
					Volumes: []api.Volume{{Name: "data", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}}}},
			VolumeClaimTemplates: []api.PersistentVolumeClaim{{ObjectMeta: api.ObjectMeta{Name: "data"}}},
			UpdateStrategy:       api.StatefulSetUpdateStrategy{Type: "RollingUpdate"},
		},
	}
	if mut != nil {
		mut(s)
	}
	return s
}

func TestOrdinals(t *testing.T) {
	s := set(nil)
	for name, want := range map[string]int{"db-0": 0, "db-12": 12, "db-x": -1, "db-01": -1, "dbx-1": -1, "db--1": -1, "db-1-2": -1} {
		got, ok := ordinalOf(s, &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}})
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("ordinalOf(%s) = %d, want %d", name, got, want)
		}
	}
}

func TestNewPodIdentityAndClaims(t *testing.T) {
	s := set(nil)
	p := newPod(s, &s.Spec.Template, "db-abc", 2)
	if p.Name != "db-2" || p.Spec.Hostname != "db-2" || p.Spec.Subdomain != "db-svc" {
		t.Errorf("name %s hostname %s subdomain %s", p.Name, p.Spec.Hostname, p.Spec.Subdomain)
	}
	for k, v := range map[string]string{PodNameLabel: "db-2", PodIndexLabel: "2", controllerutil.ControllerRevisionHashLabel: "db-abc", "app": "db"} {
		if p.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, p.Labels[k], v)
		}
	}
	if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].PersistentVolumeClaim == nil || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "data-db-2" {
		t.Errorf("volumes %+v: the claim must replace the template's volume of the same name", p.Spec.Volumes)
	}
	if s.Spec.Template.Spec.Volumes[0].EmptyDir == nil {
		t.Error("newPod changed the template")
	}
	c := newClaim(s, &s.Spec.VolumeClaimTemplates[0], 2)
	if c.Name != "data-db-2" || c.Labels["app"] != "db" || len(c.OwnerReferences) != 0 {
		t.Errorf("claim %+v: retained claims have no owner", c.ObjectMeta)
	}
	del := set(func(s *api.StatefulSet) {
		s.Spec.PersistentVolumeClaimRetentionPolicy = &api.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Delete", WhenScaled: "Retain"}
	})
	if c := newClaim(del, &del.Spec.VolumeClaimTemplates[0], 0); len(c.OwnerReferences) != 1 || c.OwnerReferences[0].UID != "u1" || c.OwnerReferences[0].Controller != nil {
		t.Errorf("whenDeleted Delete: owners %+v", c.OwnerReferences)
	}
}

func TestCalculateStatus(t *testing.T) {
	now := time.Now()
	pod := func(name, rev string, ready, deleting bool) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{controllerutil.ControllerRevisionHashLabel: rev}},
			Status: api.PodStatus{Phase: api.PodRunning}}
		if ready {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now.Add(-time.Minute))}}
		}
		if deleting {
			ts := api.NewTime(now)
			p.DeletionTimestamp = &ts
		}
		return p
	}
	s := set(nil)
	mid := []*api.Pod{pod("db-0", "old", true, false), pod("db-1", "old", true, false), pod("db-2", "new", false, false)}
	st := calculateStatus(s, mid, "old", "new", true, now)
	if st.Replicas != 3 || st.ReadyReplicas != 2 || st.CurrentReplicas != 2 || st.UpdatedReplicas != 1 || st.CurrentRevision != "old" ||
		st.UpdateRevision != "new" || st.ObservedGeneration != 4 {
		t.Errorf("mid-rollout status %+v", st)
	}
	done := []*api.Pod{pod("db-0", "new", true, false), pod("db-1", "new", true, false), pod("db-2", "new", true, false)}
	if st := calculateStatus(s, done, "old", "new", false, now); st.CurrentRevision != "new" || st.CurrentReplicas != 3 || st.ObservedGeneration != 0 {
		t.Errorf("a complete rollout makes the update revision current: %+v", st)
	}
	onDelete := set(func(s *api.StatefulSet) { s.Spec.UpdateStrategy.Type = "OnDelete" })
	if st := calculateStatus(onDelete, done, "old", "new", true, now); st.CurrentRevision != "old" {
		t.Errorf("OnDelete: current revision %q, want old", st.CurrentRevision)
	}
}
