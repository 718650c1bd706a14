package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/internal/wait"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/version"
)

// Pod annotations that steer the simulated containers (see the package
// documentation).
const (
	AnnotationExitAfter     = "sim.minik8s.io/exit-after"
	AnnotationExitCode      = "sim.minik8s.io/exit-code"
	AnnotationFailRatio     = "sim.minik8s.io/fail-ratio"
	AnnotationFailAttempts  = "sim.minik8s.io/fail-attempts"
	AnnotationFailStart     = "sim.minik8s.io/fail-start"
	AnnotationImageAbsent   = "sim.minik8s.io/image-absent"
	AnnotationIgnoreSIGTERM = "sim.minik8s.io/ignore-sigterm"
	AnnotationLog           = "sim.minik8s.io/log"
)

// Exit codes of containers that could not run and of killed ones.
const (
	exitCannotRun = 128
	exitKilled    = 137 // 128 + SIGKILL
)

// Config configures one simulated node.
type Config struct {
	// PodCIDR is the IPv4 range pod IPs come from, /8 to /30.
	PodCIDR string `yaml:"podCIDR"`
	// StartDelay is how long a container stays created before it runs.
	StartDelay time.Duration `yaml:"startDelay"`
	// StartJitter adds a uniform random delay in [0, StartJitter).
	StartJitter time.Duration `yaml:"startJitter"`
	// CPU and Memory are the node's capacity as quantities ("32", "256Gi").
	CPU    string `yaml:"cpu"`
	Memory string `yaml:"memory"`
	// CompleteAfter is how long a container of a run-to-completion pod
	// (restartPolicy Never or OnFailure) runs before it exits 0, unless
	// its pod's annotations say otherwise.
	CompleteAfter time.Duration `yaml:"completeAfter"`
}

// DefaultConfig returns a node with KWOK's default capacity whose
// containers take 100 to 300 ms to start, and those of run-to-completion
// pods run for a second.
func DefaultConfig() Config {
	return Config{
		PodCIDR:       NodePodCIDR(0),
		StartDelay:    100 * time.Millisecond,
		StartJitter:   200 * time.Millisecond,
		CPU:           "32",
		Memory:        "256Gi",
		CompleteAfter: time.Second,
	}
}

// NodePodCIDR returns the pod CIDR of the i-th simulated node: the /24s of
// 10.244.0.0 to 10.255.255.0, so 3072 nodes get distinct ranges (i wraps
// around beyond).
func NodePodCIDR(i int) string {
	i %= 12 * 256
	if i < 0 {
		i += 12 * 256
	}
	return fmt.Sprintf("10.%d.%d.0/24", 244+i/256, i%256)
}

// Runtime is one simulated node's container runtime.
type Runtime struct {
	cfg      Config
	log      zerolog.Logger
	capacity api.ResourceList
	notify   atomic.Pointer[func(podUID string)]

	mu         sync.Mutex
	ips        ipPool
	pods       map[string]*pod       // by UID
	containers map[string]*container // by ID, for StopContainer
}

var (
	_ runtime.Runtime  = (*Runtime)(nil)
	_ runtime.Notifier = (*Runtime)(nil)
)

// errSimNoRegistry is why a pull fails on a simulated node.
var errSimNoRegistry = errors.New("simulated node has no registry")

// ids numbers sandboxes and containers across all Runtimes of the process,
// so IDs are unique even when many nodes share one.
var ids atomic.Uint64

func newID() string { return fmt.Sprintf("sim://%016x", ids.Add(1)) }

type pod struct {
	uid, namespace, name string
	sandboxID            string
	ip                   netip.Addr
	containers           []*container
}

type container struct {
	pod                        *pod
	id, name, image            string
	attempt                    int
	behaviour                  behaviour // from the pod's annotations
	state                      runtime.State
	exitCode                   int
	reason, message            string
	created, started, finished time.Time
	timer                      *time.Timer   // the next timed transition
	changed                    chan struct{} // made by followers, closed on every transition
	removed                    bool
	// Usage (usage.go): CPU seconds used up to usageAt, and the rate in
	// cores since then.
	cpuSeconds, cpuRate float64
	usageAt             time.Time
}

