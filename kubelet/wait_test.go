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
	t.Parallel()
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

// removeBlocker is a runtime whose RemovePod waits for release, as
// Docker removing a pod's containers and sandbox may take a while.
type removeBlocker struct {
	runtime.Runtime
	release chan struct{}
}

func (b *removeBlocker) RemovePod(ctx context.Context, uid string) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Runtime.RemovePod(ctx, uid)
}

// TestStoppedContainersReportedBeforeRemoval: once a deleted pod's
// containers have stopped, the pod reports them not ready before the
// runtime removes them and the pod goes, so its endpoints stop serving
// instead of pointing at an address nobody answers meanwhile.
func TestStoppedContainersReportedBeforeRemoval(t *testing.T) {
	t.Parallel()
	rt, err := sim.New(sim.DefaultConfig(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	b := &removeBlocker{Runtime: rt, release: make(chan struct{})}
	h := newHarness(t, "sim-node", b, true)
	h.start()
	defer close(b.release)
	h.run(&api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "minik8s/testapp:1"}}},
	})
	h.waitPod("web", "Ready", api.IsPodReady)
	if err := h.c.Pods("default").Delete(context.Background(), "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitPod("web", "reported stopped (container terminated, not ready) while the runtime removes it", func(p *api.Pod) bool {
		return p.DeletionTimestamp != nil && !api.IsPodReady(p) &&
			len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Terminated != nil
	})
}
