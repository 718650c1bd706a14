package validation

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func validJob() *api.Job {
	t := validTemplate()
	t.Spec.RestartPolicy = api.RestartPolicyNever
	t.Labels[api.JobControllerUIDLabel] = "uid-1"
	return &api.Job{
		ObjectMeta: api.ObjectMeta{Name: "j", Namespace: "default", UID: "uid-1"},
		Spec: api.JobSpec{Parallelism: ptr(int32(1)), Completions: ptr(int32(1)), BackoffLimit: ptr(int32(6)),
			Selector: &api.LabelSelector{MatchLabels: map[string]string{api.JobControllerUIDLabel: "uid-1"}},
			Template: t},
	}
}

func TestValidateJob(t *testing.T) {
	indexed := api.IndexedCompletion
	tests := []struct {
		name   string
		mutate func(j *api.Job)
		want   []string
	}{
		{"valid", func(*api.Job) {}, nil},
		{"selector not generated", func(j *api.Job) { j.Spec.Selector.MatchLabels[api.JobControllerUIDLabel] = "other" },
			[]string{"spec.selector: Invalid", "spec.template.metadata.labels: Invalid"}},
		{"manual selector without selector", func(j *api.Job) { j.Spec.ManualSelector = ptr(true); j.Spec.Selector = nil },
			[]string{"spec.selector: Required"}},
		{"restartPolicy Always", func(j *api.Job) { j.Spec.Template.Spec.RestartPolicy = api.RestartPolicyAlways },
			[]string{"spec.template.spec.restartPolicy: NotSupported"}},
		{"negative counts", func(j *api.Job) { j.Spec.BackoffLimit = ptr(int32(-1)); j.Spec.ActiveDeadlineSeconds = ptr(int64(0)) },
			[]string{"spec.backoffLimit: Invalid", "spec.activeDeadlineSeconds: Invalid"}},
		{"indexed without completions", func(j *api.Job) { j.Spec.CompletionMode = &indexed; j.Spec.Completions = nil },
			[]string{"spec.completions: Required"}},
	}
	for _, tt := range tests {
		j := validJob()
		tt.mutate(j)
		if got := summary(ValidateJob(j, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	old, j := validJob(), validJob()
	j.Spec.Parallelism = ptr(int32(3))
	if errs := ValidateJob(j, old); len(errs) != 0 {
		t.Errorf("parallelism update: %v", errs.ToAggregate())
	}
	j.Spec.Template.Spec.Containers[0].Image = "busybox"
	j.Spec.Completions = ptr(int32(2))
	if got := summary(ValidateJob(j, old)); !slices.Equal(got, []string{"spec.template: Invalid", "spec.completions: Invalid"}) {
		t.Errorf("template and completions update: %q", got)
	}
}

func TestValidateCronJob(t *testing.T) {
	valid := func() *api.CronJob {
		j := validJob()
		j.Spec.Selector = nil
		return &api.CronJob{ObjectMeta: api.ObjectMeta{Name: "cj", Namespace: "default"},
			Spec: api.CronJobSpec{Schedule: "*/5 * * * *", ConcurrencyPolicy: api.AllowConcurrent,
				JobTemplate: api.JobTemplateSpec{Spec: j.Spec}}}
	}
	tests := []struct {
		name   string
		mutate func(c *api.CronJob)
		want   []string
	}{
		{"valid", func(*api.CronJob) {}, nil},
		{"descriptor", func(c *api.CronJob) { c.Spec.Schedule = "@hourly" }, nil},
		{"time zone", func(c *api.CronJob) { c.Spec.TimeZone = ptr("America/New_York") }, nil},
		{"no schedule", func(c *api.CronJob) { c.Spec.Schedule = "" }, []string{"spec.schedule: Required"}},
		{"bad schedule", func(c *api.CronJob) { c.Spec.Schedule = "61 * * * *" }, []string{"spec.schedule: Invalid"}},
		{"TZ in schedule", func(c *api.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" }, []string{"spec.schedule: Invalid"}},
		{"unknown zone", func(c *api.CronJob) { c.Spec.TimeZone = ptr("Mars/Base") }, []string{"spec.timeZone: Invalid"}},
		{"Local zone", func(c *api.CronJob) { c.Spec.TimeZone = ptr("Local") }, []string{"spec.timeZone: Invalid"}},
		{"empty zone", func(c *api.CronJob) { c.Spec.TimeZone = ptr("") }, []string{"spec.timeZone: Invalid"}},
		{"concurrency", func(c *api.CronJob) { c.Spec.ConcurrencyPolicy = "Never" }, []string{"spec.concurrencyPolicy: NotSupported"}},
		{"history", func(c *api.CronJob) { c.Spec.FailedJobsHistoryLimit = ptr(int32(-1)) }, []string{"spec.failedJobsHistoryLimit: Invalid"}},
		{"long name", func(c *api.CronJob) { c.Name = "a123456789a123456789a123456789a123456789a123456789abc" }, []string{"metadata.name: Invalid"}},
		{"manual selector", func(c *api.CronJob) { c.Spec.JobTemplate.Spec.ManualSelector = ptr(true) },
			[]string{"spec.jobTemplate.spec.manualSelector: NotSupported"}},
	}
	for _, tt := range tests {
		c := valid()
		tt.mutate(c)
		if got := summary(ValidateCronJob(c, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidatePodDisruptionBudget(t *testing.T) {
	is := func(v api.IntOrString) *api.IntOrString { return &v }
	tests := []struct {
		name string
		spec api.PodDisruptionBudgetSpec
		want []string
	}{
		{"min", api.PodDisruptionBudgetSpec{MinAvailable: is(api.FromInt(1))}, nil},
		{"max percent", api.PodDisruptionBudgetSpec{MaxUnavailable: is(api.FromString("30%"))}, nil},
		{"both", api.PodDisruptionBudgetSpec{MinAvailable: is(api.FromInt(1)), MaxUnavailable: is(api.FromInt(1))}, []string{"spec: Invalid"}},
		{"over 100%", api.PodDisruptionBudgetSpec{MinAvailable: is(api.FromString("101%"))}, []string{"spec.minAvailable: Invalid"}},
		{"negative", api.PodDisruptionBudgetSpec{MaxUnavailable: is(api.FromInt(-1))}, []string{"spec.maxUnavailable: Invalid"}},
		{"policy", api.PodDisruptionBudgetSpec{UnhealthyPodEvictionPolicy: ptr("Sometimes")}, []string{"spec.unhealthyPodEvictionPolicy: NotSupported"}},
	}
	for _, tt := range tests {
		p := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default"}, Spec: tt.spec}
		if got := summary(ValidatePodDisruptionBudget(p, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidateIngressAndNetworkPolicy(t *testing.T) {
	prefix := api.PathTypePrefix
	svc := api.IngressBackend{Service: &api.IngressServiceBackend{Name: "web", Port: api.ServiceBackendPort{Number: 80}}}
	ingTests := []struct {
		name string
		spec api.IngressSpec
		want []string
	}{
		{"default backend", api.IngressSpec{DefaultBackend: &svc}, nil},
		{"nothing", api.IngressSpec{}, []string{"spec: Invalid"}},
		{"wildcard host", api.IngressSpec{Rules: []api.IngressRule{{Host: "*.example.com",
			IngressRuleValue: api.IngressRuleValue{HTTP: &api.HTTPIngressRuleValue{Paths: []api.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: svc}}}}}}}, nil},
		{"bad wildcard", api.IngressSpec{Rules: []api.IngressRule{{Host: "a.*.com"}}}, []string{"spec.rules[0].host: Invalid"}},
		{"no paths", api.IngressSpec{Rules: []api.IngressRule{{IngressRuleValue: api.IngressRuleValue{HTTP: &api.HTTPIngressRuleValue{}}}}},
			[]string{"spec.rules[0].http.paths: Required"}},
		{"path", api.IngressSpec{Rules: []api.IngressRule{{IngressRuleValue: api.IngressRuleValue{HTTP: &api.HTTPIngressRuleValue{
			Paths: []api.HTTPIngressPath{{Path: "/a", Backend: api.IngressBackend{Service: &api.IngressServiceBackend{Name: "web",
				Port: api.ServiceBackendPort{Name: "http", Number: 80}}}}}}}}}},
			[]string{"spec.rules[0].http.paths[0].pathType: Required", "spec.rules[0].http.paths[0].backend.service.port: Invalid"}},
	}
	for _, tt := range ingTests {
		i := &api.Ingress{ObjectMeta: api.ObjectMeta{Name: "i", Namespace: "default"}, Spec: tt.spec}
		if got := summary(ValidateIngress(i, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("ingress %s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	port := api.FromInt(80)
	named := api.FromString("http")
	udp := api.Protocol("ICMP")
	npTests := []struct {
		name string
		rule api.NetworkPolicyIngressRule
		want []string
	}{
		{"valid", api.NetworkPolicyIngressRule{Ports: []api.NetworkPolicyPort{{Port: &port, EndPort: ptr(int32(90))}},
			From: []api.NetworkPolicyPeer{{IPBlock: &api.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}}}, nil},
		{"end port below port", api.NetworkPolicyIngressRule{Ports: []api.NetworkPolicyPort{{Port: &port, EndPort: ptr(int32(70))}}},
			[]string{"spec.ingress[0].ports[0].endPort: Invalid"}},
		{"end port with a name", api.NetworkPolicyIngressRule{Ports: []api.NetworkPolicyPort{{Port: &named, EndPort: ptr(int32(70))}}},
			[]string{"spec.ingress[0].ports[0].endPort: Invalid"}},
		{"protocol", api.NetworkPolicyIngressRule{Ports: []api.NetworkPolicyPort{{Protocol: &udp}}},
			[]string{"spec.ingress[0].ports[0].protocol: NotSupported"}},
		{"empty peer", api.NetworkPolicyIngressRule{From: []api.NetworkPolicyPeer{{}}}, []string{"spec.ingress[0].from[0]: Required"}},
		{"except outside", api.NetworkPolicyIngressRule{From: []api.NetworkPolicyPeer{{IPBlock: &api.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16"}}}}},
			[]string{"spec.ingress[0].from[0].ipBlock.except[0]: Invalid"}},
	}
	for _, tt := range npTests {
		np := &api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Name: "n", Namespace: "default"},
			Spec: api.NetworkPolicySpec{Ingress: []api.NetworkPolicyIngressRule{tt.rule}}}
		if got := summary(ValidateNetworkPolicy(np, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("netpol %s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidateHorizontalPodAutoscaler(t *testing.T) {
	valid := func() *api.HorizontalPodAutoscaler {
		return &api.HorizontalPodAutoscaler{ObjectMeta: api.ObjectMeta{Name: "h", Namespace: "default"},
			Spec: api.HorizontalPodAutoscalerSpec{ScaleTargetRef: api.CrossVersionObjectReference{Kind: "Deployment", Name: "web"},
				MinReplicas: ptr(int32(1)), MaxReplicas: 3,
				Metrics: []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{Name: api.ResourceCPU,
					Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: ptr(int32(80))}}}}}}
	}
	tests := []struct {
		name   string
		mutate func(h *api.HorizontalPodAutoscaler)
		want   []string
	}{
		{"valid", func(*api.HorizontalPodAutoscaler) {}, nil},
		{"no target", func(h *api.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef = api.CrossVersionObjectReference{} },
			[]string{"spec.scaleTargetRef.kind: Required", "spec.scaleTargetRef.name: Required"}},
		{"bounds", func(h *api.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr(int32(4)) }, []string{"spec.maxReplicas: Invalid"}},
		{"zero min", func(h *api.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr(int32(0)) }, []string{"spec.minReplicas: Invalid"}},
		{"type without source", func(h *api.HorizontalPodAutoscaler) { h.Spec.Metrics[0].Type = api.PodsMetricSourceType },
			[]string{"spec.metrics[0]: Forbidden"}},
		{"unknown type", func(h *api.HorizontalPodAutoscaler) { h.Spec.Metrics[0].Type = "Magic" }, []string{"spec.metrics[0].type: NotSupported"}},
		{"zero utilization", func(h *api.HorizontalPodAutoscaler) {
			h.Spec.Metrics[0].Resource.Target.AverageUtilization = ptr(int32(0))
		},
			[]string{"spec.metrics[0].resource.target.averageUtilization: Invalid"}},
		{"behavior", func(h *api.HorizontalPodAutoscaler) {
			h.Spec.Behavior = &api.HorizontalPodAutoscalerBehavior{ScaleUp: &api.HPAScalingRules{
				StabilizationWindowSeconds: ptr(int32(4000)), Policies: []api.HPAScalingPolicy{{Type: "Pods", Value: 0, PeriodSeconds: 2000}}}}
		}, []string{"spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid", "spec.behavior.scaleUp.policies[0].value: Invalid",
			"spec.behavior.scaleUp.policies[0].periodSeconds: Invalid"}},
	}
	for _, tt := range tests {
		h := valid()
		tt.mutate(h)
		if got := summary(ValidateHorizontalPodAutoscaler(h, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidateStatefulSetUpdate(t *testing.T) {
	valid := func() *api.StatefulSet {
		return &api.StatefulSet{ObjectMeta: api.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: api.StatefulSetSpec{Replicas: ptr(int32(1)), ServiceName: "db", PodManagementPolicy: "OrderedReady",
				UpdateStrategy: api.StatefulSetUpdateStrategy{Type: "RollingUpdate"},
				Selector:       &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: validTemplate()}}
	}
	if errs := ValidateStatefulSet(valid(), nil); len(errs) != 0 {
		t.Fatalf("valid: %v", errs.ToAggregate())
	}
	old, s := valid(), valid()
	s.Spec.Replicas = ptr(int32(5))
	s.Spec.Template.Spec.Containers[0].Image = "postgres"
	if errs := ValidateStatefulSet(s, old); len(errs) != 0 {
		t.Errorf("replicas and template update: %v", errs.ToAggregate())
	}
	s.Spec.ServiceName = "other"
	if got := summary(ValidateStatefulSet(s, old)); !slices.Equal(got, []string{"spec: Forbidden"}) {
		t.Errorf("serviceName update: %q", got)
	}
}

// Volume mounts may name a claim template: the controller adds the volume.
func TestValidateStatefulSetClaimMounts(t *testing.T) {
	s := &api.StatefulSet{ObjectMeta: api.ObjectMeta{Name: "db", Namespace: "default"},
		Spec: api.StatefulSetSpec{Replicas: ptr(int32(1)), ServiceName: "db", PodManagementPolicy: "OrderedReady",
			UpdateStrategy: api.StatefulSetUpdateStrategy{Type: "RollingUpdate"},
			Selector:       &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: validTemplate()}}
	s.Spec.Template.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "data", MountPath: "/data"}}
	if got := summary(ValidateStatefulSet(s, nil)); len(got) != 1 {
		t.Fatalf("a mount of no volume: %q, want one error", got)
	}
	s.Spec.VolumeClaimTemplates = []api.PersistentVolumeClaim{{ObjectMeta: api.ObjectMeta{Name: "data"}}}
	if errs := ValidateStatefulSet(s, nil); len(errs) != 0 {
		t.Fatalf("a mount of a claim template: %v", errs.ToAggregate())
	}
	if len(s.Spec.Template.Spec.Volumes) != 0 {
		t.Fatal("validation changed the template")
	}
}
