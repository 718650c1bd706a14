package kubelet

import "testing"

// An HTTP probe says it is one, with the major.minor Kubernetes version as
// the kubelet's own probes do ("kube-probe/1.32" for v1.32.0).
func TestProbeUserAgent(t *testing.T) {
	t.Parallel()
	if probeUserAgent != "kube-probe/1.32" {
		t.Errorf("probe User-Agent %q, want kube-probe/1.32 (version.KubernetesVersion v1.32.0)", probeUserAgent)
	}
}
