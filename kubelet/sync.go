package kubelet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Event reasons the kubelet records, as the Kubernetes kubelet's.
const (
	EventPulling       = "Pulling"
	EventPulled        = "Pulled"
	EventCreated       = "Created"
	EventStarted       = "Started"
	EventKilling       = "Killing"
	EventBackOff       = "BackOff"
	EventUnhealthy     = "Unhealthy"
	EventFailed        = "Failed"
	EventSandboxFailed = "FailedCreatePodSandBox"
)

// podWorker is the kubelet's state of one pod. pod is written by the
// informer's handlers under Kubelet.mu; the rest belongs to the pod's sync,
// which the workqueue runs for one pod at a time.
type podWorker struct {
	uid  string
	node *node
	pod  *api.Pod // nil once deleted from the API server, or for an orphan

	// terminating is set while a goroutine stops the pod's containers,
	// terminated once it has and has deleted the pod.
	terminating, terminated atomic.Bool
	// killing holds the IDs of containers being stopped after a failed
	// liveness probe.
	killing sync.Map

	backoff      map[string]*backoff // by container name
	startErr     map[string]*startFailure
	backoffEvent map[string]time.Time // the failure a BackOff event was recorded for
	last         *api.PodStatus       // last status handed to the status manager
	lastSum      [sha256.Size]byte    // ... its JSON's digest: a pod's JSON status is a kilobyte
	lastRV       string               // the pod's resourceVersion then

	volumeSums    map[string][32]byte  // by volume dir: the payload last written there
	tokens        map[string]*podToken // by audience and lifetime
	volumeDirs    map[string]string    // the volumes' host dirs once set up
	mountFailedAt string               // the last FailedMount message recorded
}

// noVolumeDirs is the volumeDirs of every pod without volumes, set up
// and read, never written.
var noVolumeDirs = map[string]string{}

// startFailure is a start that failed before a container could run.
type startFailure struct {
	reason, message string
	pull            bool // an image pull failed
	at              time.Time
}

func newPodWorker(uid string, n *node) *podWorker {
	return &podWorker{uid: uid, node: n} // its maps are made on first write
}

// syncPod brings the pod's containers to what its spec asks and reports
// its status; see the package doc. It returns when to sync the pod again
// (0: on the next change), or an error to retry it with back-off.
func (k *Kubelet) syncPod(ctx context.Context, uid string) (time.Duration, error) {
	k.mu.Lock()
	w := k.workers[uid]
	var pod *api.Pod
	if w != nil {
		pod = w.pod
	}
	k.mu.Unlock()
	if w == nil || w.terminating.Load() {
		return 0, nil // unknown, or terminate queues it when done
	}
	if w.node.agent.paused() {
		return pausedRetry, nil // the node's agent is stopped or frozen
	}
	rt := w.node.Runtime
	if pod == nil {
		if err := rt.RemovePod(ctx, uid); err != nil {
			return 0, fmt.Errorf("remove pod: %w", err)
		}
		if err := k.removePodDir(uid); err != nil {
			return 0, err
		}
		k.forget(uid)
		k.log.Debug().Str(logKeyPod, uid).Str(logKeyNode, w.node.Name).Msg("removed pod")
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		if !w.terminated.Load() {
			w.terminating.Store(true)
			k.bg.Go(func() {
				err := k.terminate(ctx, w, pod)
				w.terminating.Store(false)
				if err != nil && ctx.Err() == nil {
					k.log.Warn().Err(err).Str(logKeyPod, pod.Namespace+"/"+pod.Name).Msg("terminate pod; retrying")
					k.queue.AddRateLimited(w.uid)
					return
				}
				w.terminated.Store(true)
				k.queue.Forget(w.uid)
				k.queue.Add(w.uid) // the pod's deletion may have come in meanwhile
			})
		}
		return 0, nil
	}
	if terminalPhase(pod.Status.Phase) || (w.last != nil && terminalPhase(w.last.Phase)) {
		k.probes.removePod(uid)
		return 0, nil // finished: its containers stay for their logs until it is deleted
	}
	rs, err := rt.PodStatus(ctx, uid)
	if err != nil {
		return 0, fmt.Errorf("read runtime status: %w", err)
	}
	s := &podSync{k: k, w: w, pod: pod, rs: rs, now: k.now(), waiting: map[string]*api.ContainerStateWaiting{}}
	runErr := s.run(ctx)
	if s.changed {
		if s.rs, err = rt.PodStatus(ctx, uid); err != nil {
			return 0, fmt.Errorf("read runtime status: %w", err)
		}
	}
	k.probes.sync(pod, &s.rs, w.node)
	server := &serverStatus{pod: pod}
	k.setStatus(w, server, buildStatus(statusInput{
		pod: pod, old: w.oldStatus(server), rs: &s.rs, hostIP: k.cfg.Address, now: s.now,
		waiting: s.waiting,
		ready: func(c *api.Container, cs *runtime.ContainerStatus) bool {
			return c.ReadinessProbe == nil || k.probes.ready(uid, c.Name, cs.ID)
		},
	}))
	return s.requeue, runErr
}

