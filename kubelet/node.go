package kubelet

import (
	"cmp"
	"context"
	"fmt"
	goruntime "runtime"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Node identity the kubelet reports.
const (
	// KubeletVersion is the Node's nodeInfo.kubeletVersion.
	KubeletVersion = "v1.32.0+minik8s"
	// NodeLeaseNamespace holds the nodes' Leases.
	NodeLeaseNamespace = "kube-node-lease"
	// Well-known node labels.
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
	LabelArch     = "kubernetes.io/arch"
)

// inFlight is how many of one kind of request (heartbeats, pod status
// writes) a process of nodes nodes has in flight at once: atLeast, or one
// per 50 nodes if more. Each such request waits as long as the API server
// takes to answer, and in Kubernetes every node has its own: with 16
// heartbeats and 8 status writers for 5,000 simulated nodes, an
// overloaded server answering in 220 ms got 73 Lease renewals a second of
// the 500 the nodes need (all-150k), and pods turned Running at the rate
// of 8 writers.
func inFlight(atLeast, nodes int) int { return max(atLeast, nodes/50) }

// heartbeatParallelism is how many heartbeats a process keeps in flight
// at once when it runs few nodes (inFlight gives more to many).
const heartbeatParallelism = 16

// heartbeatLoop registers every node, then renews each one's Lease every
// NodeLeaseRenewInterval and computes its status every
// NodeStatusUpdateInterval, writing it when it changed or is due
// (syncNodeStatus). The nodes' turns are spread evenly over the
// interval, so a thousand nodes make a steady trickle of writes rather
// than a burst. A failed heartbeat is tried again at the node's next turn;
// a node that was deleted is registered again.
func (k *Kubelet) heartbeatLoop(ctx context.Context) {
	sem := make(chan struct{}, inFlight(heartbeatParallelism, len(k.order)))
	var wg sync.WaitGroup
	defer wg.Wait()
	beat := func(n *node) {
		if !n.busy.CompareAndSwap(false, true) {
			return // the last one is still running
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			n.busy.Store(false)
			return
		}
		wg.Go(func() {
			defer func() { <-sem; n.busy.Store(false) }()
			k.heartbeat(ctx, n)
		})
	}
	// Register every node at once, then take turns.
	for _, n := range k.order {
		beat(n)
	}
	step := k.cfg.NodeLeaseRenewInterval / time.Duration(len(k.order))
	perTick := 1
	if minStep := 10 * time.Millisecond; step < minStep {
		perTick = int((minStep + step - 1) / step)
		step = minStep
	}
	t := time.NewTicker(step)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for range perTick {
			beat(k.order[next])
			next = (next + 1) % len(k.order)
		}
	}
}

// heartbeat registers the node if needed, renews its Lease and, when due,
// syncs its status.
func (k *Kubelet) heartbeat(ctx context.Context, n *node) {
	// A stopped agent sends nothing; a frozen one hangs here (agent.go).
	if n.agent.stopped.Load() || n.agent.hold.Wait(ctx) != nil {
		return
	}
	now := k.now()
	err := func() error {
		if !n.registered {
			if err := k.register(ctx, n, now); err != nil {
				return err
			}
		} else if now.Sub(n.lastStatus) >= k.cfg.NodeStatusUpdateInterval {
			if err := k.syncNodeStatus(ctx, n, now, false); err != nil {
				return err
			}
		}
		return k.renewLease(ctx, n, now)
	}()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		k.log.Debug().Err(err).Str(logKeyNode, n.Name).Msg("node heartbeat failed")
		if !n.failing {
			n.failing = true
			if k.failingNodes.Add(1) == 1 {
				k.log.Warn().Err(err).Str(logKeyNode, n.Name).Msg("node heartbeats failing; retrying")
			}
		}
		return
	}
	if n.failing {
		n.failing = false
		if k.failingNodes.Add(-1) == 0 {
			k.log.Info().Msg("node heartbeats recovered")
		}
	}
	n.lastOK = now
}

// nodeLog logs an event of one node: at Info for a few nodes, at Debug
// for many (simulated) ones, which would drown the log.
func (k *Kubelet) nodeLog() *zerolog.Event {
	if len(k.order) > 10 {
		return k.log.Debug()
	}
	return k.log.Info()
}

