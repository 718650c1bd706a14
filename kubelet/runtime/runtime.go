package runtime

import (
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"github.com/minik8s/minik8s/api"
)

// Runtime runs the containers of the pods bound to one node.
type Runtime interface {
	// Info describes the runtime and the machine it runs on, for the
	// Node's capacity and nodeInfo.
	Info(ctx context.Context) (Info, error)

	// EnsureSandbox returns the pod's running sandbox, creating it first
	// when the pod has none. A sandbox that exists but no longer runs is
	// replaced; the pod's containers that were still running in the old
	// one are stopped, since they lost their network (the kubelet then
	// restarts them per restartPolicy).
	EnsureSandbox(ctx context.Context, pod *api.Pod) (Sandbox, error)

	// StartContainer creates container c of pod in the sandbox sandboxID
	// and starts it, pulling its image first as c.ImagePullPolicy says.
	// attempt numbers the start (0 first, then one more per restart). It
	// returns the new container's ID. Errors wrap ErrImagePull,
	// ErrImageNeverPull, ErrCreateContainer or ErrRunContainer. A failure
	// to run (ErrRunContainer) still records the attempt as a terminated
	// container, as Kubernetes reports ContainerCannotRun.
	//
	// c.Env is used as given: the kubelet resolves valueFrom and $(VAR)
	// references beforehand.
	StartContainer(ctx context.Context, pod *api.Pod, c *api.Container, sandboxID string, attempt int) (string, error)

	// StopContainer asks the container to stop (SIGTERM, or its image's
	// stop signal) and kills it (SIGKILL) if it still runs after grace.
	// It returns once the container has exited. Stopping a container that
	// has already exited, or is gone, is not an error.
	StopContainer(ctx context.Context, containerID string, grace time.Duration) error

	// RemovePod kills and removes every container of the pod, its sandbox
	// last. Removing a pod that has no containers is not an error.
	RemovePod(ctx context.Context, podUID string) error

	// ListPods returns the status of every pod that has a sandbox or a
	// container on this node, in no particular order.
	ListPods(ctx context.Context) ([]PodStatus, error)

	// PodStatus returns the pod's status. A pod the runtime knows nothing
	// of has a status with only UID set, and no error.
	PodStatus(ctx context.Context, podUID string) (PodStatus, error)

	// Logs writes the output (stdout and stderr) of the pod's latest
	// container named container to w, or with opts.Previous that of the
	// terminated instance before it. With opts.Follow it keeps writing
	// until the container exits or ctx ends (then it returns nil). It
	// returns an error wrapping ErrNotFound when there is no such
	// container.
	Logs(ctx context.Context, podUID, container string, opts LogOptions, w io.Writer) error
}

// Notifier is an optional capability of a Runtime: one that learns of
// state changes it did not cause through a call (a container finished
// starting or exited) reports the pod's UID to fn, so the kubelet can
// resync that pod at once instead of at its next periodic relist. fn is
// called from the runtime's own goroutines and must not block. The sim
// runtime implements it; Docker leaves the kubelet to relist.
type Notifier interface {
	Notify(fn func(podUID string))
}

// Info describes a runtime and its machine.
type Info struct {
	// RuntimeVersion is the Node's containerRuntimeVersion, for example
	// "docker://20.10.24".
	RuntimeVersion string
	// OSImage and KernelVersion describe the operating system, for example
	// "Debian GNU/Linux 12 (bookworm)" and "6.1.0-18-amd64".
	OSImage, KernelVersion string
	// Capacity holds the machine's cpu and memory.
	Capacity api.ResourceList
}

// ImageLister is a Runtime that can list the images it holds, which the
// kubelet reports in the Node's status.images (the scheduler's
// ImageLocality reads them). The simulated runtime holds none.
type ImageLister interface {
	// ListImages returns the images present, with their names (tags and
	// digests) and sizes.
	ListImages(ctx context.Context) ([]api.ContainerImage, error)
}

// Sandbox is the running sandbox of a pod.
type Sandbox struct {
	// ID of the sandbox, passed to StartContainer.
	ID string
	// IP is the pod's IP address.
	IP string
}

// State is the state of one container.
type State string

// Container states.
const (
	StateCreated State = "created" // created, not started yet
	StateRunning State = "running"
	StateExited  State = "exited" // terminated, or could not run
	StateUnknown State = "unknown"
)