func terminalPhase(p api.PodPhase) bool { return p == api.PodSucceeded || p == api.PodFailed }

// serverStatus is the API server's status of a pod being synced. Its
// JSON's digest is computed at most once a sync, and only when the
// cheaper comparisons cannot decide: a kubelet syncs its pods often, and
// most syncs change nothing.
type serverStatus struct {
	pod  *api.Pod
	sum  [sha256.Size]byte
	done bool
}

func (s *serverStatus) digest() [sha256.Size]byte {
	if !s.done {
		s.sum, s.done = sha256.Sum256(mustJSON(s.pod.Status)), true
	}
	return s.sum
}

// standing reports whether the status last handed to the status manager
// still stands: the API server has not changed the pod since, or has that
// status.
func (w *podWorker) standing(server *serverStatus) bool {
	return w.last != nil && (w.lastRV == server.pod.ResourceVersion || w.lastSum == server.digest())
}

// oldStatus is the status new times carry over from: the last one this
// kubelet reported, unless the API server's has changed since.
func (w *podWorker) oldStatus(server *serverStatus) *api.PodStatus {
	if w.standing(server) {
		return w.last
	}
	return &server.pod.Status
}

// setStatus hands st to the status manager unless the API server has it
// already or it was handed over and the API server has not changed since.
// A status equal to the one standing is not encoded at all.
func (k *Kubelet) setStatus(w *podWorker, server *serverStatus, st api.PodStatus) {
	pod := server.pod
	if w.standing(server) && reflect.DeepEqual(&st, w.last) {
		w.lastRV = pod.ResourceVersion
		w.keepServers(server)
		return
	}
	body := mustJSON(st)
	sum := sha256.Sum256(body)
	handed := (sum == w.lastSum && w.lastRV == pod.ResourceVersion) || sum == server.digest()
	w.last, w.lastSum, w.lastRV = &st, sum, pod.ResourceVersion
	w.keepServers(server)
	if !handed {
		k.status.set(w.node.Client, w.uid, pod.Namespace, pod.Name, body)
	}
}

// keepServers makes the API server's status the one kept as handed over,
// once it is that status: the pod informer's cache holds it anyway, so the
// kubelet need not hold a copy of every running pod's status beside it.
func (w *podWorker) keepServers(server *serverStatus) {
	if server.done && server.sum == w.lastSum {
		w.last = &server.pod.Status
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err))
	}
	return b
}

// podSync is one sync of one pod.
type podSync struct {
	k       *Kubelet
	w       *podWorker
	pod     *api.Pod
	rs      runtime.PodStatus
	now     time.Time
	waiting map[string]*api.ContainerStateWaiting
	requeue time.Duration // sync again after this long (0: on a change)
	changed bool          // the runtime state changed: read it again
}

func (s *podSync) after(d time.Duration) {
	if d > 0 && (s.requeue == 0 || d < s.requeue) {
		s.requeue = d
	}
}

func (s *podSync) event(c *api.Container, eventType, reason, format string, args ...any) {
	rec := s.w.node.Events
	if rec == nil {
		return
	}
	ref := api.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: s.pod.Namespace, Name: s.pod.Name,
		UID: s.pod.UID, ResourceVersion: s.pod.ResourceVersion}
	if c != nil {
		ref.FieldPath = fieldPath(s.pod, c.Name)
	}
	rec.Eventf(ref, eventType, reason, format, args...)
}

// fieldPath names a container in an event, as spec.containers{name}.
func fieldPath(pod *api.Pod, name string) string {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return "spec.initContainers{" + name + "}"
		}
	}
	return "spec.containers{" + name + "}"
}

