package scheduler

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// withImage reports an image of size MiB under names on the node.
func withImage(size int64, names ...string) func(*api.Node) {
	return func(n *api.Node) {
		n.Status.Images = append(n.Status.Images, api.ContainerImage{Names: names, SizeBytes: size * mb})
	}
}

func withImages(images ...string) func(*api.Pod) {
	return func(p *api.Pod) {
		p.Spec.Containers = nil
		for i, img := range images {
			p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: string(rune('a' + i)), Image: img})
		}
	}
}

// ImageLocality scores as kube-scheduler's: size × spread over nodes,
// clamped between 23 MiB and 1000 MiB per container.
func TestImageLocalityScore(t *testing.T) {
	nodes := []*api.Node{
		node("n1", "4", "4Gi", 10, withImage(500, "big:1"), withImage(1000, "nginx:latest", "nginx@sha256:0123"), withImage(10, "small:latest")),
		node("n2", "4", "4Gi", 10, withImage(500, "big:1"), withImage(1000, "nginx:latest"), withImage(10, "small:latest")),
		node("n3", "4", "4Gi", 10, withImage(1000, "nginx:latest"), withImage(10, "small:latest")),
		node("n4", "4", "4Gi", 10, withImage(1000, "nginx:latest"), withImage(10, "small:latest")),
	}
	for _, tc := range []struct {
		name   string
		images []string
		want   []int64 // nil: skipped
	}{
		// 500 MiB on half the nodes: 250 MiB, 100·(250−23)/(1000−23) = 23.
		{name: "image on some nodes", images: []string{"big:1"}, want: []int64{23, 23, 0, 0}},
		// 10 MiB everywhere: below the 23 MiB threshold.
		{name: "small image", images: []string{"small"}, want: []int64{0, 0, 0, 0}},
		// 250 + 1000 MiB over two containers: 100·(1250−23)/(2000−23) = 62,
		// 1000 alone 49. "nginx" is "nginx:latest".
		{name: "two containers, untagged name", images: []string{"big:1", "nginx"}, want: []int64{62, 62, 49, 49}},
		{name: "image no node has", images: []string{"other:2"}},
		// A digest reported by n1 only: 1000 MiB on a quarter, 250 MiB.
		{name: "by digest", images: []string{"nginx@sha256:0123"}, want: []int64{23, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pi := prepared(nodes, nil, nil, pod("p", "", "", withImages(tc.images...)))
			if tc.want == nil {
				if !(ImageLocality{}).Skip(pi) {
					t.Fatalf("not skipped: %+v", pi.images)
				}
				return
			}
			if got := scoresOf(c, nodes, pi, ImageLocality{}); !slices.Equal(got, tc.want) {
				t.Fatalf("scores = %v, want %v", got, tc.want)
			}
		})
	}
	// A node's images are forgotten with it, and replaced by its updates.
	c, _ := prepared(nodes, nil, nil, pod("p", "", ""))
	c.removeNode("n1")
	updated := node("n2", "4", "4Gi", 10)
	c.setNode(updated)
	if got := c.imageNodes["big:1"]; got != 0 {
		t.Fatalf("big:1 on %d nodes after n1 left and n2 dropped it, want 0", got)
	}
	if got := c.imageNodes["nginx:latest"]; got != 2 {
		t.Fatalf("nginx:latest on %d nodes, want 2", got)
	}
}
