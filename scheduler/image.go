package scheduler

import (
	"strings"

	"github.com/minik8s/minik8s/api"
)

// PluginImageLocality is kube-scheduler's ImageLocality score plugin.
const PluginImageLocality = "ImageLocality"

// ImageLocality's thresholds, as kube-scheduler's: a sum of scaled image
// sizes up to minImageThreshold scores 0; maxImageThreshold per container
// scores MaxScore.
const (
	mb                int64 = 1024 * 1024
	minImageThreshold       = 23 * mb
	maxImageThreshold       = 1000 * mb
)

// imageState is what ImageLocality computes once per attempt: for each
// image of the pod present on some node, the fraction of the known nodes
// that report it.
type imageState struct {
	spread     map[string]float64
	containers int
}

// normalizedImageName adds the tag "latest" to a name without a tag or a
// digest, as the kubelet and kube-scheduler do.
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		name += ":latest"
	}
	return name
}

// prepareImages fills pi's image state; it is left nil when no node
// reports an image of the pod, and then ImageLocality is skipped. It
// costs a map look-up per container.
func (c *cache) prepareImages(pi *PodInfo) {
	pi.images = nil
	if len(c.imageNodes) == 0 || len(c.order) == 0 {
		return
	}
	var st *imageState
	visit := func(cs []api.Container) {
		for i := range cs {
			name := normalizedImageName(cs[i].Image)
			if nodes := c.imageNodes[name]; nodes > 0 {
				if st == nil {
					st = &imageState{spread: make(map[string]float64)}
				}
				st.spread[name] = float64(nodes) / float64(len(c.order))
			}
		}
	}
	visit(pi.Pod.Spec.InitContainers)
	visit(pi.Pod.Spec.Containers)
	if st != nil {
		st.containers = len(pi.Pod.Spec.InitContainers) + len(pi.Pod.Spec.Containers)
		pi.images = st
	}
}

// ImageLocality prefers nodes that already have the pod's images, as
// kube-scheduler's plugin does: the sum over the pod's containers (init
// containers included) of the size of its image on the node times the
// fraction of nodes that have it (so an image every node has counts fully
// but everywhere alike, and one image on a single node of many counts
// little, which keeps pods of one image from piling on one node), clamped
// between 23 MiB and 1000 MiB per container and scaled to 0-MaxScore.
type ImageLocality struct{}

// Skip implements Skipper: no node reports an image of the pod.
func (ImageLocality) Skip(p *PodInfo) bool { return p.images == nil }

// Score implements Scorer.
func (ImageLocality) Score(n *NodeInfo, p *PodInfo) int64 {
	st := p.images
	if st == nil || len(n.images) == 0 {
		return 0
	}
	var sum int64
	add := func(cs []api.Container) {
		for i := range cs {
			name := normalizedImageName(cs[i].Image)
			if size, ok := n.images[name]; ok {
				sum += int64(float64(size) * st.spread[name])
			}
		}
	}
	add(p.Pod.Spec.InitContainers)
	add(p.Pod.Spec.Containers)
	hi := maxImageThreshold * int64(st.containers)
	sum = min(max(sum, minImageThreshold), hi)
	return MaxScore * (sum - minImageThreshold) / (hi - minImageThreshold)
}