// run ensures the sandbox, runs the init containers one after another,
// then the containers, restarting those that exited as restartPolicy says
// and those that fail their liveness probe.
func (s *podSync) run(ctx context.Context) error {
	rt := s.w.node.Runtime
	if !s.rs.SandboxReady {
		if _, err := rt.EnsureSandbox(ctx, s.pod); err != nil {
			s.event(nil, api.EventTypeWarning, EventSandboxFailed, "Failed to create pod sandbox: %v", err)
			return fmt.Errorf("ensure sandbox: %w", err)
		}
		var err error
		if s.rs, err = rt.PodStatus(ctx, s.pod.UID); err != nil {
			return fmt.Errorf("read runtime status: %w", err)
		}
	}
	if !s.volumes(ctx) {
		return nil
	}
	spec := &s.pod.Spec
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		cs := s.rs.Latest(c.Name)
		switch {
		case cs == nil:
			return s.start(ctx, c, nil)
		case cs.State != runtime.StateExited:
			return nil // wait for it to finish
		case cs.ExitCode == 0:
			continue
		case spec.RestartPolicy == api.RestartPolicyNever:
			return nil // failed: so does the pod
		default:
			return s.start(ctx, c, cs)
		}
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		cs := s.rs.Latest(c.Name)
		var err error
		switch {
		case cs == nil:
			err = s.start(ctx, c, nil)
		case cs.State == runtime.StateExited:
			if shouldRestart(spec.RestartPolicy, cs.ExitCode) {
				err = s.start(ctx, c, cs)
			}
		case cs.State == runtime.StateRunning:
			s.checkLiveness(ctx, c, cs)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// start starts container c, whose latest instance is cs (nil if none),
// unless it must wait for its back-off. Start failures are recorded in the
// container's waiting state and events, not returned; the error is ctx's.
func (s *podSync) start(ctx context.Context, c *api.Container, cs *runtime.ContainerStatus) error {
	w, pod := s.w, s.pod
	b := w.backoff[c.Name] // nil until the container first fails
	// The failure the container last had: an exit, or a start that failed.
	var since time.Time
	crashed := false
	if cs != nil && cs.State == runtime.StateExited {
		since, crashed = cs.FinishedAt, true
	}
	fail := w.startErr[c.Name]
	if fail != nil && !fail.at.Before(since) {
		since, crashed = fail.at, false
	}
	if !since.IsZero() {
		if rem := b.remaining(since, s.now); rem > 0 {
			s.backingOff(c, fail, crashed, b.delay, since)
			s.after(rem)
			return nil
		}
		if crashed {
			s.backoff(c).next(s.now)
		}
	}
	attempt := 0
	if cs != nil {
		attempt = cs.Attempt + 1
	}
	in := s.envInput()
	spec, err := containerToStart(ctx, in, c)
	var mounts []runtime.Mount
	if err == nil && w.node.writesFiles() {
		mounts, err = containerMounts(pod, c, w.volumeDirs)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.failed(c, &startFailure{reason: ReasonCreateConfigError, message: err.Error()})
		s.event(c, api.EventTypeWarning, EventFailed, "Error: %v", err)
		return nil
	}
	if len(in.invalidEnvFrom) > 0 {
		s.event(c, api.EventTypeWarning, "InvalidEnvironmentVariableNames",
			"Keys [%s] from the EnvFrom configMap or secret were skipped since they are invalid environment variable names.", strings.Join(in.invalidEnvFrom, ", "))
	}
	always := runtime.PullPolicy(c) == api.PullAlways
	if always {
		s.event(c, api.EventTypeNormal, EventPulling, "Pulling image %q", c.Image)
	}
	_, err = s.w.node.Runtime.StartContainer(ctx, pod, spec, mounts, s.rs.SandboxID, attempt)
	s.changed = true
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		reason := runtime.WaitingReason(err)
		switch {
		case errors.Is(err, runtime.ErrImagePull):
			s.event(c, api.EventTypeWarning, EventFailed, "Failed to pull image %q: %v", c.Image, runtime.PullReason(err))
		case errors.Is(err, runtime.ErrImageNeverPull):
			s.event(c, api.EventTypeWarning, EventFailed, "Container image %q is not present with pull policy of Never", c.Image)
		case errors.Is(err, runtime.ErrRunContainer):
			// The runtime recorded the attempt as a terminated container,
			// which drives the restart and its back-off as a crash does.
			s.event(c, api.EventTypeNormal, EventCreated, "Created container %s", c.Name)
			s.event(c, api.EventTypeWarning, EventFailed, "Error: %v", err)
			delete(w.startErr, c.Name)
			return nil
		case reason == "":
			reason = "CreateContainerError"
		}
		s.event(c, api.EventTypeWarning, EventFailed, "Error: %s", reason)
		s.failed(c, &startFailure{reason: reason, message: err.Error(),
			pull: errors.Is(err, runtime.ErrImagePull)})
		return nil
	}
	delete(w.startErr, c.Name)
	if always {
		s.event(c, api.EventTypeNormal, EventPulled, "Successfully pulled image %q", c.Image)
	} else {
		s.event(c, api.EventTypeNormal, EventPulled, "Container image %q already present on machine", c.Image)
	}
	s.event(c, api.EventTypeNormal, EventCreated, "Created container %s", c.Name)
	s.event(c, api.EventTypeNormal, EventStarted, "Started container %s", c.Name)
	return nil
}

// volumes sets up the pod's volumes (volumes.go) and reports whether its
// containers may start. A failure before they first could is recorded as
// a FailedMount event and retried; later, the files stay as they were.
// Pods with volumes that follow objects are synced again every
// ConfigRefreshPeriod.
func (s *podSync) volumes(ctx context.Context) bool {
	w, k := s.w, s.k
	if len(s.pod.Spec.Volumes) == 0 {
		w.volumeDirs = noVolumeDirs
		return true
	}
	if w.volumeDirs != nil && !w.node.writesFiles() {
		return true // simulated: checked once
	}
	dirs, err := s.setUpVolumes(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		if msg := err.Error(); msg != w.mountFailedAt {
			w.mountFailedAt = msg
			s.event(nil, api.EventTypeWarning, EventFailedMount, "%s", msg)
		}
		k.log.Debug().Err(err).Str(logKeyPod, s.pod.Namespace+"/"+s.pod.Name).Msg("set up volumes")
		s.after(min(k.cfg.ConfigRefreshPeriod, 2*time.Second))
		return w.volumeDirs != nil
	}
	w.mountFailedAt = ""
	w.volumeDirs = dirs
	if w.node.writesFiles() && refreshable(s.pod) {
		s.after(k.cfg.ConfigRefreshPeriod)
	}
	return true
}

// envInput is what the pod's containers' environment is made from.
func (s *podSync) envInput() *envInput {
	k, pod := s.k, s.pod
	var svcs []*api.Service
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		svcs = k.services.ByIndex("namespace", pod.Namespace)
	}
	if pod.Namespace != "default" || len(svcs) == 0 {
		if master, ok := k.services.Get(informer.Key{Namespace: "default", Name: "kubernetes"}); ok {
			svcs = append(svcs, master)
		}
	}
	host, port := "", int32(0)
	if s.w.node.writesFiles() {
		host, port = k.apiHost, k.apiPort
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	if len(hostname) > 63 {
		hostname = hostname[:63]
	}
	return &envInput{pod: pod, podIP: s.rs.IP, hostIP: k.cfg.Address, cfg: s.w.node.objects,
		services: serviceEnv(svcs, host, port), hostname: hostname}
}

// backoff returns the restart back-off of container c, made on its first
// failure: most containers never fail, and a kubelet has many.
func (s *podSync) backoff(c *api.Container) *backoff {
	w := s.w
	b := w.backoff[c.Name]
	if b == nil {
		b = &backoff{initial: s.k.cfg.BackoffInitial, max: s.k.cfg.BackoffMax}
		if w.backoff == nil {
			w.backoff = map[string]*backoff{}
		}
		w.backoff[c.Name] = b
	}
	return b
}

// failed records a start that failed and schedules the retry.
func (s *podSync) failed(c *api.Container, f *startFailure) {
	f.at = s.now
	if s.w.startErr == nil {
		s.w.startErr = map[string]*startFailure{}
	}
	s.w.startErr[c.Name] = f
	b := s.backoff(c)
	b.next(s.now)
	s.waiting[c.Name] = &api.ContainerStateWaiting{Reason: f.reason, Message: f.message}
	s.after(b.delay)
}

// backingOff reports a container that waits for its back-off: after a
// crash (CrashLoopBackOff) or a failed start (ImagePullBackOff, or the
// failure's own reason).
func (s *podSync) backingOff(c *api.Container, fail *startFailure, crashed bool, delay time.Duration, since time.Time) {
	pod := s.pod
	var wait api.ContainerStateWaiting
	var msg string
	switch {
	case crashed:
		wait = api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff,
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, c.Name, pod.Name, pod.Namespace, pod.UID)}
		msg = "Back-off restarting failed container " + c.Name + " in pod " + pod.Name + "_" + pod.Namespace + "(" + pod.UID + ")"
	case fail.pull:
		wait = api.ContainerStateWaiting{Reason: ReasonImagePullBackOff, Message: fmt.Sprintf("Back-off pulling image %q", c.Image)}
		msg = wait.Message
	default:
		wait = api.ContainerStateWaiting{Reason: fail.reason, Message: fail.message}
	}
	s.waiting[c.Name] = &wait
	if msg != "" && !s.w.backoffEvent[c.Name].Equal(since) {
		if s.w.backoffEvent == nil {
			s.w.backoffEvent = map[string]time.Time{}
		}
		s.w.backoffEvent[c.Name] = since
		s.event(c, api.EventTypeWarning, EventBackOff, "%s", msg)
	}
}