// New validates cfg and returns a node with no pods.
func New(cfg Config, log zerolog.Logger) (*Runtime, error) {
	if cfg.StartDelay < 0 || cfg.StartJitter < 0 || cfg.CompleteAfter < 0 {
		return nil, errors.New("sim: startDelay, startJitter and completeAfter must not be negative")
	}
	ips, err := newIPPool(cfg.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	cpu, err := api.ParseQuantity(cfg.CPU)
	if err != nil {
		return nil, fmt.Errorf("sim: parse cpu: %w", err)
	}
	mem, err := api.ParseQuantity(cfg.Memory)
	if err != nil {
		return nil, fmt.Errorf("sim: parse memory: %w", err)
	}
	return &Runtime{
		cfg:        cfg,
		log:        log,
		capacity:   api.ResourceList{api.ResourceCPU: cpu, api.ResourceMemory: mem},
		ips:        ips,
		pods:       map[string]*pod{},
		containers: map[string]*container{},
	}, nil
}

// Notify registers fn to hear of the transitions the runtime makes on its
// own; it replaces any earlier fn.
func (r *Runtime) Notify(fn func(podUID string)) { r.notify.Store(&fn) }

func (r *Runtime) changed(podUID string) {
	if fn := r.notify.Load(); fn != nil {
		(*fn)(podUID)
	}
}

// Info reports the configured capacity and "sim://<minik8s version>".
func (r *Runtime) Info(context.Context) (runtime.Info, error) {
	capacity := make(api.ResourceList, len(r.capacity))
	for k, v := range r.capacity {
		capacity[k] = v
	}
	return runtime.Info{
		RuntimeVersion: "sim://" + version.Version,
		OSImage:        "minik8s simulated node",
		KernelVersion:  "simulated",
		Capacity:       capacity,
	}, nil
}

// EnsureSandbox returns the pod's sandbox, allocating its IP on first use.
// A simulated sandbox never dies.
func (r *Runtime) EnsureSandbox(_ context.Context, p *api.Pod) (runtime.Sandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.pods[p.UID]
	if sp == nil {
		sp = &pod{uid: p.UID, namespace: p.Namespace, name: p.Name}
		r.pods[p.UID] = sp
	}
	if sp.sandboxID == "" {
		ip, err := r.ips.allocate()
		if err != nil {
			return runtime.Sandbox{}, fmt.Errorf("create sandbox: %w", err)
		}
		sp.sandboxID, sp.ip = newID(), ip
	}
	return runtime.Sandbox{ID: sp.sandboxID, IP: sp.ip.String()}, nil
}

// behaviour is what a pod's annotations ask of its containers.
type behaviour struct {
	lines                              []string      // output; nil: one synthetic line
	exit                               bool          // exit on its own ...
	exitAfter, exitAfterMax            time.Duration // ... this long after running (a range when max > 0) ...
	exitCode                           int           // ... with this code
	failRatio                          float64       // the share of runs that exit failCode (-1: unset)
	failAttempts                       int           // the first attempts that exit failCode
	failStart, imageAbsent, ignoreTerm bool
}

// logLines is what the container writes: its annotation's lines, or one
// synthetic line made when asked for rather than held by every container.
func (c *container) logLines() []string {
	if c.behaviour.lines != nil {
		return c.behaviour.lines
	}
	return []string{fmt.Sprintf("simulated container %s started (attempt %d)", c.name, c.attempt)}
}

// failCode is the code of a run that fails: exit-code if it is not 0, else 1.
func (b *behaviour) failCode() int {
	if b.exitCode != 0 {
		return b.exitCode
	}
	return 1
}

// parseBehaviour reads the annotations a. Containers of run-to-completion
// pods (restartPolicy Never or OnFailure) exit after completeAfter unless
// the annotations say otherwise.
func parseBehaviour(a map[string]string, policy api.RestartPolicy, completeAfter time.Duration) (behaviour, error) {
	b := behaviour{failRatio: -1}
	var err error
	if policy == api.RestartPolicyNever || policy == api.RestartPolicyOnFailure {
		b.exit, b.exitAfter = true, completeAfter
	}
	exitAfterSet := false
	if v, ok := a[AnnotationExitAfter]; ok {
		exitAfterSet = true
		if b.exit, b.exitAfter, b.exitAfterMax, err = parseExitAfter(v); err != nil {
			return b, err
		}
	}
	if v, ok := a[AnnotationExitCode]; ok {
		if b.exitCode, err = strconv.Atoi(v); err != nil || b.exitCode < 0 || b.exitCode > 255 {
			return b, fmt.Errorf("annotation %s: invalid exit code %q", AnnotationExitCode, v)
		}
		if !exitAfterSet {
			// Only a code: exit at once, for any restart policy.
			b.exit, b.exitAfter = true, 0
		}
	}
	if v, ok := a[AnnotationFailRatio]; ok {
		if b.failRatio, err = strconv.ParseFloat(v, 64); err != nil || b.failRatio < 0 || b.failRatio > 1 {
			return b, fmt.Errorf("annotation %s: invalid ratio %q (want 0 to 1)", AnnotationFailRatio, v)
		}
	}
	if v, ok := a[AnnotationFailAttempts]; ok {
		if b.failAttempts, err = strconv.Atoi(v); err != nil || b.failAttempts < 0 {
			return b, fmt.Errorf("annotation %s: invalid count %q", AnnotationFailAttempts, v)
		}
	}
	for key, dst := range map[string]*bool{
		AnnotationFailStart:     &b.failStart,
		AnnotationImageAbsent:   &b.imageAbsent,
		AnnotationIgnoreSIGTERM: &b.ignoreTerm,
	} {
		if v, ok := a[key]; ok {
			if *dst, err = strconv.ParseBool(v); err != nil {
				return b, fmt.Errorf("annotation %s: invalid boolean %q", key, v)
			}
		}
	}
	if v, ok := a[AnnotationLog]; ok && v != "" {
		b.lines = strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	}
	return b, nil
}

// parseExitAfter reads exit-after: a duration ("5s"), a range of them
// ("1s-3s", uniformly random), or "never".
func parseExitAfter(v string) (exit bool, after, afterMax time.Duration, err error) {
	if v == "never" {
		return false, 0, 0, nil
	}
	bad := fmt.Errorf("annotation %s: invalid duration %q (want e.g. 5s, 1s-3s or never)", AnnotationExitAfter, v)
	lo, hi, isRange := strings.Cut(v, "-")
	if after, err = time.ParseDuration(lo); err != nil || after < 0 {
		return false, 0, 0, bad
	}
	if isRange {
		if afterMax, err = time.ParseDuration(hi); err != nil || afterMax < after {
			return false, 0, 0, bad
		}
	}
	return true, after, afterMax, nil
}

// resolve fixes what one run of a container does: its run time within the
// range and its exit code, given its attempt.
func (b *behaviour) resolve(attempt int) {
	if b.exitAfterMax > b.exitAfter {
		b.exitAfter += rand.N(b.exitAfterMax - b.exitAfter + 1)
	}
	b.exitAfterMax = 0
	switch {
	case attempt < b.failAttempts:
		b.exit, b.exitCode = true, b.failCode()
	case b.failRatio >= 0:
		if rand.Float64() < b.failRatio {
			b.exitCode = b.failCode()
		} else {
			b.exitCode = 0
		}
	case b.failAttempts > 0:
		b.exitCode = 0 // the attempts after the failing ones succeed
	}
}

// StartContainer creates the container and schedules it to run; see the
// package documentation for the annotations that make it fail.
func (r *Runtime) StartContainer(_ context.Context, p *api.Pod, c *api.Container, mounts []runtime.Mount, sandboxID string, attempt int) (string, error) {
	b, err := parseBehaviour(p.Annotations, p.Spec.RestartPolicy, r.cfg.CompleteAfter)
	if err != nil {
		return "", fmt.Errorf("%w: %v", runtime.ErrCreateContainer, err)
	}
	b.resolve(attempt)
	if b.imageAbsent {
		if runtime.PullPolicy(c) == api.PullNever {
			return "", fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, c.Image)
		}
		return "", &runtime.PullError{Image: c.Image, Err: errSimNoRegistry}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.pods[p.UID]
	if sp == nil || sp.sandboxID == "" || sp.sandboxID != sandboxID {
		return "", fmt.Errorf("%w: sandbox %q of pod %s not found", runtime.ErrCreateContainer, sandboxID, p.UID)
	}
	r.prune(sp, c.Name, attempt)
	now := time.Now()
	ct := &container{
		pod: sp, id: newID(), name: c.Name, image: c.Image, attempt: attempt, behaviour: b,
		state: runtime.StateCreated, created: now,
	}
	sp.containers = append(sp.containers, ct)
	r.containers[ct.id] = ct
	if b.failStart {
		ct.message = "simulated start failure"
		r.exit(ct, exitCannotRun, runtime.ReasonContainerCannotRun)
		return "", fmt.Errorf("%w: %s", runtime.ErrRunContainer, ct.message)
	}
	delay := r.cfg.StartDelay
	if r.cfg.StartJitter > 0 {
		delay += rand.N(r.cfg.StartJitter)
	}
	if delay == 0 {
		r.run(ct)
	} else {
		ct.timer = time.AfterFunc(delay, func() { r.timed(ct, r.run) })
	}
	return ct.id, nil
}

// prune drops the instances of container name that a new attempt makes
// redundant: a leftover of the same attempt, and every terminated one but
// the newest. r.mu must be held.
func (r *Runtime) prune(sp *pod, name string, attempt int) {
	var newestExited *container
	for _, c := range sp.containers {
		if c.name == name && c.attempt != attempt && c.state == runtime.StateExited &&
			(newestExited == nil || c.attempt > newestExited.attempt) {
			newestExited = c
		}
	}
	kept := sp.containers[:0]
	for _, c := range sp.containers {
		if c.name == name && c != newestExited && (c.attempt == attempt || c.state == runtime.StateExited) {
			r.drop(c)
			continue
		}
		kept = append(kept, c)
	}
	clear(sp.containers[len(kept):])
	sp.containers = kept
}

// drop forgets c. r.mu must be held.
func (r *Runtime) drop(c *container) {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.removed = true
	r.transition(c)
	delete(r.containers, c.id)
}

// timed runs a transition fired by a timer, unless c was dropped or moved
// on meanwhile, and tells the Notifier.
func (r *Runtime) timed(c *container, f func(*container)) {
	r.mu.Lock()
	if c.removed {
		r.mu.Unlock()
		return
	}
	f(c)
	uid := c.pod.uid
	r.mu.Unlock()
	r.changed(uid)
}

// run moves a created container to running and schedules its exit, if
// its pod asks for one. r.mu must be held.
func (r *Runtime) run(c *container) {
	if c.state != runtime.StateCreated {
		return
	}
	c.state, c.started, c.timer = runtime.StateRunning, time.Now(), nil
	r.transition(c)
	b := &c.behaviour
	if !b.exit {
		return
	}
	if b.exitAfter == 0 {
		r.exit(c, b.exitCode, "")
		return
	}
	c.timer = time.AfterFunc(b.exitAfter, func() {
		r.timed(c, func(c *container) { r.exit(c, b.exitCode, "") })
	})
}

// exit terminates c with code; reason "" derives it from the code. r.mu
// must be held.
func (r *Runtime) exit(c *container, code int, reason string) {
	if c.state == runtime.StateExited {
		return
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if reason == "" {
		reason = runtime.TerminatedReason(code, false)
	}
	c.state, c.exitCode, c.reason, c.finished = runtime.StateExited, code, reason, time.Now()
	r.transition(c)
}

// transition wakes the followers of c's logs. r.mu must be held.
func (r *Runtime) transition(c *container) {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// StopContainer makes the container exit 0 at once, or, if its pod
// ignores SIGTERM, waits for grace (or ctx) and kills it (137).
func (r *Runtime) StopContainer(ctx context.Context, containerID string, grace time.Duration) error {
	r.mu.Lock()
	c := r.containers[containerID]
	if c == nil || c.state == runtime.StateExited {
		r.mu.Unlock()
		return nil
	}
	if !c.behaviour.ignoreTerm || c.state == runtime.StateCreated {
		r.exit(c, 0, "")
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()

	if err := wait.Sleep(ctx, grace); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !c.removed {
		r.exit(c, exitKilled, "")
	}
	return nil
}

// Kill ends the latest instance of the pod's named container with
// exitCode, as a crash or `docker kill` would (137 for SIGKILL). It
// returns an error wrapping runtime.ErrNotFound if that instance does not
// run.
func (r *Runtime) Kill(podUID, name string, exitCode int) error {
	r.mu.Lock()
	c := r.latest(podUID, name)
	if c == nil || c.state != runtime.StateRunning {
		r.mu.Unlock()
		return fmt.Errorf("kill %s of pod %s: %w", name, podUID, runtime.ErrNotFound)
	}
	r.exit(c, exitCode, "")
	r.mu.Unlock()
	r.changed(podUID)
	return nil
}

// latest returns the newest instance of the pod's named container, or nil.
// r.mu must be held.
func (r *Runtime) latest(podUID, name string) *container {
	sp := r.pods[podUID]
	if sp == nil {
		return nil
	}
	var latest *container
	for _, c := range sp.containers {
		if c.name == name && (latest == nil || c.attempt > latest.attempt) {
			latest = c
		}
	}
	return latest
}

// RemovePod forgets the pod and frees its IP.
func (r *Runtime) RemovePod(_ context.Context, podUID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.pods[podUID]
	if sp == nil {
		return nil
	}
	for _, c := range sp.containers {
		r.drop(c)
	}
	if sp.sandboxID != "" {
		r.ips.release(sp.ip)
	}
	delete(r.pods, podUID)
	return nil
}

// ListPods returns every pod of the node.
func (r *Runtime) ListPods(context.Context) ([]runtime.PodStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.PodStatus, 0, len(r.pods))
	for _, sp := range r.pods {
		out = append(out, sp.status())
	}
	return out, nil
}

// PodStatus returns the pod's status.
func (r *Runtime) PodStatus(_ context.Context, podUID string) (runtime.PodStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.pods[podUID]
	if sp == nil {
		return runtime.PodStatus{UID: podUID}, nil
	}
	return sp.status(), nil
}

// status snapshots the pod. r.mu must be held.
func (sp *pod) status() runtime.PodStatus {
	s := runtime.PodStatus{
		UID: sp.uid, Namespace: sp.namespace, Name: sp.name,
		SandboxID: sp.sandboxID, SandboxReady: sp.sandboxID != "",
		Containers: make([]runtime.ContainerStatus, 0, len(sp.containers)),
	}
	if s.SandboxReady {
		s.IP = sp.ip.String()
	}
	for _, c := range sp.containers {
		s.Containers = append(s.Containers, runtime.ContainerStatus{
			ID: c.id, Name: c.name, Attempt: c.attempt, State: c.state,
			ExitCode: c.exitCode, Reason: c.reason, Message: c.message,
			CreatedAt: c.created, StartedAt: c.started, FinishedAt: c.finished,
			Image: c.image, ImageID: imageID(c.image),
		})
	}
	s.SortContainers()
	return s
}

// imageID makes up a stable image ID from the image's name.
func imageID(image string) string {
	var h uint64 = 14695981039346656037 // FNV-1a
	for i := 0; i < len(image); i++ {
		h = (h ^ uint64(image[i])) * 1099511628211
	}
	return fmt.Sprintf("sim://sha256:%016x", h)
}

// Logs writes the container's lines once it has started; with Follow it
// then waits for the container to exit or be removed, or for ctx.
func (r *Runtime) Logs(ctx context.Context, podUID, name string, opts runtime.LogOptions, w io.Writer) error {
	r.mu.Lock()
	c := r.latest(podUID, name)
	if c != nil && opts.Previous {
		c = r.previous(c)
	}
	r.mu.Unlock()
	if c == nil {
		what := "container"
		if opts.Previous {
			what = "previous terminated container"
		}
		return fmt.Errorf("%s %q of pod %s: %w", what, name, podUID, runtime.ErrNotFound)
	}

	written := false
	for {
		r.mu.Lock()
		var lines []string
		started := c.started
		if !written && !started.IsZero() {
			lines, written = c.logLines(), true
		}
		done := c.state == runtime.StateExited || c.removed
		var changed chan struct{}
		if opts.Follow && !done {
			if c.changed == nil {
				c.changed = make(chan struct{})
			}
			changed = c.changed
		}
		r.mu.Unlock()

		if err := writeLines(w, lines, started, opts); err != nil {
			return err
		}
		if changed == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// previous returns the newest terminated instance older than latest, or
// nil. r.mu must be held.
func (r *Runtime) previous(latest *container) *container {
	var prev *container
	for _, c := range latest.pod.containers {
		if c.name == latest.name && c.attempt < latest.attempt && c.state == runtime.StateExited &&
			(prev == nil || c.attempt > prev.attempt) {
			prev = c
		}
	}
	return prev
}

// writeLines writes lines stamped at, honouring Since, TailLines and
// Timestamps.
func writeLines(w io.Writer, lines []string, at time.Time, opts runtime.LogOptions) error {
	if len(lines) == 0 || (!opts.Since.IsZero() && at.Before(opts.Since)) {
		return nil
	}
	if opts.TailLines != nil && int64(len(lines)) > *opts.TailLines {
		lines = lines[int64(len(lines))-max(*opts.TailLines, 0):]
	}
	var buf []byte
	for _, l := range lines {
		if opts.Timestamps {
			buf = at.UTC().AppendFormat(buf, time.RFC3339Nano)
			buf = append(buf, ' ')
		}
		buf = append(buf, l...)
		buf = append(buf, '\n')
	}
	_, err := w.Write(buf)
	return err
}
