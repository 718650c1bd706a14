package api

import "testing"

func TestComputeQOSClass(t *testing.T) {
	res := func(kv ...string) ResourceList {
		rl := ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			rl[ResourceName(kv[i])] = MustParse(kv[i+1])
		}
		return rl
	}
	c := func(req, lim ResourceList) Container {
		return Container{Name: "c", Resources: ResourceRequirements{Requests: req, Limits: lim}}
	}
	tests := []struct {
		name string
		spec PodSpec
		want PodQOSClass
	}{
		{"no resources", PodSpec{Containers: []Container{c(nil, nil)}}, PodQOSBestEffort},
		{"zero request", PodSpec{Containers: []Container{c(res("cpu", "0"), nil)}}, PodQOSBestEffort},
		{"only other resources", PodSpec{Containers: []Container{c(res("ephemeral-storage", "1Gi"), res("nvidia.com/gpu", "1"))}}, PodQOSBestEffort},
		{"request only", PodSpec{Containers: []Container{c(res("cpu", "1"), nil)}}, PodQOSBurstable},
		{"requests equal limits", PodSpec{Containers: []Container{c(res("cpu", "1", "memory", "1Gi"), res("cpu", "1", "memory", "1Gi"))}}, PodQOSGuaranteed},
		{"limits default requests", PodSpec{Containers: []Container{c(nil, res("cpu", "500m", "memory", "1Gi"))}}, PodQOSGuaranteed},
		{"equal in other units", PodSpec{Containers: []Container{c(res("cpu", "1000m", "memory", "1024Mi"), res("cpu", "1", "memory", "1Gi"))}}, PodQOSGuaranteed},
		{"request below limit", PodSpec{Containers: []Container{c(res("cpu", "500m", "memory", "1Gi"), res("cpu", "1", "memory", "1Gi"))}}, PodQOSBurstable},
		{"cpu limit only", PodSpec{Containers: []Container{c(nil, res("cpu", "1"))}}, PodQOSBurstable},
		{"one container without limits", PodSpec{Containers: []Container{
			c(nil, res("cpu", "1", "memory", "1Gi")), c(nil, nil)}}, PodQOSBurstable},
		{"two guaranteed containers", PodSpec{Containers: []Container{
			c(nil, res("cpu", "1", "memory", "1Gi")), c(res("cpu", "2", "memory", "2Gi"), res("cpu", "2", "memory", "2Gi"))}}, PodQOSGuaranteed},
		{"init container without limits", PodSpec{
			InitContainers: []Container{c(res("cpu", "100m"), nil)},
			Containers:     []Container{c(nil, res("cpu", "1", "memory", "1Gi"))}}, PodQOSBurstable},
		{"guaranteed init container", PodSpec{
			InitContainers: []Container{c(nil, res("cpu", "1", "memory", "1Gi"))},
			Containers:     []Container{c(nil, res("cpu", "1", "memory", "1Gi"))}}, PodQOSGuaranteed},
		{"requests only in an init container", PodSpec{
			InitContainers: []Container{c(res("memory", "64Mi"), nil)},
			Containers:     []Container{c(nil, nil)}}, PodQOSBurstable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ComputeQOSClass(&tt.spec); got != tt.want {
				t.Errorf("ComputeQOSClass = %s, want %s", got, tt.want)
			}
		})
	}
}