// checkLiveness stops a running container whose liveness probe failed, in
// the background; its restart follows restartPolicy.
func (s *podSync) checkLiveness(ctx context.Context, c *api.Container, cs *runtime.ContainerStatus) {
	if c.LivenessProbe == nil || !s.k.probes.livenessFailed(s.pod.UID, c.Name, cs.ID) {
		return
	}
	if _, busy := s.w.killing.LoadOrStore(cs.ID, true); busy {
		return
	}
	s.event(c, api.EventTypeNormal, EventKilling, "Container %s failed liveness probe, will be restarted", c.Name)
	grace := podGrace(s.pod)
	if g := c.LivenessProbe.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	k, w, id := s.k, s.w, cs.ID
	k.bg.Go(func() {
		defer k.queue.Add(w.uid)
		defer w.killing.Delete(id)
		if err := w.node.Runtime.StopContainer(ctx, id, grace); err != nil && ctx.Err() == nil {
			k.log.Warn().Err(err).Str(logKeyPod, w.uid).Str("container", c.Name).Msg("stop unhealthy container")
		}
	})
}

// podGrace is the pod's termination grace period.
func podGrace(pod *api.Pod) time.Duration {
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return api.DefaultTerminationGracePeriodSeconds * time.Second
}

// terminate stops the containers of a pod being deleted, giving them the
// deletion's grace period between SIGTERM and SIGKILL, removes them and
// then deletes the pod for good (grace 0, on the condition that its UID is
// still this one). It runs in a goroutine of its own, since a grace period
// may be long.
func (k *Kubelet) terminate(ctx context.Context, w *podWorker, pod *api.Pod) error {
	grace := podGrace(pod)
	if g := pod.DeletionGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	k.probes.removePod(w.uid)
	rt := w.node.Runtime
	rs, err := rt.PodStatus(ctx, w.uid)
	if err != nil {
		return fmt.Errorf("read runtime status: %w", err)
	}
	s := &podSync{k: k, w: w, pod: pod}
	var wg sync.WaitGroup
	errs := make([]error, len(rs.Containers))
	for i := range rs.Containers {
		cs := &rs.Containers[i]
		if cs.State == runtime.StateExited {
			continue
		}
		s.event(&api.Container{Name: cs.Name}, api.EventTypeNormal, EventKilling, "Stopping container %s", cs.Name)
		wg.Go(func() { errs[i] = rt.StopContainer(ctx, cs.ID, grace) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop containers: %w", err)
	}
	// Report the stopped containers (not ready) before removing them,
	// which may take a while on Docker: until then the pod's endpoints
	// would stay serving, and a Service with no other endpoint would send
	// connections to an address nobody answers.
	if rs, err = rt.PodStatus(ctx, w.uid); err != nil {
		return fmt.Errorf("read runtime status: %w", err)
	}
	server := &serverStatus{pod: pod}
	k.setStatus(w, server, buildStatus(statusInput{
		pod: pod, old: w.oldStatus(server), rs: &rs, hostIP: k.cfg.Address, now: k.now(),
		ready: func(*api.Container, *runtime.ContainerStatus) bool { return false },
	}))
	if err := rt.RemovePod(ctx, w.uid); err != nil {
		return fmt.Errorf("remove pod: %w", err)
	}
	if err := k.removePodDir(w.uid); err != nil {
		return err
	}
	zero := int64(0)
	uid := pod.UID
	err = w.node.Client.Pods(pod.Namespace).Delete(ctx, pod.Name, api.DeleteOptions{GracePeriodSeconds: &zero,
		Preconditions: &api.Preconditions{UID: &uid}})
	if err != nil && !client.IsNotFound(err) && !client.IsConflict(err) {
		return fmt.Errorf("delete pod: %w", err)
	}
	k.log.Debug().Str(logKeyPod, pod.Namespace+"/"+pod.Name).Dur("grace", grace).Msg("pod terminated")
	return nil
}
