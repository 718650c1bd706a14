package scheduler

import (
	"maps"
	"sync"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// cache is the scheduler's own view of the cluster, fed by the node and pod
// informers' handlers: every known node with the pods counted on it. Pods
// the scheduler has placed but not yet seen bound are "assumed" on their
// node, so that the next pod already sees the resources taken.
//
// The scheduling loop holds mu for a whole cycle (filter, score, assume),
// so a cycle sees one consistent state; handlers hold it briefly.
type cache struct {
	mu    sync.Mutex
	nodes map[string]*NodeInfo
	order []*NodeInfo // the known nodes (Node != nil), for iteration
	pods  map[informer.Key]*cachedPod
	start int // where the next cycle starts in order (sampling fairness)

	groups     map[string]*podGroup // pods by namespace and labels; see podGroup
	antiGroups int                  // groups with required anti-affinity terms
	nsLabels   map[string]labels.Labels
	// services: the non-empty selectors of Services by namespace and name,
	// for the default spreading of pods without a controller.
	services map[string]map[string]map[string]string
	// imageNodes: image name → known nodes reporting it (ImageLocality).
	imageNodes map[string]int
	epoch      uint64         // marks nodes within one attempt
	keyNodes   map[string]int // label key → known nodes with it
}

// cachedPod is a pod counted on a node.
type cachedPod struct {
	info    *PodInfo
	node    string
	assumed bool // placed by us; not yet seen bound through the informer
	// nominated: a preempting pod's reservation on the node it evicts
	// pods from, so that other pods do not take the room it makes.
	nominated bool
}

func newCache() *cache {
	return &cache{
		nodes: make(map[string]*NodeInfo), pods: make(map[informer.Key]*cachedPod),
		groups: make(map[string]*podGroup), nsLabels: make(map[string]labels.Labels),
		keyNodes: make(map[string]int), services: make(map[string]map[string]map[string]string),
		imageNodes: make(map[string]int),
	}
}

// setNode adds or replaces a node.
func (c *cache) setNode(node *api.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[node.Name]
	if n == nil {
		n = &NodeInfo{}
		c.nodes[node.Name] = n
	}
	known := n.Node != nil
	if known {
		c.countKeys(n.Node, -1)
		c.countImages(n, -1)
	}
	c.countKeys(node, 1)
	n.setNode(node)
	c.countImages(n, 1)
	if !known {
		c.order = append(c.order, n)
	}
}

func (c *cache) countKeys(node *api.Node, d int) {
	for k := range node.Labels {
		if c.keyNodes[k] += d; c.keyNodes[k] <= 0 {
			delete(c.keyNodes, k)
		}
	}
}

func (c *cache) countImages(n *NodeInfo, d int) {
	for name := range n.images {
		if c.imageNodes[name] += d; c.imageNodes[name] <= 0 {
			delete(c.imageNodes, name)
		}
	}
}

// removeNode forgets a node. Its NodeInfo lives on, without Node, while
// pods still name it, so that their requests are not lost if it returns.
func (c *cache) removeNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	if n == nil || n.Node == nil {
		return
	}
	c.countKeys(n.Node, -1)
	c.countImages(n, -1)
	n.setNode(nil)
	for i, o := range c.order {
		if o == n {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.dropIfEmptyLocked(name, n)
}

func (c *cache) dropIfEmptyLocked(name string, n *NodeInfo) {
	if n.Node == nil && n.Requested.Pods == 0 {
		delete(c.nodes, name)
	}
}

// setBoundPod counts a pod the informer shows bound to a node, replacing
// whatever was counted for it before (an assumed placement, or an older
// version of the pod).
func (c *cache) setBoundPod(p *api.Pod) {
	pi := NewPodInfo(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(pi.Key)
	c.addLocked(&cachedPod{info: pi, node: p.Spec.NodeName})
}

// removePod stops counting a pod (deleted, or finished).
func (c *cache) removePod(k informer.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(k)
}

// assumeLocked counts pi on node before its binding is confirmed. The
// caller holds mu (the scheduling cycle).
func (c *cache) assumeLocked(pi *PodInfo, node string) {
	c.removeLocked(pi.Key)
	c.addLocked(&cachedPod{info: pi, node: node, assumed: true})
}

// nominateLocked reserves pi's room on node while its victims go; the
// caller holds mu.
func (c *cache) nominateLocked(pi *PodInfo, node string) {
	c.removeLocked(pi.Key)
	c.addLocked(&cachedPod{info: pi, node: node, nominated: true})
}

// dropNominationLocked removes pi's reservation, if any, before its own
// attempt; the caller holds mu.
func (c *cache) dropNominationLocked(pi *PodInfo) {
	if cp := c.pods[pi.Key]; cp != nil && cp.nominated {
		c.removeLocked(pi.Key)
	}
}

// forget drops an assumption that did not turn into a binding. It leaves
// the pod alone if the informer has meanwhile shown it bound.
func (c *cache) forget(k informer.Key, node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp := c.pods[k]; cp != nil && cp.assumed && cp.node == node {
		c.removeLocked(k)
	}
}

// isAssumed reports whether k is placed by us and not yet seen bound.
func (c *cache) isAssumed(k informer.Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := c.pods[k]
	return cp != nil && cp.assumed
}

func (c *cache) addLocked(cp *cachedPod) {
	n := c.nodes[cp.node]
	if n == nil {
		n = &NodeInfo{}
		c.nodes[cp.node] = n
	}
	n.addPod(cp.info)
	c.addToGroup(cp.info, n)
	c.pods[cp.info.Key] = cp
}

func (c *cache) removeLocked(k informer.Key) {
	cp := c.pods[k]
	if cp == nil {
		return
	}
	delete(c.pods, k)
	if n := c.nodes[cp.node]; n != nil {
		n.removePod(cp.info)
		c.removeFromGroup(cp.info, n)
		c.dropIfEmptyLocked(cp.node, n)
	}
}

// setNamespace records a namespace's labels (for namespaceSelector).
func (c *cache) setNamespace(ns *api.Namespace) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nsLabels[ns.Name] = ns.Labels
}

// removeNamespace forgets a namespace's labels.
func (c *cache) removeNamespace(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nsLabels, name)
}

// setService records a Service's selector (for default spreading).
func (c *cache) setService(svc *api.Service) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(svc.Spec.Selector) == 0 {
		c.removeServiceLocked(svc.Namespace, svc.Name)
		return
	}
	byName := c.services[svc.Namespace]
	if byName == nil {
		byName = make(map[string]map[string]string)
		c.services[svc.Namespace] = byName
	}
	byName[svc.Name] = svc.Spec.Selector
}