// Reasons a container terminated, as Kubernetes reports them in
// ContainerStateTerminated.
const (
	ReasonCompleted          = "Completed"
	ReasonError              = "Error"
	ReasonOOMKilled          = "OOMKilled"
	ReasonContainerCannotRun = "ContainerCannotRun"
)

// TerminatedReason returns the reason for a container that exited with
// exitCode: OOMKilled when the kernel killed it for memory, Completed for
// 0, Error otherwise.
func TerminatedReason(exitCode int, oomKilled bool) string {
	switch {
	case oomKilled:
		return ReasonOOMKilled
	case exitCode == 0:
		return ReasonCompleted
	default:
		return ReasonError
	}
}

// ContainerStatus is the state of one container instance (one attempt).
type ContainerStatus struct {
	// ID of the container.
	ID string
	// Name is the container's name in the pod spec.
	Name string
	// Attempt numbers the start; the latest attempt is the restartCount.
	Attempt int
	// State of the container. With StateExited, ExitCode, Reason and
	// FinishedAt are set.
	State State
	// ExitCode of the terminated container.
	ExitCode int
	// Reason is one of the Reason constants for an exited container.
	Reason string
	// Message says more about a failure, for example why it could not run.
	Message string
	// CreatedAt, StartedAt and FinishedAt are zero when they have not
	// happened.
	CreatedAt, StartedAt, FinishedAt time.Time
	// Image is the image as the pod spec names it; ImageID identifies the
	// image the container runs, for example "docker://sha256:…".
	Image, ImageID string
}

// PodStatus is what a runtime knows of a pod.
type PodStatus struct {
	// UID, Namespace and Name identify the pod.
	UID, Namespace, Name string
	// SandboxID is the pod's sandbox, "" when it has none.
	SandboxID string
	// SandboxReady says the sandbox runs; IP is the pod's IP while it does.
	SandboxReady bool
	IP           string
	// Containers holds every instance the runtime keeps, sorted by name
	// and then newest attempt first.
	Containers []ContainerStatus
}

// SortContainers sorts s.Containers by name, then newest attempt first.
// Runtimes call it before returning a PodStatus.
func (s *PodStatus) SortContainers() {
	sort.Slice(s.Containers, func(i, j int) bool {
		a, b := &s.Containers[i], &s.Containers[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Attempt > b.Attempt
	})
}

// Latest returns the newest instance of the named container, or nil.
func (s *PodStatus) Latest(name string) *ContainerStatus {
	for i := range s.Containers {
		if s.Containers[i].Name == name {
			return &s.Containers[i]
		}
	}
	return nil
}

// Previous returns the newest terminated instance older than the latest
// one of the named container (its lastState), or nil.
func (s *PodStatus) Previous(name string) *ContainerStatus {
	latest := true
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Name != name {
			continue
		}
		if !latest && c.State == StateExited {
			return c
		}
		latest = false
	}
	return nil
}

// LogOptions select what Logs writes, as the query of
// /api/v1/namespaces/{ns}/pods/{name}/log does.
type LogOptions struct {
	// Follow keeps streaming until the container exits.
	Follow bool
	// Previous selects the terminated instance before the latest one.
	Previous bool
	// Timestamps prefixes each line with its RFC 3339 time (nanoseconds).
	Timestamps bool
	// TailLines, when set, writes only the last that many lines.
	TailLines *int64
	// Since, when set, skips lines written before it.
	Since time.Time
}

// Errors of StartContainer, to be mapped to a waiting reason (see
// WaitingReason); the wrapping error says more.
var (
	// ErrImagePull means the image is absent and could not be pulled, or
	// imagePullPolicy is Always and the pull failed; runtimes return it as
	// a *PullError.
	ErrImagePull = errors.New("pull image")
	// ErrImageNeverPull means the image is absent and imagePullPolicy is
	// Never.
	ErrImageNeverPull = errors.New("image is absent and imagePullPolicy is Never")
	// ErrCreateContainer means the runtime refused to create the container.
	ErrCreateContainer = errors.New("create container")
	// ErrRunContainer means the container was created but could not run,
	// for example because its command does not exist.
	ErrRunContainer = errors.New("run container")
)

// PullError is the error of a failed image pull: errors.Is(err,
// ErrImagePull) holds, and its message names the image once, followed by
// the runtime's reason ("pull image nginx:1.27: <reason>").
type PullError struct {
	Image string
	Err   error // the runtime's reason, as Kubernetes' events show it
}

