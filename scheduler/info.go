package scheduler

import (
	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
)

// Resources are the amounts the scheduler accounts for: cpu in millicores,
// memory in bytes, and a pod count.
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
}

func (r *Resources) add(o Resources) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.Pods += o.Pods
}

func (r *Resources) sub(o Resources) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.Pods -= o.Pods
}

// Requests a pod without any are charged when nodes are scored (not when
// they are filtered), as kube-scheduler does, so that best-effort pods
// still spread out.
const (
	defaultMilliCPURequest = 100               // 0.1 core
	defaultMemoryRequest   = 200 * 1024 * 1024 // 200 MiB
)

// PodInfo is a pod with what the filters and scores need computed once per
// scheduling attempt rather than once per node.
type PodInfo struct {
	Pod *api.Pod
	Key informer.Key
	// Request is the pod's effective request (Pods is 1): the larger of
	// the sum over its containers and any one init container.
	Request Resources
	// NonZero is Request with kube-scheduler's defaults in place of zero
	// cpu and memory, for scoring.
	NonZero Resources
	// Owner is the UID of the pod's controller ("" if it has none).
	Owner string

	group    string         // its podGroup's key, once counted in the cache
	interPod *interPodState // this attempt's inter-pod affinity state
	spread   *spreadState   // this attempt's topology spreading state
	images   *imageState    // this attempt's ImageLocality state
}

// NewPodInfo computes the PodInfo of p, which it does not modify.
func NewPodInfo(p *api.Pod) *PodInfo {
	pi := &PodInfo{Pod: p, Key: informer.KeyOf(p), Request: podRequest(p)}
	pi.NonZero = pi.Request
	if pi.NonZero.MilliCPU == 0 {
		pi.NonZero.MilliCPU = defaultMilliCPURequest
	}
	if pi.NonZero.Memory == 0 {
		pi.NonZero.Memory = defaultMemoryRequest
	}
	if ref := api.GetControllerOf(&p.ObjectMeta); ref != nil {
		pi.Owner = ref.UID
	}
	return pi
}

// podRequest is max(sum of containers, each init container), plus one pod.
// A container's missing request defaults to its limit, as the API server's
// defaulting does.
func podRequest(p *api.Pod) Resources {
	var sum Resources
	for i := range p.Spec.Containers {
		cpu, mem := containerRequest(&p.Spec.Containers[i])
		sum.MilliCPU += cpu
		sum.Memory += mem
	}
	for i := range p.Spec.InitContainers {
		cpu, mem := containerRequest(&p.Spec.InitContainers[i])
		sum.MilliCPU = max(sum.MilliCPU, cpu)
		sum.Memory = max(sum.Memory, mem)
	}
	sum.Pods = 1
	return sum
}

func containerRequest(c *api.Container) (milliCPU, memory int64) {
	get := func(name api.ResourceName) api.Quantity {
		if q, ok := c.Resources.Requests[name]; ok {
			return q
		}
		return c.Resources.Limits[name]
	}
	return get(api.ResourceCPU).MilliValue(), get(api.ResourceMemory).Value()
}

// NodeInfo is a node with the pods the scheduler counts on it: those bound
// to it and those it has assumed there but not yet seen bound. Filters and
// scores must treat it as read-only.
type NodeInfo struct {
	// Node is the node object; nil while pods name a node the scheduler
	// has not seen (or no longer sees).
	Node *api.Node
	// Allocatable is what pods may use of the node.
	Allocatable Resources
	// Requested is the sum of the requests of the pods counted on it.
	Requested Resources
	// NonZeroRequested is Requested with scoring defaults for zero requests.
	NonZeroRequested Resources

	ready  bool
	images map[string]int64 // image name (tagged) → size, from status.images
	owners map[string]int   // controller UID → pods counted here
	epoch  uint64           // the cache's epoch when an attempt last marked it
	// spreadMask: bit i set if constraint i of that attempt counts the node
	spreadMask uint64
}

// Name is the node's name ("" if the node is unknown).
func (n *NodeInfo) Name() string {
	if n.Node == nil {
		return ""
	}
	return n.Node.Name
}

// Ready reports whether the node's Ready condition is True.
func (n *NodeInfo) Ready() bool { return n.ready }

// OwnerCount is how many pods counted on the node have controller uid.
func (n *NodeInfo) OwnerCount(uid string) int { return n.owners[uid] }

// NewNodeInfo returns the NodeInfo of node with the given pods counted on
// it; tests and benchmarks build views with it.
func NewNodeInfo(node *api.Node, pods ...*api.Pod) *NodeInfo {
	n := &NodeInfo{}
	n.setNode(node)
	for _, p := range pods {
		n.addPod(NewPodInfo(p))
	}
	return n
}

func (n *NodeInfo) setNode(node *api.Node) {
	n.Node = node
	n.images = nil
	if node == nil {
		n.Allocatable, n.ready = Resources{}, false
		return
	}
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			if n.images == nil {
				n.images = make(map[string]int64)
			}
			n.images[normalizedImageName(name)] = img.SizeBytes
		}
	}
	a := node.Status.Allocatable
	n.Allocatable = Resources{
		MilliCPU: a.Cpu().MilliValue(),
		Memory:   a.Memory().Value(),
		Pods:     a.Pods().Value(),
	}
	n.ready = api.IsNodeReady(node)
}

func (n *NodeInfo) addPod(pi *PodInfo) {
	n.Requested.add(pi.Request)
	n.NonZeroRequested.add(pi.NonZero)
	if pi.Owner != "" {
		if n.owners == nil {
			n.owners = make(map[string]int)
		}
		n.owners[pi.Owner]++
	}
}

func (n *NodeInfo) removePod(pi *PodInfo) {
	n.Requested.sub(pi.Request)
	n.NonZeroRequested.sub(pi.NonZero)
	if pi.Owner != "" {
		if n.owners[pi.Owner]--; n.owners[pi.Owner] <= 0 {
			delete(n.owners, pi.Owner)
		}
	}
}
