package sim

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// TestUsageFollowsAnnotations: the CPU counter grows at the annotated
// rate, split over the containers, and at a new rate from when Usage sees
// the change; memory is the annotation; no annotation is an idle pod.
func TestUsageFollowsAnnotations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 0, 0
	r, err := New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1",
		Annotations: map[string]string{AnnotationCPUUsage: "500m", AnnotationMemoryUsage: "64Mi"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "a", Image: "x"}, {Name: "b", Image: "x"}}}}
	sb, err := r.EnsureSandbox(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Spec.Containers {
		if _, err := r.StartContainer(ctx, p, &p.Spec.Containers[i], sb.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	// Pretend the containers started 10s ago.
	r.mu.Lock()
	for _, c := range r.pods["u1"].containers {
		c.started = c.started.Add(-10 * time.Second)
	}
	r.mu.Unlock()
	u, err := r.Usage(ctx, p)
	if err != nil || len(u) != 2 {
		t.Fatalf("usage: %v, %v", u, err)
	}
	for _, c := range u {
		if c.CPUSeconds < 2.5 || c.CPUSeconds > 2.6 || c.MemoryWorkingSet != 32<<20 {
			t.Errorf("container %s: %g CPU seconds (want 2.5: 250m for 10s), %d bytes (want 32Mi)", c.Name, c.CPUSeconds, c.MemoryWorkingSet)
		}
	}
	// Idle from now: the counter stops growing (but for 1m).
	idle := api.DeepCopy(p)
	idle.Annotations = nil
	first, _ := r.Usage(ctx, idle)
	time.Sleep(50 * time.Millisecond)
	second, _ := r.Usage(ctx, idle)
	if d := second[0].CPUSeconds - first[0].CPUSeconds; d < 0 || d > 0.001 {
		t.Errorf("idle container used %g CPU seconds in 50ms", d)
	}
	if second[0].MemoryWorkingSet != 4<<20 {
		t.Errorf("idle memory %d, want 4Mi", second[0].MemoryWorkingSet)
	}
	bad := api.DeepCopy(p)
	bad.Annotations[AnnotationCPUUsage] = "lots"
	if _, err := r.Usage(ctx, bad); err == nil {
		t.Error("an invalid annotation is no error")
	}
}