// removeService forgets a Service.
func (c *cache) removeService(svc *api.Service) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeServiceLocked(svc.Namespace, svc.Name)
}

func (c *cache) removeServiceLocked(ns, name string) {
	if byName := c.services[ns]; byName != nil {
		delete(byName, name)
		if len(byName) == 0 {
			delete(c.services, ns)
		}
	}
}

// serviceSelectorLocked merges the selectors of the Services of p's
// namespace that select p (kube-scheduler's DefaultSelector over
// Services); nil if none does.
func (c *cache) serviceSelectorLocked(p *api.Pod) map[string]string {
	var merged map[string]string
	for _, sel := range c.services[p.Namespace] {
		if !labels.SelectorFromSet(sel).Matches(p.Labels) {
			continue
		}
		if merged == nil {
			merged = make(map[string]string, len(sel))
		}
		maps.Copy(merged, sel)
	}
	return merged
}

// prepareLocked computes what the filters and scores of one attempt need
// from the whole cluster (kube-scheduler's PreFilter); the caller holds mu.
func (c *cache) prepareLocked(pi *PodInfo) {
	c.prepareInterPod(pi)
	c.prepareSpread(pi)
	c.prepareImages(pi)
}

// nodeCount is the number of known nodes.
func (c *cache) nodeCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

// nodeInfo returns a copy of the named node's accounting, for tests.
func (c *cache) nodeInfo(name string) (NodeInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok {
		return NodeInfo{}, false
	}
	return *n, true
}
