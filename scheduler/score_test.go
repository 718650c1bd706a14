package scheduler

import (
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scorer Scorer
		node   *NodeInfo
		pod    *api.Pod
		want   int64
	}{
		{"least allocated, empty node", LeastAllocated{}, NewNodeInfo(node("n", "4", "4Gi", 10)), pod("p", "1", "1Gi"), 75},
		{"least allocated, half used", LeastAllocated{}, NewNodeInfo(node("n", "4", "4Gi", 10), pod("a", "1", "2Gi", onNode("n"))), pod("p", "1", "1Gi"),
			(50 + 25) / 2},
		{"least allocated, full", LeastAllocated{}, NewNodeInfo(node("n", "1", "1Gi", 10)), pod("p", "1", "1Gi"), 0},
		{"least allocated, over", LeastAllocated{}, NewNodeInfo(node("n", "1", "1Gi", 10), pod("a", "1", "1Gi", onNode("n"))), pod("p", "1", "1Gi"), 0},
		// 100m and 200Mi stand in for missing requests: 1000m-100m of 1000m
		// is 90; 1000Mi-200Mi of 1000Mi is 80.
		{"least allocated, default requests", LeastAllocated{}, NewNodeInfo(node("n", "1", "1000Mi", 10)), pod("p", "", ""), (90 + 80) / 2},
		{"least allocated, no allocatable", LeastAllocated{}, NewNodeInfo(node("n", "0", "0", 10)), pod("p", "1", "1Gi"), 0},

		{"balanced, equal fractions", BalancedAllocation{}, NewNodeInfo(node("n", "4", "4Gi", 10)), pod("p", "1", "1Gi"), 100},
		{"balanced, cpu 100% memory 0%+", BalancedAllocation{}, NewNodeInfo(node("n", "1", "100Gi", 10)), pod("p", "1", "1Mi"), 50},
		{"balanced, 50% vs 10%", BalancedAllocation{}, NewNodeInfo(node("n", "10", "10Gi", 10)), pod("p", "5", "1Gi"), 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.scorer.Score(tc.node, NewPodInfo(tc.pod)); got != tc.want {
				t.Fatalf("Score = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestNormalize checks each plugin's normalisation against
// kube-scheduler's NormalizeScore.
func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		norm     Normalizer
		in, want []int64
	}{
		{"spread: none anywhere", PodTopologySpreadScore{}, []int64{0, 0, 0}, []int64{100, 100, 100}},
		{"spread: fewest wins", PodTopologySpreadScore{}, []int64{0, 1, 2, 4}, []int64{100, 75, 50, 0}},
		{"spread: all equal", PodTopologySpreadScore{}, []int64{3, 3}, []int64{100, 100}},
		{"spread: min is added back", PodTopologySpreadScore{}, []int64{2, 4, 6}, []int64{100, 66, 33}},
		{"spread: ignored node", PodTopologySpreadScore{}, []int64{-1, 2, 4}, []int64{0, 100, 50}},
		{"interpod: min to max", InterPodAffinityScore{}, []int64{-10, 0, 10}, []int64{0, 50, 100}},
		{"interpod: all equal", InterPodAffinityScore{}, []int64{5, 5}, []int64{0, 0}},
		{"node affinity: by max", NodeAffinityScore{}, []int64{0, 3, 6}, []int64{0, 50, 100}},
		{"node affinity: none", NodeAffinityScore{}, []int64{0, 0}, []int64{0, 0}},
		{"taints: reversed", TaintTolerationScore{}, []int64{0, 1, 2}, []int64{100, 50, 0}},
		{"taints: none", TaintTolerationScore{}, []int64{0, 0}, []int64{100, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Clone(tc.in)
			tc.norm.Normalize(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Normalize(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, tc := range []struct {
		pct, all, want int
	}{
		{0, 10, 10},
		{0, 99, 99},
		{0, 1000, 420},  // 50 - 1000/125 = 42%
		{0, 5000, 500},  // 50 - 40 = 10%
		{0, 10000, 500}, // at least 5%
		{0, 150, 100},   // at least 100 nodes
		{100, 5000, 5000},
		{30, 1000, 300},
	} {
		cfg := DefaultConfig()
		cfg.PercentageOfNodesToScore = tc.pct
		if got := cfg.numFeasibleNodesToFind(tc.all); got != tc.want {
			t.Errorf("pct %d, %d nodes: %d, want %d", tc.pct, tc.all, got, tc.want)
		}
	}
}
