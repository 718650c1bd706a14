package kubelet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/httpserver"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/replica"
	"github.com/minik8s/minik8s/workqueue"
)

// Log keys.
const (
	logKeyPod  = "pod"
	logKeyNode = "node"
)

// Kubelet runs the pods bound to its nodes; see the package doc.
type Kubelet struct {
	cfg   Config
	log   zerolog.Logger
	c     *client.Client
	nodes map[string]*node
	order []*node // nodes in the order given, for the heartbeat round
	pods  *informer.Informer[*api.Pod]
	// nodeObjs holds the Nodes as the API server has them, which each
	// node's status is compared with before it is written (node.go).
	nodeObjs *informer.Informer[*api.Node]
	// services serve the pods' service variables.
	services *informer.Informer[*api.Service]
	// apiHost and apiPort are where pods on nodes running real containers
	// reach the API server; set by Run before any pod syncs.
	apiHost string
	apiPort int32
	queue   *workqueue.Queue[string] // pod UIDs
	status  *statusManager
	probes  *prober
	now     func() time.Time
	bootID  string
	tls     *tls.Config
	agents  http.Handler // node agent controls; nil: off

	nodeCPU nodeCPU // the nodes' CPU counters (metrics.go)

	port         atomic.Int32 // the log server's port, once listening
	failingNodes atomic.Int32 // nodes whose last heartbeat failed

	mu      sync.Mutex
	workers map[string]*podWorker // by pod UID

	// bg counts the goroutines a sync starts and leaves running (a pod's
	// termination, the stop of an unhealthy container); Run waits for them.
	bg sync.WaitGroup
}

// node is one node of the Kubelet with its runtime and heartbeat state.
type node struct {
	Node
	info runtime.Info

	// Heartbeat state, used by one heartbeat at a time (busy).
	busy       atomic.Bool
	registered bool
	lease      *api.Lease
	lastStatus time.Time // last computation of the status (node.go)
	lastReport time.Time // last successful status write
	lastOK     time.Time // last successful heartbeat of any kind
	readySince api.Time
	failing    bool
	images     []api.ContainerImage // last listed, for status.images

	// Relist state, owned by the relist loop.
	notifies   bool
	nextRelist time.Time
	seen       map[string]uint64 // pod UID → fingerprint of its runtime state

	agent agent // stop and freeze controls (agent.go)

	objects nodeObjects // the ConfigMaps and Secrets its pods use, read as the node
}

// New validates cfg and deps and builds a kubelet; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Kubelet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.absRootDir(); err != nil {
		return nil, err
	}
	if deps.Client == nil || len(deps.Nodes) == 0 || deps.TLS == nil || deps.TLS.ClientCAs == nil {
		return nil, errors.New("new kubelet: a client, at least one node and a TLS config that verifies client certificates are required")
	}
	k := &Kubelet{
		cfg:     cfg,
		log:     log,
		c:       deps.Client,
		nodes:   make(map[string]*node, len(deps.Nodes)),
		tls:     deps.TLS,
		now:     time.Now,
		workers: make(map[string]*podWorker),
		bootID:  uuid.NewString(),
	}
	objects := newObjectCache(cfg.ConfigRefreshPeriod, time.Now)
	for _, n := range deps.Nodes {
		if n.Name == "" || n.Runtime == nil {
			return nil, errors.New("new kubelet: every node needs a name and a runtime")
		}
		if k.nodes[n.Name] != nil {
			return nil, fmt.Errorf("new kubelet: node %q given twice", n.Name)
		}
		if n.Client == nil {
			n.Client = deps.Client
		}
		nd := &node{Node: n, seen: map[string]uint64{}}
		nd.objects = nodeObjects{cache: objects, c: n.Client}
		nd.agent.hold = replica.NewHold()
		_, nd.notifies = n.Runtime.(runtime.Notifier)
		k.nodes[n.Name] = nd
		k.order = append(k.order, nd)
	}
	// One node watches only its pods; many share one watch of every bound
	// pod and route by spec.nodeName.
	sel := "spec.nodeName!="
	if len(deps.Nodes) == 1 {
		sel = "spec.nodeName=" + deps.Nodes[0].Name
	}
	k.pods = informer.New(client.ListWatch(deps.Client.Pods(""), client.ListOptions{FieldSelector: sel, Limit: 500}),
		cfg.ResyncPeriod).WithLogger(log.With().Str("informer", "pods").Logger())
	k.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc: k.onPod,
		UpdateFunc: func(old, p *api.Pod) {
			k.onUsageChange(context.Background(), old, p)
			k.onPod(p)
		},
		DeleteFunc: k.onPodDelete,
	})
	nodeSel := ""
	if len(deps.Nodes) == 1 {
		nodeSel = "metadata.name=" + deps.Nodes[0].Name
	}
	k.nodeObjs = informer.New(client.ListWatch(deps.Client.Nodes(), client.ListOptions{FieldSelector: nodeSel, Limit: 500}), 0).
		WithLogger(log.With().Str("informer", "nodes").Logger())
	k.services = informer.New(client.ListWatch(deps.Client.Services(""), client.ListOptions{Limit: 500}), cfg.ResyncPeriod,
		informer.Indexer[*api.Service]{Name: "namespace", Func: func(s *api.Service) []string { return []string{s.Namespace} }}).
		WithLogger(log.With().Str("informer", "services").Logger())
	k.queue = workqueue.New(workqueue.Config[string]{
		RateLimiter: workqueue.NewExponential[string](100*time.Millisecond, 30*time.Second),
	})
	k.status = newStatusManager(deps.Client, k.currentUID, log)
	k.agents = k.agentHandler(deps.AdminTokens)
	k.probes = newProber(k.queue.Add, log)
	return k, nil
}

