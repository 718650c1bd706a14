package kubelet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/sim"
)

// stopBlocker is a runtime whose StopContainer blocks until its context
// ends, then says so on stopping and waits for release, as a runtime
// busy finishing a stop would.
type stopBlocker struct {
	runtime.Runtime
	entered, stopping, release chan struct{}
	once                       sync.Once
}

func (b *stopBlocker) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	b.once.Do(func() { close(b.entered) })
	<-ctx.Done()
	close(b.stopping)
	<-b.release
	return ctx.Err()
}

// Run returns only once the goroutine terminating a deleted pod has
// returned (it used to return while the goroutine still ran).
func TestRunWaitsForTermination(t *testing.T) {
	rt, err := sim.New(sim.DefaultConfig(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	b := &stopBlocker{Runtime: rt, entered: make(chan struct{}), stopping: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, "sim-node", b, true)
	h.start()
	h.run(&api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "minik8s/testapp:1"}}},
	})
	h.waitPod("web", "Running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	if err := h.c.Pods("default").Delete(context.Background(), "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.entered:
	case <-time.After(waitTimeout):
		t.Fatal("the kubelet did not stop the deleted pod's container")
	}
	cancel, done := h.cancel, h.done
	h.cancel = nil // this test stops the kubelet itself
	cancel()
	<-b.stopping
	select {
	case err := <-done:
		close(b.release)
		t.Fatalf("Run returned (%v) while the pod's termination was still running", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