func (e *PullError) Error() string { return "pull image " + e.Image + ": " + e.Err.Error() }

// Is makes a PullError an ErrImagePull.
func (e *PullError) Is(target error) bool { return target == ErrImagePull }

func (e *PullError) Unwrap() error { return e.Err }

// PullReason returns the runtime's reason of a failed pull, without the
// image, for messages that name the image already; err itself if it is not
// a PullError.
func PullReason(err error) error {
	var pe *PullError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ErrNotFound means Logs found no container with that name (or no
// previous one).
var ErrNotFound = errors.New("container not found")

// WaitingReason returns the reason Kubernetes shows in a container's
// waiting state for an error of StartContainer, or "" for other errors.
func WaitingReason(err error) string {
	switch {
	case errors.Is(err, ErrImagePull):
		return "ErrImagePull"
	case errors.Is(err, ErrImageNeverPull):
		return "ErrImageNeverPull"
	case errors.Is(err, ErrCreateContainer):
		return "CreateContainerError"
	case errors.Is(err, ErrRunContainer):
		return "RunContainerError"
	default:
		return ""
	}
}

// PullPolicy returns c's imagePullPolicy, defaulted as the API server
// defaults it: Always for an image without a tag or tagged "latest",
// IfNotPresent otherwise.
func PullPolicy(c *api.Container) api.PullPolicy {
	if c.ImagePullPolicy != "" {
		return c.ImagePullPolicy
	}
	if tag := imageTag(c.Image); tag == "" || tag == "latest" {
		return api.PullAlways
	}
	return api.PullIfNotPresent
}

// imageTag returns the tag of an image reference, "" if none. For a
// reference by digest it returns the digest's hex part, which is not
// "latest" either.
func imageTag(image string) string {
	for i := len(image) - 1; i >= 0; i-- {
		switch image[i] {
		case ':':
			return image[i+1:]
		case '/':
			return "" // a colon before it belongs to a registry's port
		}
	}
	return ""
}

// Streamer is an optional capability of a Runtime: running a command in a
// container with its standard streams attached, for pods/exec. The sim
// runtime has no processes and does not implement it.
type Streamer interface {
	// ExecStream runs cmd in the pod's latest container named container
	// with the streams of s and returns its exit code once it ends. When
	// ctx ends first (the caller hung up), the command is killed. It
	// returns an error wrapping ErrNotFound when there is no such
	// container and ErrNotRunning when it does not run.
	ExecStream(ctx context.Context, podUID, container string, cmd []string, s Streams) (int, error)
}

// Attacher is an optional capability of a Runtime: attaching streams to a
// container's running process, for pods/attach.
type Attacher interface {
	// AttachStream attaches s to the process of the pod's latest
	// container named container until it exits or ctx ends (which only
	// detaches). Errors are those of Streamer.ExecStream.
	AttachStream(ctx context.Context, podUID, container string, s Streams) error
}

// Streams are the standard streams of an exec. Nil streams are not
// attached. With TTY, Stderr is unused (a terminal has one output) and
// Resize delivers the terminal's size changes until it is closed.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	Resize         <-chan TermSize
}

// TermSize is a terminal's size in characters.
type TermSize struct {
	Width, Height uint16
}

// ErrNotRunning means the container exists but does not run, so nothing
// can be executed in it.
var ErrNotRunning = errors.New("container is not running")

// UsageReporter is a Runtime that measures what its containers use, for
// the kubelet's resource metrics endpoint (and so metrics.k8s.io, `kubectl
// top` and the HorizontalPodAutoscaler).
type UsageReporter interface {
	// Usage returns the usage of pod's running containers, measured now.
	// pod is the kubelet's current copy of the pod (the simulated runtime's
	// usage follows its annotations). A pod without running containers has
	// none, and no error.
	Usage(ctx context.Context, pod *api.Pod) ([]ContainerUsage, error)
}

// ContainerUsage is what one container has used.
type ContainerUsage struct {
	// Name is the container's name in the pod spec.
	Name string
	// CPUSeconds is the CPU time the container has used since it started
	// (a counter: rates come from two samples).
	CPUSeconds float64
	// MemoryWorkingSet is the memory in use now, in bytes, without the
	// page cache the kernel can reclaim (the kubelet's working set).
	MemoryWorkingSet uint64
	// StartedAt is when the container started; Timestamp when it was
	// measured.
	StartedAt, Timestamp time.Time
}