// Port is the port the log server listens on, 0 before Run listens.
func (k *Kubelet) Port() int { return int(k.port.Load()) }

// Run listens for log requests, registers the nodes and keeps them alive,
// and runs their pods until ctx is done; it returns nil then, or an error
// if it cannot start (the port is taken, a runtime does not answer).
func (k *Kubelet) Run(ctx context.Context) error {
	for _, n := range k.order {
		info, err := n.Runtime.Info(ctx)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		n.info = info
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(k.cfg.Address, fmt.Sprint(k.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen for kubelet logs: %w (pass another --port)", err)
	}
	k.port.Store(int32(ln.Addr().(*net.TCPAddr).Port))
	ln = tls.NewListener(ln, k.tls)
	srv := httpserver.New(httpserver.DefaultConfig(), k.logHandler(), k.log.With().Str("server", "logs").Logger())
	k.log.Info().Int("nodes", len(k.order)).Str("logs", ln.Addr().String()).Msg("kubelet starting")

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		k.queue.ShutDown()
		wg.Wait()
		// The workers are done, so no sync starts another.
		k.bg.Wait()
	}()
	wg.Go(func() {
		if err := srv.Run(ctx, ln, 2*time.Second); err != nil {
			k.log.Error().Err(err).Msg("log server stopped")
		}
	})
	wg.Go(func() { k.heartbeatLoop(ctx) })
	wg.Go(func() { _ = k.pods.Run(ctx) })
	wg.Go(func() { _ = k.services.Run(ctx) })
	wg.Go(func() { _ = k.nodeObjs.Run(ctx) })
	wg.Go(func() { k.status.run(ctx, inFlight(k.cfg.StatusWorkers, len(k.order))) })
	k.apiHost, k.apiPort = k.podAPIAddress(ctx, &wg)

	// Services first, so that the pods started at once get their
	// variables, as the Kubernetes kubelet waits for its service informer.
	if !informer.WaitForCacheSync(ctx, k.pods.HasSynced, k.services.HasSynced) {
		return nil
	}
	k.log.Info().Int("pods", len(k.pods.List())).Msg("pods synced")
	for _, n := range k.order {
		if nt, ok := n.Runtime.(runtime.Notifier); ok {
			nt.Notify(k.queue.Add)
		}
	}
	// The first relist, after the informer synced, finds the containers
	// of pods that are gone (deleted while the kubelet was down) and
	// removes them.
	wg.Go(func() { k.relistLoop(ctx) })
	for range k.cfg.Workers {
		wg.Go(func() { k.worker(ctx) })
	}
	<-ctx.Done()
	k.probes.stopAll()
	return nil
}

// onPod records the latest version of a pod bound to one of our nodes and
// queues it.
func (k *Kubelet) onPod(p *api.Pod) {
	n := k.nodes[p.Spec.NodeName]
	if n == nil {
		return
	}
	k.mu.Lock()
	w := k.workers[p.UID]
	if w == nil {
		w = newPodWorker(p.UID, n)
		k.workers[p.UID] = w
	}
	w.pod = p
	k.mu.Unlock()
	k.queue.Add(p.UID)
}

// onPodDelete notes that the pod is gone from the API server; its sync
// removes its containers.
func (k *Kubelet) onPodDelete(p *api.Pod) {
	k.mu.Lock()
	if w := k.workers[p.UID]; w != nil {
		w.pod = nil
	}
	k.mu.Unlock()
	k.queue.Add(p.UID)
}

// currentUID returns the UID of the cached pod ns/name, "" if none.
func (k *Kubelet) currentUID(ns, name string) string {
	if p, ok := k.pods.Get(informer.Key{Namespace: ns, Name: name}); ok {
		return p.UID
	}
	return ""
}

// worker syncs queued pods until the queue shuts down.
func (k *Kubelet) worker(ctx context.Context) {
	for {
		uid, shutdown := k.queue.Get()
		if shutdown {
			return
		}
		after, err := k.syncPod(ctx, uid)
		switch {
		case err != nil && ctx.Err() == nil:
			k.log.Debug().Err(err).Str(logKeyPod, uid).Msg("sync pod failed; retrying")
			k.queue.AddRateLimited(uid)
		case err == nil:
			k.queue.Forget(uid)
			if after > 0 {
				k.queue.AddAfter(uid, after)
			}
		}
		k.queue.Done(uid)
	}
}

// relistLoop lists each node's runtime every RelistPeriod (or
// NotifierRelistPeriod) and queues the pods whose containers changed, and
// those the runtime has but the kubelet does not know (to remove them).
func (k *Kubelet) relistLoop(ctx context.Context) {
	t := time.NewTicker(k.cfg.RelistPeriod)
	defer t.Stop()
	for {
		now := k.now()
		for _, n := range k.order {
			if now.Before(n.nextRelist) || n.agent.paused() {
				continue
			}
			period := k.cfg.RelistPeriod
			if n.notifies {
				period = k.cfg.NotifierRelistPeriod
			}
			n.nextRelist = now.Add(period)
			if err := k.relist(ctx, n); err != nil && ctx.Err() == nil {
				k.log.Warn().Err(err).Str(logKeyNode, n.Name).Msg("list runtime pods")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (k *Kubelet) relist(ctx context.Context, n *node) error {
	pods, err := n.Runtime.ListPods(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]uint64, len(pods))
	for i := range pods {
		ps := &pods[i]
		fp := fingerprint(ps)
		seen[ps.UID] = fp
		if n.seen[ps.UID] == fp {
			continue
		}
		k.mu.Lock()
		known := k.workers[ps.UID] != nil
		k.mu.Unlock()
		if !known {
			// The informer's handlers may not have caught up with its
			// cache yet: a pod still in the cache is not an orphan.
			if p, ok := k.pods.Get(informer.Key{Namespace: ps.Namespace, Name: ps.Name}); ok && p.UID == ps.UID && p.Spec.NodeName == n.Name {
				k.onPod(p)
				continue
			}
			k.mu.Lock()
			if k.workers[ps.UID] == nil {
				// A pod the API server no longer has for this node.
				k.workers[ps.UID] = newPodWorker(ps.UID, n)
			}
			k.mu.Unlock()
		}
		k.queue.Add(ps.UID)
	}
	for uid := range n.seen {
		if _, ok := seen[uid]; !ok {
			k.queue.Add(uid) // its containers vanished
		}
	}
	n.seen = seen
	return nil
}

// fingerprint summarises what of a pod's runtime state matters to its
// sync: the sandbox and each container instance's state, hashed (a node
// agent keeps one per pod between relists; two states colliding would
// only wait for the pod's next resync).
func fingerprint(ps *runtime.PodStatus) uint64 {
	var h maphash.Hash
	h.SetSeed(fingerprintSeed)
	h.WriteString(ps.SandboxID)
	if ps.SandboxReady {
		h.WriteByte('+')
	}
	for i := range ps.Containers {
		c := &ps.Containers[i]
		h.WriteByte('|')
		h.WriteString(c.ID)
		h.WriteByte(0)
		h.WriteString(string(c.State))
	}
	return h.Sum64()
}

var fingerprintSeed = maphash.MakeSeed()

// forget drops a pod the kubelet is done with.
func (k *Kubelet) forget(uid string) {
	k.mu.Lock()
	delete(k.workers, uid)
	k.mu.Unlock()
	k.probes.removePod(uid)
	k.status.forget(uid)
}
