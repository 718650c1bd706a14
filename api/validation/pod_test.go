package validation

import (
	"slices"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

func ptr[T any](v T) *T { return &v }

// summary renders errors as "path: Type" for comparison.
func summary(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field + ": " + strings.TrimPrefix(string(e.Type), "FieldValue")
	}
	return out
}

func validContainer(name string) api.Container {
	return api.Container{
		Name:                     name,
		Image:                    "nginx:1.25",
		Ports:                    []api.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: api.ProtocolTCP}},
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: api.TerminationMessageReadFile,
		ImagePullPolicy:          api.PullIfNotPresent,
	}
}

func validPodSpec() api.PodSpec {
	return api.PodSpec{
		Containers:                    []api.Container{validContainer("web")},
		RestartPolicy:                 api.RestartPolicyAlways,
		DNSPolicy:                     api.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr(int64(30)),
		SchedulerName:                 "default-scheduler",
	}
}

func validPod() *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web-1", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec:       validPodSpec(),
	}
}

func TestValidatePod(t *testing.T) {
	probe := func() *api.Probe {
		return &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/", Port: api.FromString("http"), Scheme: api.URISchemeHTTP}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
	}
	tests := []struct {
		name   string
		mutate func(p *api.Pod)
		want   []string
	}{
		{"valid", func(p *api.Pod) {}, nil},
		{"valid with everything", func(p *api.Pod) {
			c := &p.Spec.Containers[0]
			c.LivenessProbe, c.ReadinessProbe = probe(), probe()
			c.Env = []api.EnvVar{{Name: "A", Value: "1"}, {Name: "POD", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels['app']"}}}}
			c.Resources = api.ResourceRequirements{
				Limits:   api.ResourceList{api.ResourceCPU: api.MustParse("1"), api.ResourceMemory: api.MustParse("128Mi"), "example.com/gpu": api.MustParse("1")},
				Requests: api.ResourceList{api.ResourceCPU: api.MustParse("500m"), api.ResourceMemory: api.MustParse("128Mi")},
			}
			p.Spec.Volumes = []api.Volume{{Name: "data", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}}
			c.VolumeMounts = []api.VolumeMount{{Name: "data", MountPath: "/data", SubPath: "x/y"}}
			p.Spec.InitContainers = []api.Container{validContainer("init")}
			p.Spec.InitContainers[0].Ports = nil
			p.Spec.Tolerations = []api.Toleration{{Operator: api.TolerationOpExists}, {Key: "k", Value: "v", Effect: api.TaintEffectNoExecute, TolerationSeconds: ptr(int64(5))}}
			p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{
					MatchExpressions: []api.NodeSelectorRequirement{{Key: "zone", Operator: api.NodeSelectorOpIn, Values: []string{"a"}}},
					MatchFields:      []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{"n1"}}},
				}}},
				PreferredDuringSchedulingIgnoredDuringExecution: []api.PreferredSchedulingTerm{{Weight: 100, Preference: api.NodeSelectorTerm{}}},
			}}
			p.Spec.ActiveDeadlineSeconds = ptr(int64(60))
		}, nil},
		{"bad name", func(p *api.Pod) { p.Name = "Web_1" }, []string{"metadata.name: Invalid"}},
		{"no name", func(p *api.Pod) { p.Name = "" }, []string{"metadata.name: Required"}},
		{"generateName", func(p *api.Pod) { p.Name, p.GenerateName = "", "web-" }, nil},
		{"spread constraints", func(p *api.Pod) {
			one := int32(1)
			p.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: api.DoNotSchedule, MinDomains: &one},
				{MaxSkew: 0, TopologyKey: "", WhenUnsatisfiable: "Sometimes"},
				{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: api.DoNotSchedule},
				{MaxSkew: 1, TopologyKey: "host", WhenUnsatisfiable: api.ScheduleAnyway, MinDomains: &one},
			}
		}, []string{"spec.topologySpreadConstraints[1].maxSkew: Invalid", "spec.topologySpreadConstraints[1].topologyKey: Required",
			"spec.topologySpreadConstraints[1].whenUnsatisfiable: NotSupported", "spec.topologySpreadConstraints[2]: Duplicate",
			"spec.topologySpreadConstraints[3].minDomains: Invalid"}},
		{"no namespace", func(p *api.Pod) { p.Namespace = "" }, []string{"metadata.namespace: Required"}},
		{"bad labels", func(p *api.Pod) { p.Labels = map[string]string{"a/b/c": "x", "ok": "-bad"} }, []string{"metadata.labels: Invalid", "metadata.labels: Invalid"}},
		{"annotation keys are checked in lower case", func(p *api.Pod) { p.Annotations = map[string]string{"Example.COM/Key": "any value !"} }, nil},
		{"huge annotations", func(p *api.Pod) { p.Annotations = map[string]string{"a": strings.Repeat("x", 300_000)} }, []string{"metadata.annotations: TooLong"}},
		{"two controllers", func(p *api.Pod) {
			p.OwnerReferences = []api.OwnerReference{
				{APIVersion: "v1", Kind: "A", Name: "a", UID: "1", Controller: ptr(true)},
				{APIVersion: "v1", Kind: "B", Name: "b", UID: "2", Controller: ptr(true)}}
		}, []string{"metadata.ownerReferences: Invalid"}},
		{"bad finalizer", func(p *api.Pod) { p.Finalizers = []string{"mine"} }, []string{"metadata.finalizers[0]: Invalid"}},
		{"no containers", func(p *api.Pod) { p.Spec.Containers = nil }, []string{"spec.containers: Required"}},
		{"container name and image", func(p *api.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, validContainer("web"), validContainer(""), validContainer("Bad"))
			p.Spec.Containers[1].Image = ""
			p.Spec.Containers[2].Image = " nginx"
			for i := range p.Spec.Containers[1:] {
				p.Spec.Containers[i+1].Ports = nil
			}
		}, []string{"spec.containers[1].name: Duplicate", "spec.containers[1].image: Required", "spec.containers[2].name: Required", "spec.containers[2].image: Invalid", "spec.containers[3].name: Invalid"}},
		{"init name collides", func(p *api.Pod) { p.Spec.InitContainers = []api.Container{validContainer("web")} },
			[]string{"spec.containers[0].name: Duplicate"}},
		{"enums", func(p *api.Pod) {
			p.Spec.RestartPolicy = "Sometimes"
			p.Spec.DNSPolicy = ""
			p.Spec.Containers[0].ImagePullPolicy = "Maybe"
			p.Spec.Containers[0].TerminationMessagePolicy = ""
		}, []string{"spec.containers[0].terminationMessagePolicy: Required", "spec.containers[0].imagePullPolicy: NotSupported", "spec.restartPolicy: NotSupported", "spec.dnsPolicy: Required"}},
		{"dns none", func(p *api.Pod) { p.Spec.DNSPolicy = api.DNSNone }, []string{"spec.dnsConfig: Required"}},
		{"ports", func(p *api.Pod) {
			p.Spec.Containers[0].Ports = []api.ContainerPort{
				{ContainerPort: 0, Protocol: api.ProtocolTCP},
				{Name: "http", ContainerPort: 70000, HostPort: -1, Protocol: "ICMP"},
				{Name: "http", ContainerPort: 81, Protocol: api.ProtocolTCP},
				{Name: "HTTP", ContainerPort: 82},
			}
		}, []string{"spec.containers[0].ports[0].containerPort: Required",
			"spec.containers[0].ports[1].containerPort: Invalid", "spec.containers[0].ports[1].hostPort: Invalid", "spec.containers[0].ports[1].protocol: NotSupported",
			"spec.containers[0].ports[2].name: Duplicate",
			"spec.containers[0].ports[3].name: Invalid", "spec.containers[0].ports[3].name: Invalid", "spec.containers[0].ports[3].protocol: Required"}},
		{"host ports", func(p *api.Pod) {
			p.Spec.Containers[0].Ports = []api.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: api.ProtocolTCP}, {ContainerPort: 81, HostPort: 8080, Protocol: api.ProtocolTCP}, {ContainerPort: 82, HostPort: 8080, Protocol: api.ProtocolUDP}}
		}, []string{"spec.containers[0].ports[1].hostPort: Duplicate"}},
		{"host network", func(p *api.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports[0].HostPort = 8080
		}, []string{"spec.containers[0].ports[0].hostPort: Invalid"}},
		{"env", func(p *api.Pod) {
			p.Spec.Containers[0].Env = []api.EnvVar{
				{Name: ""},
				{Name: "A=B"},
				{Name: "C", Value: "x", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.foo"}}},
				{Name: "D", ValueFrom: &api.EnvVarSource{}},
			}
		}, []string{"spec.containers[0].env[0].name: Required", "spec.containers[0].env[1].name: Invalid",
			"spec.containers[0].env[2].valueFrom: Invalid", "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: NotSupported",
			"spec.containers[0].env[3].valueFrom: Invalid"}},
		{"resources", func(p *api.Pod) {
			p.Spec.Containers[0].Resources = api.ResourceRequirements{
				Limits:   api.ResourceList{api.ResourceCPU: api.MustParse("500m"), "pods": api.MustParse("1")},
				Requests: api.ResourceList{api.ResourceCPU: api.MustParse("1"), api.ResourceMemory: api.MustParse("-1Mi")},
			}
		}, []string{"spec.containers[0].resources.limits[pods]: Invalid", "spec.containers[0].resources.requests[memory]: Invalid", "spec.containers[0].resources.requests[cpu]: Invalid"}},
		{"volumes", func(p *api.Pod) {
			p.Spec.Volumes = []api.Volume{
				{Name: "a", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}},
				{Name: "a", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}, HostPath: &api.HostPathVolumeSource{Path: "/x"}}},
				{Name: "B"},
				{Name: "c", VolumeSource: api.VolumeSource{ConfigMap: &api.ConfigMapVolumeSource{Items: []api.KeyToPath{{Key: "k", Path: "../x"}}}}},
			}
			p.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "a", MountPath: "/a"}, {Name: "zz", MountPath: "/a", SubPath: "/abs"}}
		}, []string{"spec.volumes[1].name: Duplicate", "spec.volumes[1].emptyDir: Forbidden",
			"spec.volumes[2].name: Invalid", "spec.volumes[2]: Required",
			"spec.volumes[3].configMap.name: Required", "spec.volumes[3].configMap.items[0].path: Invalid",
			"spec.containers[0].volumeMounts[1].name: NotFound", "spec.containers[0].volumeMounts[1].mountPath: Invalid", "spec.containers[0].volumeMounts[1].subPath: Invalid"}},
		{"probes", func(p *api.Pod) {
			c := &p.Spec.Containers[0]
			c.LivenessProbe = probe()
			c.LivenessProbe.SuccessThreshold = 2
			c.LivenessProbe.TCPSocket = &api.TCPSocketAction{Port: api.FromInt(0)}
			c.ReadinessProbe = &api.Probe{PeriodSeconds: -1, TerminationGracePeriodSeconds: ptr(int64(3))}
			c.StartupProbe = probe()
			c.StartupProbe.HTTPGet.Scheme = "FTP"
			c.StartupProbe.HTTPGet.Port = api.FromInt(70000)
		}, []string{"spec.containers[0].livenessProbe.tcpSocket: Forbidden", "spec.containers[0].livenessProbe.successThreshold: Invalid",
			"spec.containers[0].readinessProbe: Required", "spec.containers[0].readinessProbe.periodSeconds: Invalid",
			"spec.containers[0].startupProbe.httpGet.port: Invalid", "spec.containers[0].startupProbe.httpGet.scheme: NotSupported",
			"spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid"}},
		{"init probe", func(p *api.Pod) {
			p.Spec.InitContainers = []api.Container{validContainer("init")}
			p.Spec.InitContainers[0].Ports = nil
			p.Spec.InitContainers[0].ReadinessProbe = probe()
		}, []string{"spec.initContainers[0].readinessProbe: Forbidden"}},
		{"tolerations", func(p *api.Pod) {
			p.Spec.Tolerations = []api.Toleration{
				{Operator: api.TolerationOpEqual, Value: "x"},
				{Key: "k", Operator: api.TolerationOpExists, Value: "v"},
				{Key: "k", Operator: "Like"},
				{Key: "k", Effect: "Sometimes"},
				{Key: "k", Effect: api.TaintEffectNoSchedule, TolerationSeconds: ptr(int64(1))},
			}
		}, []string{"spec.tolerations[0].operator: Invalid", "spec.tolerations[1].operator: Invalid", "spec.tolerations[2].operator: NotSupported",
			"spec.tolerations[3].effect: NotSupported", "spec.tolerations[4].effect: Invalid"}},
		{"affinity", func(p *api.Pod) {
			p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{
					MatchExpressions: []api.NodeSelectorRequirement{{Key: "a", Operator: api.NodeSelectorOpIn}, {Key: "b", Operator: api.NodeSelectorOpGt, Values: []string{"1", "2"}}, {Key: "c", Operator: "Near"}},
					MatchFields:      []api.NodeSelectorRequirement{{Key: "metadata.labels", Operator: api.NodeSelectorOpIn, Values: []string{"x"}}},
				}}},
				PreferredDuringSchedulingIgnoredDuringExecution: []api.PreferredSchedulingTerm{{Weight: 0}},
			}}
		}, []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: Required",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].operator: Invalid",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid",
			"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid"}},
		{"misc spec", func(p *api.Pod) {
			p.Spec.ActiveDeadlineSeconds = ptr(int64(0))
			p.Spec.TerminationGracePeriodSeconds = ptr(int64(-5))
			p.Spec.NodeName = "Node_1"
			p.Spec.Hostname = "a.b"
			p.Spec.NodeSelector = map[string]string{"k": "a b"}
		}, []string{"spec.terminationGracePeriodSeconds: Invalid", "spec.activeDeadlineSeconds: Invalid", "spec.nodeSelector: Invalid", "spec.nodeName: Invalid", "spec.hostname: Invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.mutate(p)
			if got := summary(ValidatePod(p, nil)); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q\n(%v)", got, tt.want, ValidatePod(p, nil).ToAggregate())
			}
		})
	}
}

func TestValidatePodUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *api.Pod)
		want   []string
	}{
		{"unchanged", func(p *api.Pod) {}, nil},
		{"image and labels", func(p *api.Pod) {
			p.Spec.Containers[0].Image = "nginx:1.26"
			p.Labels["x"] = "y"
		}, nil},
		{"tolerations added", func(p *api.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, api.Toleration{Key: "b", Operator: api.TolerationOpExists})
		}, nil},
		{"tolerations removed", func(p *api.Pod) { p.Spec.Tolerations = nil }, []string{"spec.tolerations: Forbidden"}},
		{"deadline lowered", func(p *api.Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(30)) }, nil},
		{"deadline raised", func(p *api.Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(300)) }, []string{"spec.activeDeadlineSeconds: Invalid"}},
		{"deadline removed", func(p *api.Pod) { p.Spec.ActiveDeadlineSeconds = nil }, []string{"spec.activeDeadlineSeconds: Invalid"}},
		{"port changed", func(p *api.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 81 }, []string{"spec: Forbidden"}},
		{"node name set", func(p *api.Pod) { p.Spec.NodeName = "n1" }, []string{"spec: Forbidden"}},
		{"scheduling gate removed", func(p *api.Pod) { p.Spec.SchedulingGates = p.Spec.SchedulingGates[1:] }, nil},
		{"scheduling gate added", func(p *api.Pod) {
			p.Spec.SchedulingGates = append(p.Spec.SchedulingGates, api.PodSchedulingGate{Name: "c"})
		}, []string{"spec.schedulingGates[2]: Forbidden"}},
		{"container added", func(p *api.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, validContainer("b"))
			p.Spec.Containers[1].Ports = nil
		}, []string{"spec: Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := validPod()
			old.Spec.ActiveDeadlineSeconds = ptr(int64(60))
			old.Spec.Tolerations = []api.Toleration{{Key: "a", Operator: api.TolerationOpExists}}
			old.Spec.SchedulingGates = []api.PodSchedulingGate{{Name: "a"}, {Name: "b"}}
			p := api.DeepCopy(old)
			tt.mutate(p)
			errs := ValidatePod(p, old)
			if got := summary(errs); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q\n(%v)", got, tt.want, errs.ToAggregate())
			}
		})
	}
	old := validPod()
	p := api.DeepCopy(old)
	p.Spec.NodeName = "n1"
	errs := ValidatePod(p, old)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Detail, "pod updates may not change fields other than `spec.containers[*].image`,") ||
		!strings.HasSuffix(errs[0].Detail, "changed: spec.nodeName") {
		t.Errorf("forbidden update detail = %q", errs.ToAggregate())
	}
}

func TestValidatePodStatusUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *api.PodStatus)
		want   []string
	}{
		{"running", func(s *api.PodStatus) {}, nil},
		{"nominated node", func(s *api.PodStatus) { s.NominatedNodeName = "Node_1" }, []string{"status.nominatedNodeName: Invalid"}},
		{"condition", func(s *api.PodStatus) {
			s.Conditions = append(s.Conditions, api.PodCondition{Status: "Yes"})
		}, []string{"status.conditions[1].type: Required", "status.conditions[1].status: NotSupported"}},
		{"pod IPs", func(s *api.PodStatus) {
			s.PodIP = "10.244.0.300"
			s.PodIPs = []api.PodIP{{IP: "10.244.0.5"}, {IP: "10.244.0.5"}, {IP: "x"}}
		}, []string{"status.podIP: Invalid", "status.podIPs[1].ip: Duplicate", "status.podIPs[2].ip: Invalid"}},
		{"host IPs", func(s *api.PodStatus) { s.HostIPs = []api.HostIP{{IP: "node-1"}} }, []string{"status.hostIPs[0].ip: Invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := validPod()
			p := api.DeepCopy(old)
			p.Status = api.PodStatus{Phase: api.PodRunning, PodIP: "10.244.0.5", PodIPs: []api.PodIP{{IP: "10.244.0.5"}},
				HostIP: "172.18.0.2", HostIPs: []api.HostIP{{IP: "172.18.0.2"}},
				Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}}
			tt.mutate(&p.Status)
			if got := summary(ValidatePodStatusUpdate(p, old)); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
