package deployment

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

func template(image string) *api.PodTemplateSpec {
	return &api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "web", Image: image}}},
	}
}

func TestComputeHash(t *testing.T) {
	h := ComputeHash(template("nginx:1"), nil)
	if h != ComputeHash(template("nginx:1"), nil) {
		t.Fatal("hash of equal templates differs")
	}
	// Pinned: a change here would roll out every Deployment anew after an
	// upgrade.
	if h != golden {
		t.Fatalf("hash = %q, pinned %q", h, golden)
	}
	if strings.Trim(h, "bcdfghjklmnpqrstvwxz2456789") != "" || len(h) == 0 {
		t.Fatalf("hash %q uses characters outside the safe alphabet", h)
	}
	if ComputeHash(template("nginx:2"), nil) == h {
		t.Fatal("different templates hash alike")
	}
	one := int32(1)
	if ComputeHash(template("nginx:1"), &one) == h {
		t.Fatal("the collision count does not change the hash")
	}
	labelled := template("nginx:1")
	labelled.Labels[api.DefaultDeploymentUniqueLabelKey] = h
	if !equalIgnoreHash(labelled, template("nginx:1")) || equalIgnoreHash(labelled, template("nginx:2")) {
		t.Fatal("equalIgnoreHash must ignore only the hash label")
	}
}

const golden = "7c56b7787c"

func TestResolveFenceposts(t *testing.T) {
	pct, num := func(s string) *api.IntOrString { v := api.FromString(s); return &v }, func(n int) *api.IntOrString { v := api.FromInt(n); return &v }
	tests := []struct {
		name                   string
		surge, unavailable     *api.IntOrString
		desired                int32
		wantSurge, wantUnavail int32
	}{
		{"defaults of 10", pct("25%"), pct("25%"), 10, 3, 2},
		{"surge rounds up, unavailable down", pct("25%"), pct("25%"), 20, 5, 5},
		{"small", pct("25%"), pct("25%"), 1, 1, 0},
		{"numbers", num(3), num(2), 10, 3, 2},
		{"both zero makes one unavailable", num(0), pct("0%"), 10, 0, 1},
		{"nil is zero", nil, nil, 5, 0, 1},
		{"zero desired", pct("25%"), pct("25%"), 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u, err := resolveFenceposts(tt.surge, tt.unavailable, tt.desired)
			if err != nil || s != tt.wantSurge || u != tt.wantUnavail {
				t.Fatalf("got %d, %d, %v; want %d, %d", s, u, err, tt.wantSurge, tt.wantUnavail)
			}
		})
	}
	if _, _, err := resolveFenceposts(pct("lots"), nil, 3); err == nil {
		t.Fatal("a string that is not a percentage must fail")
	}
}

func rs(name string, spec, statusReplicas, available int32, annotations ...string) *api.ReplicaSet {
	r := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name, Annotations: map[string]string{}}}
	r.Spec.Replicas = &spec
	r.Status.Replicas, r.Status.AvailableReplicas = statusReplicas, available
	for i := 0; i+1 < len(annotations); i += 2 {
		r.Annotations[annotations[i]] = annotations[i+1]
	}
	return r
}

// intOrPercent reads "25%" as a percentage and "3" as a number.
func intOrPercent(v string) api.IntOrString {
	if strings.HasSuffix(v, "%") {
		return api.FromString(v)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(err)
	}
	return api.FromInt(n)
}

func created(r *api.ReplicaSet, after time.Duration) *api.ReplicaSet {
	r.CreationTimestamp = api.NewTime(time.Unix(0, 0).Add(after))
	return r
}

func rolling(replicas int32, surge, unavailable string) *api.Deployment {
	s, u := intOrPercent(surge), intOrPercent(unavailable)
	d := &api.Deployment{}
	d.Spec.Replicas = &replicas
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: &s, MaxUnavailable: &u}}
	return d
}