// register creates the Node, or adopts an existing one, and writes its
// status.
func (k *Kubelet) register(ctx context.Context, n *node, now time.Time) error {
	nodes := n.Client.Nodes()
	obj := &api.Node{ObjectMeta: api.ObjectMeta{Name: n.Name, Labels: k.nodeLabels(n)}}
	created, err := nodes.Create(ctx, obj)
	switch {
	case err == nil:
		k.nodeLog().Str(logKeyNode, n.Name).Msg("registered node")
		n.readySince = api.NewTime(now)
	case client.IsAlreadyExists(err):
		cur, err := nodes.Get(ctx, n.Name)
		if err != nil {
			return fmt.Errorf("get node: %w", err)
		}
		created = cur
		patch := mustJSON(map[string]any{"metadata": map[string]any{"labels": k.nodeLabels(n)}})
		if err := nodes.PatchDiscard(ctx, n.Name, client.MergePatchType, patch); err != nil {
			return fmt.Errorf("label node: %w", err)
		}
		n.readySince = api.NewTime(now)
		if c := api.NodeReadyCondition(cur); c != nil && c.Status == api.ConditionTrue && !c.LastTransitionTime.IsZero() {
			n.readySince = c.LastTransitionTime
		}
	default:
		return fmt.Errorf("create node: %w", err)
	}
	if n.lease != nil && len(n.lease.OwnerReferences) > 0 && n.lease.OwnerReferences[0].UID != created.UID {
		n.lease = nil // the Lease of a node that was deleted
	}
	n.registered = true
	return k.syncNodeStatus(ctx, n, now, true)
}

func (k *Kubelet) nodeLabels(n *node) map[string]string {
	l := map[string]string{
		LabelHostname: n.Name,
		LabelOS:       goruntime.GOOS,
		LabelArch:     goruntime.GOARCH,
	}
	for key, v := range n.Labels {
		l[key] = v
	}
	return l
}

// syncNodeStatus computes the node's status and writes it (a merge patch)
// when force is set, when it says something the Node the API server has
// does not (heartbeat times aside: nodeStatusChanged), or when
// NodeStatusReportFrequency has passed since the last write: the Lease is
// the node's heartbeat, so an unchanged status is not rewritten every
// NodeStatusUpdateInterval, as the Kubernetes kubelet's
// tryUpdateNodeStatus does. The Node is read from the kubelet's node
// informer, as the Kubernetes kubelet reads it from the API server's
// cache; a Node not there yet is written.
func (k *Kubelet) syncNodeStatus(ctx context.Context, n *node, now time.Time, force bool) error {
	if !n.lastOK.IsZero() && now.Sub(n.lastOK) > time.Duration(k.cfg.NodeLeaseDurationSeconds)*time.Second {
		// Away long enough for the node to be marked not ready: it
		// becomes ready again now.
		n.readySince = api.NewTime(now)
	}
	cur, known := k.nodeObjs.Get(informer.Key{Name: n.Name})
	if known {
		if r := api.NodeReadyCondition(cur); r != nil && r.Status != api.ConditionTrue {
			// Marked not ready meanwhile (the node lifecycle controller
			// does when the Lease is late): it becomes ready again now.
			n.readySince = api.NewTime(now)
		}
	}
	k.listImages(ctx, n)
	status := k.nodeStatus(n, now)
	if !force && known && now.Before(n.lastReport.Add(k.cfg.NodeStatusReportFrequency)) && !nodeStatusChanged(&cur.Status, &status) {
		n.lastStatus = now
		return nil
	}
	patch := mustJSON(map[string]any{"status": status})
	err := n.Client.Nodes().PatchDiscard(ctx, n.Name, client.MergePatchType, patch, "status")
	if client.IsNotFound(err) {
		n.registered = false
		k.nodeLog().Str(logKeyNode, n.Name).Msg("node was deleted; registering it again")
		return k.register(ctx, n, now)
	}
	if err != nil {
		return fmt.Errorf("update node status: %w", err)
	}
	n.lastStatus, n.lastReport = now, now
	return nil
}

// nodeStatusChanged reports whether want, the status the kubelet computed,
// says something have, the API server's, does not. As the Kubernetes
// kubelet's nodeStatusHasChanged, it ignores the conditions' heartbeat
// times. It compares only what the kubelet's merge patch sets: conditions
// of other types, and images when the runtime lists none, are left out.
func nodeStatusChanged(have, want *api.NodeStatus) bool {
	if !have.Capacity.Equal(want.Capacity) || !have.Allocatable.Equal(want.Allocatable) {
		return true
	}
	for _, w := range want.Conditions {
		h := api.GetNodeCondition(have, w.Type)
		if h == nil || h.Status != w.Status || h.Reason != w.Reason || h.Message != w.Message ||
			!h.LastTransitionTime.Equal(w.LastTransitionTime.Time) {
			return true
		}
	}
	if !slices.Equal(have.Addresses, want.Addresses) || have.DaemonEndpoints != want.DaemonEndpoints || have.NodeInfo != want.NodeInfo {
		return true
	}
	return len(want.Images) > 0 && !slices.EqualFunc(have.Images, want.Images, func(a, b api.ContainerImage) bool {
		return a.SizeBytes == b.SizeBytes && slices.Equal(a.Names, b.Names)
	})
}

// Limits of status.images, as the kubelet's: the largest images, and a
// few names of each.
const (
	maxNodeStatusImages = 50
	maxNamesPerImage    = 5
)

