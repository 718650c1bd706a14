package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
)

// Log keys.
const (
	logKeyPod  = "pod"
	logKeyNode = "node"
)

// Event reasons, as kube-scheduler's.
const (
	EventScheduled        = "Scheduled"
	EventFailedScheduling = "FailedScheduling"
)

// Deps are what a Scheduler reads from and writes to.
type Deps struct {
	// Pods and Nodes list and watch every pod and node
	// (client.ListWatch(c.Pods(""), client.ListOptions{}) and the like).
	Pods  informer.ListWatch[*api.Pod]
	Nodes informer.ListWatch[*api.Node]
	// Binder binds pods; Status records why a pod fits nowhere; Events
	// reports Scheduled and FailedScheduling events.
	Binder Binder
	Status StatusWriter
	Events EventRecorder
	// Gate, if set, is called before each scheduling attempt and each
	// binding. It blocks while the replica is held (frozen for an
	// experiment), and returns an error when the replica must not act: ctx
	// is done, or the lease it leads under has run out by its own clock.
	// The step is then abandoned, and after an error before an attempt Lead
	// schedules nothing more until ctx ends.
	Gate func(ctx context.Context) error
	// Identity labels the metrics; Registerer receives them (nil: none).
	Identity   string
	Registerer prometheus.Registerer
	// Filters and Scorers replace DefaultFilters and DefaultScorers if set.
	Filters [][]Filter
	Scorers []Weighted
	// Namespaces, if set, lists and watches namespaces, whose labels
	// namespaceSelectors of pod affinity terms match; without it such a
	// selector matches only namespaces it finds no labels for as empty.
	Namespaces informer.ListWatch[*api.Namespace]
	// PodDisruptionBudgets, if set, lists and watches the budgets that
	// preemption prefers not to violate (kube-scheduler's DefaultPreemption
	// does); without it no victim counts as violating one.
	PodDisruptionBudgets informer.ListWatch[*api.PodDisruptionBudget]
	// Services, if set, lists and watches Services, whose selectors choose
	// the pods the default spreading of a pod without a controller counts
	// (kube-scheduler's DefaultPodTopologySpread); without it such a pod
	// is not spread by default.
	Services informer.ListWatch[*api.Service]
	// Decisions publishes decisions; required when Config.Decisions is on.
	Decisions DecisionWriter
	// Preempter, if set, lets a pod that fits nowhere evict pods of lower
	// priority (kube-scheduler's DefaultPreemption); nil: no preemption.
	Preempter Preempter
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Scheduler places pending pods on nodes; see the package doc. Run keeps
// its caches and queue current; Lead, while Run runs, schedules.
type Scheduler struct {
	cfg     Config
	log     zerolog.Logger
	deps    Deps
	now     func() time.Time
	pods    *informer.Informer[*api.Pod]
	nodes   *informer.Informer[*api.Node]
	cache   *cache
	queue   *Queue
	m       metrics
	filters [][]Filter
	scorers []Weighted
	nss     *informer.Informer[*api.Namespace]
	pdbs    *informer.Informer[*api.PodDisruptionBudget]
	svcs    *informer.Informer[*api.Service]

	// Buffers of the scheduling loop, which is one goroutine.
	feasible []*NodeInfo
	scores   [][]int64
	reasons  []string
	decision *Decision // this attempt's, when Config.Decisions is on
}

// New validates cfg and deps and builds a scheduler; it starts nothing.
func New(cfg Config, deps Deps, log zerolog.Logger) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Pods == nil || deps.Nodes == nil || deps.Binder == nil || deps.Status == nil || deps.Events == nil {
		return nil, errors.New("new scheduler: Pods, Nodes, Binder, Status and Events are required")
	}
	if cfg.Decisions && deps.Decisions == nil {
		return nil, errors.New("new scheduler: Config.Decisions needs Deps.Decisions")
	}
	s := &Scheduler{
		cfg:     cfg,
		log:     log,
		deps:    deps,
		now:     deps.Now,
		cache:   newCache(),
		filters: deps.Filters,
		scorers: deps.Scorers,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.filters == nil {
		s.filters = DefaultFilters()
	}
	if s.scorers == nil {
		s.scorers = cfg.Scoring.Scorers()
	}
	s.scores = make([][]int64, len(s.scorers))
	s.queue = NewQueue(cfg, s.now)
	m, err := newMetrics(deps.Registerer, deps.Identity, s.queue.Lens)
	if err != nil {
		return nil, err
	}
	s.m = m
	s.pods = informer.New(deps.Pods, 0).WithLogger(log.With().Str("informer", "pods").Logger())
	s.nodes = informer.New(deps.Nodes, 0).WithLogger(log.With().Str("informer", "nodes").Logger())
	s.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc:    s.onPodAdd,
		UpdateFunc: func(_, p *api.Pod) { s.onPodAdd(p) },
		DeleteFunc: s.onPodDelete,
	})
	if deps.Namespaces != nil {
		s.nss = informer.New(deps.Namespaces, 0).WithLogger(log.With().Str("informer", "namespaces").Logger())
		s.nss.AddHandler(informer.HandlerFuncs[*api.Namespace]{
			AddFunc:    s.cache.setNamespace,
			UpdateFunc: func(_, ns *api.Namespace) { s.cache.setNamespace(ns) },
			DeleteFunc: func(ns *api.Namespace) { s.cache.removeNamespace(ns.Name) },
		})
	}
	if deps.Services != nil {
		s.svcs = informer.New(deps.Services, 0).WithLogger(log.With().Str("informer", "services").Logger())
		s.svcs.AddHandler(informer.HandlerFuncs[*api.Service]{
			AddFunc:    s.cache.setService,
			UpdateFunc: func(_, svc *api.Service) { s.cache.setService(svc) },
			DeleteFunc: s.cache.removeService,
		})
	}
	if deps.PodDisruptionBudgets != nil {
		// Read only by preemption, from the informer's store: no handler.
		s.pdbs = informer.New(deps.PodDisruptionBudgets, 0).WithLogger(log.With().Str("informer", "poddisruptionbudgets").Logger())
	}
	s.nodes.AddHandler(informer.HandlerFuncs[*api.Node]{
		AddFunc: func(n *api.Node) {
			s.cache.setNode(n)
			s.queue.MoveAll()
		},
		UpdateFunc: func(old, n *api.Node) {
			s.cache.setNode(n)
			if nodeChanged(old, n) {
				s.queue.MoveAll()
			}
		},
		DeleteFunc: func(n *api.Node) { s.cache.removeNode(n.Name) },
	})
	return s, nil
}

