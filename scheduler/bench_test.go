package scheduler

import (
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// BenchmarkPlace measures one scheduling attempt (filter, score, assume)
// on 1000 nodes, the per-pod cost of the scheduling loop without the API.
func BenchmarkPlace(b *testing.B) {
	for _, nodes := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			s, err := New(DefaultConfig(), Deps{
				Pods: newFakeLW[*api.Pod](), Nodes: newFakeLW[*api.Node](),
				Binder: &fakeAPI{}, Status: &fakeAPI{}, Events: &fakeAPI{},
			}, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			for i := range nodes {
				s.cache.setNode(node(fmt.Sprintf("n%d", i), "1000", "4000Gi", 1<<30,
					withTaints(api.Taint{Key: "k", Value: "v", Effect: api.TaintEffectPreferNoSchedule})))
			}
			pods := make([]*PodInfo, 1000)
			for i := range pods {
				pods[i] = NewPodInfo(pod(fmt.Sprintf("p%d", i), "10m", "10Mi", ownedBy(fmt.Sprintf("rs%d", i%10))))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pi := pods[i%len(pods)]
				if _, err := s.place(pi); err != nil {
					b.Fatal(err)
				}
				s.cache.removePod(pi.Key)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}