// listImages refreshes n.images from its runtime, if that lists images (a
// local call to the engine, once per status computation); on error the
// last list stays.
func (k *Kubelet) listImages(ctx context.Context, n *node) {
	l, ok := n.Runtime.(runtime.ImageLister)
	if !ok {
		return
	}
	imgs, err := l.ListImages(ctx)
	if err != nil {
		k.log.Warn().Err(err).Str(logKeyNode, n.Name).Msg("list images")
		return
	}
	slices.SortStableFunc(imgs, func(a, b api.ContainerImage) int { return cmp.Compare(b.SizeBytes, a.SizeBytes) })
	if len(imgs) > maxNodeStatusImages {
		imgs = imgs[:maxNodeStatusImages]
	}
	for i := range imgs {
		if len(imgs[i].Names) > maxNamesPerImage {
			imgs[i].Names = imgs[i].Names[:maxNamesPerImage]
		}
	}
	n.images = imgs
}

// nodeStatus is the status the kubelet reports for n.
func (k *Kubelet) nodeStatus(n *node, now time.Time) api.NodeStatus {
	capacity := api.ResourceList{}
	for name, q := range n.info.Capacity {
		capacity[name] = q
	}
	capacity[api.ResourcePods] = api.NewQuantity(int64(k.cfg.MaxPods), api.DecimalSI)
	hb := api.NewTime(now)
	cond := func(t api.NodeConditionType, s api.ConditionStatus, since api.Time, reason, msg string) api.NodeCondition {
		return api.NodeCondition{Type: t, Status: s, LastHeartbeatTime: hb, LastTransitionTime: since, Reason: reason, Message: msg}
	}
	first := n.readySince
	return api.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Conditions: []api.NodeCondition{
			cond(api.NodeMemoryPressure, api.ConditionFalse, first, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(api.NodeDiskPressure, api.ConditionFalse, first, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(api.NodePIDPressure, api.ConditionFalse, first, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(api.NodeReady, api.ConditionTrue, n.readySince, "KubeletReady", "kubelet is posting ready status"),
		},
		Addresses: []api.NodeAddress{
			{Type: api.NodeInternalIP, Address: k.cfg.Address},
			{Type: api.NodeHostName, Address: n.Name},
		},
		Images:          n.images,
		DaemonEndpoints: api.NodeDaemonEndpoints{KubeletEndpoint: api.DaemonEndpoint{Port: int32(k.Port())}},
		NodeInfo: api.NodeSystemInfo{
			MachineID:               n.Name,
			SystemUUID:              n.Name,
			BootID:                  k.bootID,
			KernelVersion:           n.info.KernelVersion,
			OSImage:                 n.info.OSImage,
			ContainerRuntimeVersion: n.info.RuntimeVersion,
			KubeletVersion:          KubeletVersion,
			KubeProxyVersion:        KubeletVersion,
			OperatingSystem:         goruntime.GOOS,
			Architecture:            goruntime.GOARCH,
		},
	}
}

// renewLease renews the node's Lease, creating it if needed. It keeps the
// Lease it last wrote, so a renewal is one write; a conflict or a missing
// Lease makes it read (or create) the Lease first.
func (k *Kubelet) renewLease(ctx context.Context, n *node, now time.Time) error {
	leases := n.Client.Leases(NodeLeaseNamespace)
	renew := api.MicroTime{Time: now.UTC().Truncate(time.Microsecond)}
	if n.lease != nil {
		l := *n.lease
		l.Spec.RenewTime = &renew
		l.Spec.HolderIdentity = &n.Name
		out, err := leases.Update(ctx, &l)
		if err == nil {
			n.lease = out
			return nil
		}
		if !client.IsConflict(err) && !client.IsNotFound(err) {
			return fmt.Errorf("renew lease: %w", err)
		}
		n.lease = nil
	}
	cur, err := leases.Get(ctx, n.Name)
	if err == nil {
		cur.Spec.RenewTime = &renew
		cur.Spec.HolderIdentity = &n.Name
		cur.Spec.LeaseDurationSeconds = &k.cfg.NodeLeaseDurationSeconds
		out, err := leases.Update(ctx, cur)
		if err != nil {
			return fmt.Errorf("renew lease: %w", err)
		}
		n.lease = out
		return nil
	}
	if !client.IsNotFound(err) {
		return fmt.Errorf("get lease: %w", err)
	}
	l := &api.Lease{
		ObjectMeta: api.ObjectMeta{Name: n.Name, Namespace: NodeLeaseNamespace},
		Spec: api.LeaseSpec{
			HolderIdentity:       &n.Name,
			LeaseDurationSeconds: &k.cfg.NodeLeaseDurationSeconds,
			RenewTime:            &renew,
		},
	}
	if node, err := n.Client.Nodes().Get(ctx, n.Name); err == nil {
		// As the Kubernetes kubelet: the Node owns its Lease, so deleting
		// the Node deletes the Lease.
		l.OwnerReferences = []api.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}
	}
	out, err := leases.Create(ctx, l)
	if err != nil {
		return fmt.Errorf("create lease: %w", err)
	}
	n.lease = out
	return nil
}
