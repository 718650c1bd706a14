package validation

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func validTemplate() api.PodTemplateSpec {
	return api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}}, Spec: validPodSpec()}
}

func validDeployment() *api.Deployment {
	pct := api.FromString("25%")
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: validTemplate(),
			Strategy: api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &api.RollingUpdateDeployment{MaxUnavailable: &pct, MaxSurge: &pct}},
			RevisionHistoryLimit:    ptr(int32(10)),
			ProgressDeadlineSeconds: ptr(int32(600)),
		},
	}
}

func TestValidateDeployment(t *testing.T) {
	is := func(v api.IntOrString) *api.IntOrString { return &v }
	tests := []struct {
		name   string
		mutate func(d *api.Deployment)
		want   []string
	}{
		{"valid", func(d *api.Deployment) {}, nil},
		{"negative replicas", func(d *api.Deployment) { d.Spec.Replicas = ptr(int32(-1)) }, []string{"spec.replicas: Invalid"}},
		{"no selector", func(d *api.Deployment) { d.Spec.Selector = nil }, []string{"spec.selector: Required"}},
		{"empty selector", func(d *api.Deployment) { d.Spec.Selector = &api.LabelSelector{} }, []string{"spec.selector: Invalid"}},
		{"selector mismatch", func(d *api.Deployment) { d.Spec.Selector.MatchLabels["app"] = "db" }, []string{"spec.template.metadata.labels: Invalid"}},
		{"bad expression", func(d *api.Deployment) {
			d.Spec.Selector.MatchExpressions = []api.LabelSelectorRequirement{{Key: "tier", Operator: api.LabelSelectorOpIn}, {Key: "x", Operator: api.LabelSelectorOpExists, Values: []string{"y"}}}
		}, []string{"spec.selector.matchExpressions[0].values: Required", "spec.selector.matchExpressions[1].values: Forbidden"}},
		{"template pod", func(d *api.Deployment) {
			d.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever
			d.Spec.Template.Spec.Containers[0].Image = ""
		}, []string{"spec.template.spec.containers[0].image: Required", "spec.template.spec.restartPolicy: NotSupported"}},
		{"recreate with rolling params", func(d *api.Deployment) { d.Spec.Strategy.Type = api.RecreateDeploymentStrategyType },
			[]string{"spec.strategy.rollingUpdate: Forbidden"}},
		{"unknown strategy", func(d *api.Deployment) { d.Spec.Strategy.Type = "BlueGreen" }, []string{"spec.strategy.type: NotSupported"}},
		{"bad surge", func(d *api.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = is(api.FromString("110%"))
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = is(api.FromString("x"))
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid", "spec.strategy.rollingUpdate.maxSurge: Invalid"}},
		{"both zero", func(d *api.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = is(api.FromInt(0))
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = is(api.FromString("0%"))
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid"}},
		{"deadline", func(d *api.Deployment) { d.Spec.MinReadySeconds = 600 }, []string{"spec.progressDeadlineSeconds: Invalid"}},
		{"status", func(d *api.Deployment) {
			d.Status = api.DeploymentStatus{Replicas: 1, ReadyReplicas: 2, AvailableReplicas: 1}
		},
			[]string{"status.readyReplicas: Invalid"}},
	}
	for _, tt := range tests {
		d := validDeployment()
		tt.mutate(d)
		if got := summary(ValidateDeployment(d, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q\n%v", tt.name, got, tt.want, ValidateDeployment(d, nil).ToAggregate())
		}
	}

	old := validDeployment()
	d := validDeployment()
	d.Spec.Replicas = ptr(int32(5))
	d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort = 8080
	if errs := ValidateDeployment(d, old); len(errs) != 0 {
		t.Errorf("template update: %v", errs.ToAggregate())
	}
	d.Spec.Selector.MatchLabels["tier"] = "front"
	errs := ValidateDeployment(d, old)
	if got := summary(errs); !slices.Equal(got, []string{"spec.selector: Invalid"}) || errs[0].Detail != "field is immutable" {
		t.Errorf("selector update: %v", errs.ToAggregate())
	}
}

func TestValidateReplicaSet(t *testing.T) {
	base := func() *api.ReplicaSet {
		return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web-5d4f", Namespace: "default"},
			Spec: api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: validTemplate()}}
	}
	tests := []struct {
		name   string
		mutate func(r *api.ReplicaSet)
		want   []string
	}{
		{"valid", func(r *api.ReplicaSet) {}, nil},
		{"zero replicas", func(r *api.ReplicaSet) { r.Spec.Replicas = ptr(int32(0)) }, nil},
		{"negative", func(r *api.ReplicaSet) { r.Spec.Replicas, r.Spec.MinReadySeconds = ptr(int32(-1)), -1 },
			[]string{"spec.replicas: Invalid", "spec.minReadySeconds: Invalid"}},
		{"mismatch", func(r *api.ReplicaSet) { r.Spec.Template.Labels = nil }, []string{"spec.template.metadata.labels: Invalid"}},
		{"deadline", func(r *api.ReplicaSet) { r.Spec.Template.Spec.ActiveDeadlineSeconds = ptr(int64(5)) }, []string{"spec.template.spec.activeDeadlineSeconds: Forbidden"}},
		{"status", func(r *api.ReplicaSet) {
			r.Status = api.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 2}
		}, []string{"status.fullyLabeledReplicas: Invalid", "status.availableReplicas: Invalid"}},
	}
	for _, tt := range tests {
		r := base()
		tt.mutate(r)
		if got := summary(ValidateReplicaSet(r, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	r := base()
	r.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"tier": "front"}}
	if got := summary(ValidateReplicaSet(r, base())); !slices.Equal(got, []string{"spec.selector: Invalid"}) {
		t.Errorf("selector update: %q", got)
	}
}

func TestValidateScale(t *testing.T) {
	s := &api.Scale{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"}, Spec: api.ScaleSpec{Replicas: 0}}
	if errs := ValidateScale(s, nil); len(errs) != 0 {
		t.Errorf("valid scale: %v", errs.ToAggregate())
	}
	s.Spec.Replicas = -1
	if got := summary(ValidateScale(s, nil)); !slices.Equal(got, []string{"spec.replicas: Invalid"}) {
		t.Errorf("negative scale: %q", got)
	}
}
