package api

// ComputeQOSClass is a pod's quality-of-service class, by Kubernetes' rules
// (pkg/apis/core/helper/qos.ComputePodQOS), over its containers and init
// containers, counting cpu and memory only:
//
//   - BestEffort: no container requests or limits any cpu or memory (zero
//     quantities do not count);
//   - Guaranteed: every container limits both cpu and memory, and for each
//     of them the sum of the requests equals the sum of the limits;
//   - Burstable: everything else.
//
// A limit without a request counts as that request too, as Kubernetes'
// defaulting sets it on create, so a spec gets the same class before and
// after defaulting. The API server sets status.qosClass with it once, on
// create; the class never changes afterwards.
func ComputeQOSClass(spec *PodSpec) PodQOSClass {
	requests, limits := ResourceList{}, ResourceList{}
	guaranteed := true
	for _, cs := range [][]Container{spec.Containers, spec.InitContainers} {
		for i := range cs {
			res := &cs[i].Resources
			limited := 0
			for _, name := range []ResourceName{ResourceCPU, ResourceMemory} {
				lim, hasLim := res.Limits[name]
				req, hasReq := res.Requests[name]
				if !hasReq && hasLim {
					req, hasReq = lim, true
				}
				if hasReq && req.Sign() > 0 {
					addTo(requests, name, req)
				}
				if hasLim && lim.Sign() > 0 {
					addTo(limits, name, lim)
					limited++
				}
			}
			if limited < 2 {
				guaranteed = false
			}
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return PodQOSBestEffort
	}
	if guaranteed && len(requests) == len(limits) {
		for name, req := range requests {
			if lim, ok := limits[name]; !ok || !lim.Equal(req) {
				return PodQOSBurstable
			}
		}
		return PodQOSGuaranteed
	}
	return PodQOSBurstable
}

// addTo adds q to the sum under name in rl.
func addTo(rl ResourceList, name ResourceName, q Quantity) {
	sum := rl[name]
	sum.Add(q)
	rl[name] = sum
}