// Queue is the scheduler's queue (for metrics and tests).
func (s *Scheduler) Queue() *Queue { return s.queue }

// HasSynced reports whether the informers have listed.
func (s *Scheduler) HasSynced() bool {
	return s.pods.HasSynced() && s.nodes.HasSynced() && (s.nss == nil || s.nss.HasSynced()) &&
		(s.pdbs == nil || s.pdbs.HasSynced()) && (s.svcs == nil || s.svcs.HasSynced())
}

// Run runs the informers that feed the cache and the queue, and the
// queue's backoff timer, until ctx is done; it returns nil then. A standby
// replica runs it too, so that its caches are warm when it starts leading.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.pods.Run(ctx) })
	wg.Go(func() { _ = s.nodes.Run(ctx) })
	if s.nss != nil {
		wg.Go(func() { _ = s.nss.Run(ctx) })
	}
	if s.pdbs != nil {
		wg.Go(func() { _ = s.pdbs.Run(ctx) })
	}
	if s.svcs != nil {
		wg.Go(func() { _ = s.svcs.Run(ctx) })
	}
	wg.Go(func() {
		// Backoffs are honoured to within a second, or within the initial
		// backoff if that is shorter.
		t := time.NewTicker(min(time.Second, s.cfg.InitialBackoff))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.queue.Flush()
			}
		}
	})
	wg.Wait()
	return nil
}

// Lead schedules pods until ctx is done, then waits for its writes in
// flight (cancelled with ctx) and returns ctx's error. It must be called
// while Run runs, by one goroutine at a time: election.Run(ctx, lock, cfg,
// log, s.Lead).
func (s *Scheduler) Lead(ctx context.Context) error {
	if !informer.WaitForCacheSync(ctx, s.HasSynced) {
		return ctx.Err()
	}
	s.log.Info().Int("nodes", s.cache.nodeCount()).Msg("scheduling")
	sem := make(chan struct{}, s.cfg.ParallelBinds)
	var wg sync.WaitGroup
	defer wg.Wait()
	// async runs a write in the background, waiting for a free slot.
	async := func(fn func()) bool {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn()
		})
		return true
	}
	for {
		qp, err := s.queue.Pop(ctx)
		if err != nil {
			return ctx.Err()
		}
		if s.deps.Gate != nil {
			if err := s.deps.Gate(ctx); err != nil {
				s.queue.Requeue(qp, false)
				if ctx.Err() == nil {
					s.log.Warn().Err(err).Msg("stopped scheduling")
					<-ctx.Done()
				}
				return ctx.Err()
			}
		}
		if !s.scheduleOne(ctx, qp, async) {
			return ctx.Err()
		}
	}
}