func TestNewRSReplicas(t *testing.T) {
	d := rolling(20, "25%", "0%") // up to 25 pods
	tests := []struct {
		name     string
		old, new *api.ReplicaSet
		want     int32
	}{
		{"first step surges", rs("old", 20, 20, 20), rs("new", 0, 0, 0), 5},
		{"at the surge limit", rs("old", 20, 20, 20), rs("new", 5, 5, 5), 5},
		{"old pods not yet deleted still count", rs("old", 15, 20, 20), rs("new", 5, 5, 5), 5},
		{"old pods deleted", rs("old", 15, 15, 15), rs("new", 5, 5, 5), 10},
		{"never past the replicas", rs("old", 0, 0, 0), rs("new", 18, 18, 18), 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRSReplicas(d, []*api.ReplicaSet{tt.old, tt.new}, tt.new); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
	recreate := &api.Deployment{}
	recreate.Spec.Replicas = new(int32(7))
	recreate.Spec.Strategy.Type = api.RecreateDeploymentStrategyType
	if got := newRSReplicas(recreate, nil, rs("new", 0, 0, 0)); got != 7 {
		t.Fatalf("recreate: got %d, want 7", got)
	}
}

func TestProportionalSizes(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		rss  []*api.ReplicaSet
		want map[string]int32
	}{
		{
			// 10 → 20 with maxSurge 3 while 8 old and 5 new run: 10 more.
			name: "scale up mid-rollout",
			d:    rolling(20, "3", "2"),
			rss: []*api.ReplicaSet{
				rs("old", 8, 8, 8, api.MaxReplicasAnnotation, "13"),
				rs("new", 5, 5, 0, api.MaxReplicasAnnotation, "13"),
			},
			want: map[string]int32{"old": 14, "new": 9},
		},
		{
			name: "scale down mid-rollout",
			d:    rolling(10, "3", "2"),
			rss: []*api.ReplicaSet{
				rs("old", 14, 14, 14, api.MaxReplicasAnnotation, "23"),
				rs("new", 9, 9, 0, api.MaxReplicasAnnotation, "23"),
			},
			want: map[string]int32{"old": 8, "new": 5},
		},
		{
			name: "leftover goes to the largest",
			d:    rolling(4, "0", "1"),
			rss: []*api.ReplicaSet{
				created(rs("a", 1, 1, 1, api.MaxReplicasAnnotation, "3"), time.Minute),
				rs("b", 1, 1, 1, api.MaxReplicasAnnotation, "3"),
				rs("c", 1, 1, 1, api.MaxReplicasAnnotation, "3"),
			},
			// 4/3 rounds to 1 each; the one left goes to the largest, the newest of equals.
			want: map[string]int32{"a": 2, "b": 1, "c": 1},
		},
		{
			name: "to zero",
			d:    rolling(0, "25%", "25%"),
			rss:  []*api.ReplicaSet{rs("old", 3, 3, 3), rs("new", 2, 2, 2)},
			want: map[string]int32{"old": 0, "new": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := proportionalSizes(tt.d, tt.rss)
			for name, want := range tt.want {
				if got[name] != want {
					t.Fatalf("sizes %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestRolloutStatusConditions(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	d := rolling(3, "25%", "25%")
	d.Name, d.Generation = "web", 4
	d.Spec.ProgressDeadlineSeconds = new(int32(60))
	newRS := rs("web-abc", 3, 3, 3)

	st := rolloutStatus([]*api.ReplicaSet{newRS}, newRS, d, now)
	p, a := getCondition(&st, api.DeploymentProgressing), getCondition(&st, api.DeploymentAvailable)
	if p == nil || p.Reason != ReasonNewReplicaSetAvailable || p.Message != `ReplicaSet "web-abc" has successfully progressed.` {
		t.Fatalf("complete: Progressing %+v", p)
	}
	if a == nil || a.Status != api.ConditionTrue || a.Reason != ReasonMinimumReplicasAvailable || a.Message != "Deployment has minimum availability." {
		t.Fatalf("Available %+v", a)
	}
	if st.ObservedGeneration != 4 || st.Replicas != 3 || st.UpdatedReplicas != 3 || st.AvailableReplicas != 3 || st.UnavailableReplicas != 0 {
		t.Fatalf("counts %+v", st)
	}

	// Progress since the last status refreshes lastUpdateTime.
	old := rs("web-old", 1, 1, 1)
	mid := rs("web-abc", 2, 2, 1)
	d.Status = api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 1, AvailableReplicas: 2,
		Conditions: []api.DeploymentCondition{newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, "x", now.Add(-time.Minute))}}
	st = rolloutStatus([]*api.ReplicaSet{old, mid}, mid, d, now)
	p = getCondition(&st, api.DeploymentProgressing)
	if p.Reason != ReasonReplicaSetUpdated || !p.LastUpdateTime.Equal(now) || !p.LastTransitionTime.Equal(now.Add(-time.Minute)) {
		t.Fatalf("progressing: %+v", p)
	}

	// No progress for longer than the deadline.
	d.Status = st
	d.Status.Conditions = []api.DeploymentCondition{newCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, "x", now.Add(-2*time.Minute))}
	st = rolloutStatus([]*api.ReplicaSet{old, mid}, mid, d, now)
	p = getCondition(&st, api.DeploymentProgressing)
	if p.Status != api.ConditionFalse || p.Reason != ReasonProgressDeadlineExceeded || p.Message != `ReplicaSet "web-abc" has timed out progressing.` {
		t.Fatalf("timed out: %+v", p)
	}
	if after := stuckRequeue(d, &d.Status, now.Add(-90*time.Second)); after != 31*time.Second {
		t.Fatalf("stuck requeue %s, want 31s", after)
	}
}

func TestSetNewReplicaSetAnnotations(t *testing.T) {
	d := rolling(4, "1", "0")
	d.Annotations = map[string]string{ChangeCauseAnnotation: "undo", lastAppliedAnnotation: "{}", api.RevisionAnnotation: "2"}
	r := rs("web-1", 0, 0, 0, api.RevisionAnnotation, "1")
	if !setNewReplicaSetAnnotations(d, r, 3, true) {
		t.Fatal("no change reported")
	}
	want := map[string]string{ChangeCauseAnnotation: "undo", api.RevisionAnnotation: "3", RevisionHistoryAnnotation: "1"}
	for k, v := range want {
		if r.Annotations[k] != v {
			t.Fatalf("annotations %v, want %v", r.Annotations, want)
		}
	}
	if _, ok := r.Annotations[lastAppliedAnnotation]; ok {
		t.Fatal("last-applied-configuration copied")
	}
	if setNewReplicaSetAnnotations(d, r, 3, true) {
		t.Fatal("a second call changed something")
	}
	created := rs("web-2", 0, 0, 0)
	setNewReplicaSetAnnotations(d, created, 1, false)
	if created.Annotations[api.DesiredReplicasAnnotation] != "4" || created.Annotations[api.MaxReplicasAnnotation] != "5" {
		t.Fatalf("replicas annotations %v", created.Annotations)
	}
}
