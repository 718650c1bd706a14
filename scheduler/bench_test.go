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

// BenchmarkPlaceConstrained measures one attempt on 1000 nodes holding
// 5000 pods of 10 Deployments, for a pod with required hostname
// anti-affinity against its Deployment, or a zone spread constraint.
func BenchmarkPlaceConstrained(b *testing.B) {
	for _, kind := range []string{"anti-affinity", "spread"} {
		b.Run(kind, func(b *testing.B) {
			s, err := New(DefaultConfig(), Deps{
				Pods: newFakeLW[*api.Pod](), Nodes: newFakeLW[*api.Node](),
				Binder: &fakeAPI{}, Status: &fakeAPI{}, Events: &fakeAPI{},
			}, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				s.cache.setNode(node(fmt.Sprintf("n%d", i), "1000", "4000Gi", 110, withLabels(LabelZone, fmt.Sprintf("z%d", i%10))))
			}
			mk := func(i int) *api.Pod {
				app := fmt.Sprintf("dep-%d", i%10)
				mods := []func(*api.Pod){podLabels("app", app)}
				if kind == "spread" {
					mods = append(mods, spreadBy(hardSpread(1, LabelZone, sel("app", app))))
				} else {
					mods = append(mods, podAntiAffinity(affTerm(LabelHostname, sel("app", app))))
				}
				return pod(fmt.Sprintf("p%d", i), "10m", "10Mi", mods...)
			}
			for i := range 5000 {
				p := mk(i)
				p.Spec.NodeName = fmt.Sprintf("n%d", (i/10+i%10*37)%1000)
				s.cache.setBoundPod(p)
			}
			pods := make([]*PodInfo, 100)
			for i := range pods {
				pods[i] = NewPodInfo(mk(5000 + i))
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