// responsible reports whether p is an unbound, live pod for this scheduler.
func (s *Scheduler) responsible(p *api.Pod) bool {
	name := p.Spec.SchedulerName
	if name == "" {
		name = api.DefaultSchedulerName
	}
	return name == s.cfg.SchedulerName && p.Spec.NodeName == "" && p.DeletionTimestamp == nil && !api.IsPodTerminal(p)
}

// scheduleOne makes one attempt for qp; it returns false if it could not
// hand its write to async because ctx ended.
func (s *Scheduler) scheduleOne(ctx context.Context, qp *QueuedPod, async func(func()) bool) bool {
	// The queue may lag the informer: go by the latest version.
	pod, ok := s.pods.Get(informer.KeyOf(qp.Pod))
	if !ok || !s.responsible(pod) || pod.UID != qp.Pod.UID || s.cache.isAssumed(informer.KeyOf(pod)) {
		s.queue.Done(qp)
		return true
	}
	log := s.log.With().Str(logKeyPod, informer.KeyOf(pod).String()).Logger()
	if len(pod.Spec.SchedulingGates) > 0 {
		// Gated: not tried until the gates are gone (an update requeues it).
		s.queue.Done(qp)
		return s.setConditionOnce(ctx, pod, api.PodReasonSchedulingGated, MessageSchedulingGated, async, log, nil)
	}
	pi := NewPodInfo(pod)
	start := s.now()
	node, fitErr := s.place(pi)
	s.m.attempt.Observe(s.now().Sub(start).Seconds())
	var pr *preemption
	if fe, ok := fitErr.(*FitError); ok && fe.NumNodes > 0 && s.deps.Preempter != nil {
		s.cache.mu.Lock()
		pr, fe.PostFilter = s.preemptLocked(pi)
		if pr != nil {
			s.cache.nominateLocked(pi, pr.node)
		}
		s.cache.mu.Unlock()
	}
	var publish func() // the decision of an unschedulable pod, written after its condition
	if d := s.decision; d != nil {
		s.decision = nil
		if fitErr != nil {
			// After the condition: the condition's patch carries the pod's
			// resourceVersion, which the decision's patch would change.
			d.Message = fitErr.Error()
			publish = func() { s.publishDecision(ctx, pod, d, log) }
		} else if !async(func() { s.publishDecision(ctx, pod, d, log) }) {
			s.cache.forget(pi.Key, node)
			s.queue.Requeue(qp, false)
			return false
		}
	}
	if fitErr != nil {
		if pr != nil && !async(func() { s.carryOut(ctx, pod, pr, log) }) {
			s.queue.Requeue(qp, false)
			return false
		}
		s.m.unschedulable.Inc()
		msg := fitErr.Error()
		log.Debug().Int("attempts", qp.Attempts).Msg(msg)
		s.deps.Events.Eventf(podRef(pod), api.EventTypeWarning, EventFailedScheduling, "%s", msg)
		s.queue.Requeue(qp, true)
		return s.setConditionOnce(ctx, pod, api.PodReasonUnschedulable, msg, async, log, publish)
	}
	log.Trace().Str(logKeyNode, node).Msg("assumed")
	if !async(func() { s.bind(ctx, qp, pod, node, log) }) {
		s.cache.forget(pi.Key, node)
		s.queue.Requeue(qp, false)
		return false
	}
	return true
}

// MessageSchedulingGated is the PodScheduled condition's message on a pod
// with scheduling gates, as Kubernetes words it.
const MessageSchedulingGated = "Scheduling is blocked due to non-empty scheduling gates"

