package kubelet_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/nodelifecycle"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testpoll"
	"github.com/minik8s/minik8s/kubelet"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/sim"
)

// imageRuntime is a simulated runtime that lists the images the test
// sets, as a Docker engine lists its own.
type imageRuntime struct {
	runtime.Runtime
	mu     sync.Mutex
	images []api.ContainerImage
}

func (r *imageRuntime) ListImages(context.Context) ([]api.ContainerImage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.images), nil
}

func (r *imageRuntime) setImages(imgs ...api.ContainerImage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.images = imgs
}

// TestNodeStatusWrittenOnChange runs a kubelet that computes its node's
// status every 100ms and renews its Lease as often, beside a node
// lifecycle controller with a grace period of 1s. The status is written
// when it changes (the runtime's images; the Ready condition set to
// Unknown by someone else) and when the report frequency (5 min on the
// kubelet's clock, moved forward by the test) has passed, and not
// otherwise; the node stays Ready all along, its Lease being its
// heartbeat.
func TestNodeStatusWrittenOnChange(t *testing.T) {
	t.Parallel()
	rt, err := sim.New(sim.DefaultConfig(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	irt := &imageRuntime{Runtime: rt}
	imgA := api.ContainerImage{Names: []string{"minik8s/a:1"}, SizeBytes: 200}
	imgB := api.ContainerImage{Names: []string{"minik8s/b:1"}, SizeBytes: 100}
	irt.setImages(imgA)
	h := newHarness(t, "quiet-node", irt, true)
	var offset atomic.Int64 // added to the kubelet's clock
	h.clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	h.configure = func(c *kubelet.Config) {
		c.NodeLeaseRenewInterval = 100 * time.Millisecond
		c.NodeStatusUpdateInterval = 100 * time.Millisecond
		c.NodeStatusReportFrequency = 5 * time.Minute
	}
	const grace = time.Second
	startNodeLifecycle(t, h.c, grace)
	h.start()
	ctx := context.Background()

	node := func() *api.Node {
		t.Helper()
		n, err := h.c.Nodes().Get(ctx, h.node)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	heartbeat := func(n *api.Node) time.Time {
		if r := api.NodeReadyCondition(n); r != nil {
			return r.LastHeartbeatTime.Time
		}
		return time.Time{}
	}
	// quiet waits for the status last written to settle (the kubelet's
	// node informer may lag behind its own write and make it write once
	// more), then until the kubelet has renewed its Lease for d more by
	// its clock, which covers many status computations and, for d of 2s
	// or more, the controller's grace period: the status must not have
	// been written again, and the node must still be Ready and untainted.
	// It returns the last heartbeat written.
	quiet := func(what string, d time.Duration) time.Time {
		t.Helper()
		renewedPast := func(at time.Time) {
			t.Helper()
			testpoll.Eventually(t, waitTimeout, "lease renewals past "+at.String(), func() bool {
				return renewTime(t, h, ctx).After(at)
			})
		}
		renewedPast(heartbeat(node()).Add(time.Second))
		hb := heartbeat(node())
		renewedPast(hb.Add(d))
		n := node()
		if got := heartbeat(n); !got.Equal(hb) {
			t.Errorf("%s: status written again (heartbeat %s, was %s) though it did not change", what, got, hb)
		}
		if !api.IsNodeReady(n) || len(n.Spec.Taints) > 0 {
			t.Errorf("%s: node ready %v, taints %v; want Ready, untainted (the Lease is its heartbeat)", what, api.IsNodeReady(n), n.Spec.Taints)
		}
		return hb
	}

	testpoll.Eventually(t, waitTimeout, "the node Ready with its image", func() bool {
		n, err := h.c.Nodes().Get(ctx, h.node)
		return err == nil && api.IsNodeReady(n) && len(n.Status.Images) == 1
	})
	hb := quiet("unchanged status", 2*time.Second)

	// The kubelet's own change: a new image.
	irt.setImages(imgA, imgB)
	testpoll.Eventually(t, waitTimeout, "the new image in the node's status", func() bool {
		n := node()
		return len(n.Status.Images) == 2 && n.Status.Images[1].Names[0] == "minik8s/b:1"
	})
	if n := node(); !heartbeat(n).After(hb) {
		t.Errorf("status with a new image: heartbeat %s, want after %s", heartbeat(n), hb)
	}

	// A change by someone else: Ready set to Unknown, as the node
	// lifecycle controller does when the Lease is late. The kubelet sets
	// it back to True, with a new transition time.
	marked := time.Now().Truncate(time.Second)
	err = client.RetryOnConflict(ctx, client.DefaultRetry, func() error {
		n := node()
		for i := range n.Status.Conditions {
			if c := &n.Status.Conditions[i]; c.Type == api.NodeReady {
				c.Status, c.Reason, c.Message = api.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
			}
		}
		_, err := h.c.Nodes().UpdateStatus(ctx, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	testpoll.Eventually(t, waitTimeout, "the node Ready again, untainted", func() bool {
		n := node()
		r := api.NodeReadyCondition(n)
		return r != nil && r.Status == api.ConditionTrue && r.Reason == "KubeletReady" && len(n.Spec.Taints) == 0
	})
	if r := api.NodeReadyCondition(node()); r.LastTransitionTime.Before(marked) {
		t.Errorf("Ready again with lastTransitionTime %s, before it was marked Unknown (%s)", r.LastTransitionTime, marked)
	}

	// Quiet again, then the report frequency passes on the kubelet's
	// clock: the unchanged status is written.
	hb = quiet("unchanged status after the changes", 2*time.Second)
	offset.Add(int64(5 * time.Minute))
	testpoll.Eventually(t, waitTimeout, "the status written once the report frequency passed", func() bool {
		return !heartbeat(node()).Before(hb.Add(5 * time.Minute))
	})
	if n := node(); !api.IsNodeReady(n) || len(n.Spec.Taints) > 0 {
		t.Errorf("node ready %v, taints %v; want Ready, untainted", api.IsNodeReady(n), n.Spec.Taints)
	}
}

// startNodeLifecycle runs a node lifecycle controller checking every
// 100ms, with the given grace period, until the test ends.
func startNodeLifecycle(t *testing.T, c *client.Client, grace time.Duration) {
	t.Helper()
	nodes := informer.New(client.ListWatch(c.Nodes(), client.ListOptions{}), 0)
	leases := informer.New(client.ListWatch(c.Leases(nodelifecycle.NodeLeaseNamespace), client.ListOptions{}), 0)
	pods := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{}), 0, nodelifecycle.PodIndexer())
	rec := events.New(events.ClientSink(c), events.Config{Source: "node-controller"}, zerolog.Nop())
	ctl, err := nodelifecycle.New(nodelifecycle.Config{MonitorPeriod: 100 * time.Millisecond, GracePeriod: grace},
		nodelifecycle.Deps{Client: c, Nodes: nodes, Leases: leases, Pods: pods, Events: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, fn := range []func(context.Context) error{nodes.Run, leases.Run, pods.Run, rec.Run, func(ctx context.Context) error { return ctl.Run(ctx, 2) }} {
		wg.Go(func() { _ = fn(ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}
