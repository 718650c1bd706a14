package app

import "testing"

func TestTopologyLabels(t *testing.T) {
	kc := DefaultKubeletConfig()
	kc.Zones = 3
	var got []string
	for i := range 5 {
		l := map[string]string{}
		kc.topologyLabels(i, l)
		if l[LabelRegion] != "region-1" {
			t.Fatalf("node %d: region %q", i, l[LabelRegion])
		}
		got = append(got, l[LabelZone])
	}
	want := []string{"region-1a", "region-1b", "region-1c", "region-1a", "region-1b"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("zones = %q, want %q", got, want)
		}
	}
	kc.Zones = 0
	l := map[string]string{}
	kc.topologyLabels(0, l)
	if len(l) != 0 {
		t.Fatalf("no zones: labels %v", l)
	}
}