// setConditionOnce sets PodScheduled=False with reason and msg on pod in
// the background, unless the pod has that condition already; then (if not
// nil) it runs then, in the same background task.
func (s *Scheduler) setConditionOnce(ctx context.Context, pod *api.Pod, reason, msg string, async func(func()) bool, log zerolog.Logger, then func()) bool {
	cur := api.GetPodCondition(&pod.Status, api.PodScheduled)
	if cur != nil && cur.Status == api.ConditionFalse && cur.Reason == reason && cur.Message == msg {
		if then != nil {
			return async(then)
		}
		return true
	}
	cond := api.PodCondition{
		Type: api.PodScheduled, Status: api.ConditionFalse,
		Reason: reason, Message: msg,
		LastTransitionTime: api.NewTime(s.now()),
	}
	if cur != nil && cur.Status == api.ConditionFalse {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	return async(func() {
		s.setCondition(ctx, pod, cond, log)
		if then != nil {
			then()
		}
	})
}

// publishDecision writes d on pod; failures are only logged (the
// decision is for people): a pod that is gone quietly, anything else (a
// 403 says the scheduler's role lacks patch on pods) as a warning.
func (s *Scheduler) publishDecision(ctx context.Context, pod *api.Pod, d *Decision, log zerolog.Logger) {
	err := s.deps.Decisions.PublishDecision(ctx, pod, d)
	switch {
	case err == nil, ctx.Err() != nil:
	case client.IsNotFound(err):
		log.Debug().Err(err).Msg("publish decision")
	default:
		log.Warn().Err(err).Msg("publish decision")
	}
}

func (s *Scheduler) setCondition(ctx context.Context, pod *api.Pod, c api.PodCondition, log zerolog.Logger) {
	err := s.deps.Status.SetPodCondition(ctx, pod, c)
	switch {
	case err == nil, ctx.Err() != nil:
	case client.IsConflict(err), client.IsNotFound(err):
		// The pod changed or went away: the next attempt sees the new one.
		log.Debug().Err(err).Msg("set PodScheduled condition")
	default:
		log.Warn().Err(err).Msg("set PodScheduled condition")
	}
}

// bind binds an assumed pod. On failure it forgets the assumption and
// requeues the pod: if someone else bound it meanwhile (409), the
// informer's update drops it from the queue.
func (s *Scheduler) bind(ctx context.Context, qp *QueuedPod, pod *api.Pod, node string, log zerolog.Logger) {
	var err error
	if s.deps.Gate != nil {
		err = s.deps.Gate(ctx)
	}
	if err == nil {
		err = s.deps.Binder.Bind(ctx, pod, node)
	}
	if err == nil {
		s.m.scheduled.Inc()
		s.m.e2e.Observe(s.now().Sub(qp.Added).Seconds())
		s.queue.Done(qp)
		log.Debug().Str(logKeyNode, node).Msg("bound")
		s.deps.Events.Eventf(podRef(pod), api.EventTypeNormal, EventScheduled,
			"Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, node)
		return
	}
	s.cache.forget(informer.KeyOf(pod), node)
	s.queue.Requeue(qp, false)
	switch {
	case ctx.Err() != nil:
	case client.IsConflict(err), client.IsNotFound(err):
		log.Debug().Err(err).Str(logKeyNode, node).Msg("bind")
	default:
		s.m.errors.Inc()
		log.Warn().Err(err).Str(logKeyNode, node).Msg("bind")
	}
}

// place filters and scores the nodes for pi and assumes it on the best,
// holding the cache lock throughout. It returns the node, or a *FitError.
func (s *Scheduler) place(pi *PodInfo) (string, error) {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.cfg.Decisions {
		s.decision = &Decision{}
	}
	all := len(c.order)
	if all == 0 {
		return "", &FitError{}
	}
	c.dropNominationLocked(pi)
	c.prepareLocked(pi)
	want := s.cfg.numFeasibleNodesToFind(all)
	feasible := s.feasible[:0]
	var reasons map[string]int
	i := 0
	for ; i < all && len(feasible) < want; i++ {
		n := c.order[(c.start+i)%all]
		rs := s.runFilters(n, pi)
		s.decision.recordFilter(n, rs)
		if len(rs) > 0 {
			if reasons == nil {
				reasons = make(map[string]int)
			}
			for _, r := range rs {
				reasons[r]++
			}
			continue
		}
		feasible = append(feasible, n)
	}
	c.start = (c.start + i) % all
	s.feasible = feasible
	if len(feasible) == 0 {
		return "", &FitError{NumNodes: all, Reasons: reasons}
	}
	best := s.pick(feasible, pi)
	if d := s.decision; d != nil {
		d.Selected = best.Node.Name
	}
	c.assumeLocked(pi, best.Node.Name)
	return best.Node.Name, nil
}

// runFilters returns why n does not fit pi (none if it fits): the reasons
// of the first stage with a failing filter.
func (s *Scheduler) runFilters(n *NodeInfo, pi *PodInfo) []string {
	rs := s.reasons[:0]
	for _, stage := range s.filters {
		for _, f := range stage {
			if ok, r := f.Feasible(n, pi); !ok {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			break
		}
	}
	s.reasons = rs
	return rs
}

// pick scores the feasible nodes and returns the best, breaking ties at
// random.
func (s *Scheduler) pick(feasible []*NodeInfo, pi *PodInfo) *NodeInfo {
	if len(feasible) == 1 {
		return feasible[0]
	}
	for j, sc := range s.scorers {
		if sk, ok := sc.Scorer.(Skipper); ok && sk.Skip(pi) {
			s.scores[j] = s.scores[j][:0]
			continue
		}
		if ps, ok := sc.Scorer.(PreScorer); ok {
			ps.PreScore(feasible, pi)
		}
		scores := slices.Grow(s.scores[j][:0], len(feasible))[:len(feasible)]
		for i, n := range feasible {
			scores[i] = sc.Score(n, pi)
		}
		if norm, ok := sc.Scorer.(Normalizer); ok {
			norm.Normalize(scores)
		}
		s.scores[j] = scores
	}
	s.decision.recordScores(feasible, s.scorers, s.scores)
	var best *NodeInfo
	var top int64 = -1
	ties := 0
	for i, n := range feasible {
		var total int64
		for j, sc := range s.scorers {
			if len(s.scores[j]) > 0 {
				total += sc.Weight * s.scores[j][i]
			}
		}
		switch {
		case total > top:
			best, top, ties = n, total, 1
		case total == top:
			// Reservoir sampling: each tied node wins with equal chance.
			ties++
			if rand.IntN(ties) == 0 {
				best = n
			}
		}
	}
	return best
}

// FitError says why a pod fits on no node, in kube-scheduler's words:
// "0/3 nodes are available: 3 Insufficient cpu."
type FitError struct {
	// NumNodes is how many nodes were considered.
	NumNodes int
	// Reasons counts nodes by the reason they were rejected for; one node
	// may count under several reasons.
	Reasons map[string]int
	// PostFilter is what preemption adds ("preemption: …"), if anything.
	PostFilter string
}

func (e *FitError) Error() string {
	if e.NumNodes == 0 {
		return "no nodes available to schedule pods"
	}
	parts := make([]string, 0, len(e.Reasons))
	for r, n := range e.Reasons {
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
	}
	slices.Sort(parts)
	msg := fmt.Sprintf("0/%d nodes are available: %s.", e.NumNodes, strings.Join(parts, ", "))
	if e.PostFilter != "" {
		msg += " " + e.PostFilter
	}
	return msg
}

// onPodAdd handles an added or updated pod: a bound pod is counted on its
// node; an unbound one this scheduler serves is queued, unless it is
// assumed already (its binding is in flight).
func (s *Scheduler) onPodAdd(p *api.Pod) {
	k := informer.KeyOf(p)
	switch {
	case p.Spec.NodeName != "" && !api.IsPodTerminal(p):
		s.cache.setBoundPod(p)
		s.queue.Delete(k)
	case p.Spec.NodeName != "":
		// Finished: its resources are free again.
		s.cache.removePod(k)
		s.queue.Delete(k)
		s.queue.MoveAll()
	case s.responsible(p):
		if !s.cache.isAssumed(k) {
			s.queue.Update(p)
		}
	default:
		s.queue.Delete(k)
	}
}

func (s *Scheduler) onPodDelete(p *api.Pod) {
	k := informer.KeyOf(p)
	s.queue.Delete(k)
	s.cache.removePod(k)
	if p.Spec.NodeName != "" {
		s.queue.MoveAll()
	}
}

// nodeChanged reports whether a node update can make a pod fit that did
// not: anything the filters read, not heartbeats.
func nodeChanged(old, n *api.Node) bool {
	return api.IsNodeReady(old) != api.IsNodeReady(n) ||
		old.Spec.Unschedulable != n.Spec.Unschedulable ||
		!maps.Equal(old.Labels, n.Labels) ||
		!slices.EqualFunc(old.Spec.Taints, n.Spec.Taints, func(a, b api.Taint) bool {
			return a.Key == b.Key && a.Value == b.Value && a.Effect == b.Effect
		}) ||
		!old.Status.Allocatable.Equal(n.Status.Allocatable)
}

func podRef(p *api.Pod) api.ObjectReference {
	return api.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name,
		UID: p.UID, ResourceVersion: p.ResourceVersion,
	}
}
