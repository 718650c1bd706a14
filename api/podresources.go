package api

// PodTotals are a pod's requests and limits as Kubernetes totals them for
// LimitRanges and ResourceQuotas: per resource, the sum over its
// containers, or the largest init container's when that is larger.
func PodTotals(spec *PodSpec) (requests, limits ResourceList) {
	requests, limits = ResourceList{}, ResourceList{}
	for _, c := range spec.Containers {
		addAll(requests, c.Resources.Requests)
		addAll(limits, c.Resources.Limits)
	}
	for _, c := range spec.InitContainers {
		maxAll(requests, c.Resources.Requests)
		maxAll(limits, c.Resources.Limits)
	}
	return requests, limits
}

func addAll(to, from ResourceList) {
	for k, v := range from {
		q := to[k]
		q.Add(v)
		to[k] = q
	}
}

func maxAll(to, from ResourceList) {
	for k, v := range from {
		if cur, ok := to[k]; !ok || v.Cmp(cur) > 0 {
			to[k] = v
		}
	}
}
