package kubelet

import (
	"fmt"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Waiting reasons the kubelet reports itself (the runtime's start errors
// map to more through runtime.WaitingReason).
const (
	ReasonContainerCreating  = "ContainerCreating"
	ReasonPodInitializing    = "PodInitializing"
	ReasonCrashLoopBackOff   = "CrashLoopBackOff"
	ReasonImagePullBackOff   = "ImagePullBackOff"
	ReasonCreateConfigError  = "CreateContainerConfigError"
	reasonContainersNotReady = "ContainersNotReady"
	reasonNotInitialized     = "ContainersNotInitialized"
	reasonPodCompleted       = "PodCompleted"
)

// statusInput is what a pod's status is computed from.
type statusInput struct {
	pod *api.Pod
	// old is the status last reported; its times carry over.
	old *api.PodStatus
	rs  *runtime.PodStatus
	// hostIP is the node's address.
	hostIP string
	now    time.Time
	// waiting overrides the state of containers that wait for a back-off
	// or failed to start, by container name.
	waiting map[string]*api.ContainerStateWaiting
	// ready reports the readiness of a running container.
	ready func(c *api.Container, cs *runtime.ContainerStatus) bool
}

// buildStatus computes a pod's status from its runtime state, as the
// Kubernetes kubelet's generateAPIPodStatus does.
func buildStatus(in statusInput) api.PodStatus {
	old := in.old
	st := api.PodStatus{
		Conditions:        append([]api.PodCondition(nil), old.Conditions...),
		NominatedNodeName: old.NominatedNodeName,
		QOSClass:          old.QOSClass,
		StartTime:         old.StartTime,
	}
	if st.QOSClass == "" {
		st.QOSClass = api.ComputeQOSClass(&in.pod.Spec)
	}
	if st.StartTime == nil {
		t := api.NewTime(in.now)
		st.StartTime = &t
	}
	if in.hostIP != "" {
		st.HostIP, st.HostIPs = in.hostIP, []api.HostIP{{IP: in.hostIP}}
	}
	ip := in.rs.IP
	if in.pod.Spec.HostNetwork {
		ip = in.hostIP
	}
	if ip == "" {
		ip = old.PodIP
	}
	if ip != "" {
		st.PodIP, st.PodIPs = ip, []api.PodIP{{IP: ip}}
	}
	spec := &in.pod.Spec
	initialized := true
	var incomplete []string
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		cs := containerStatus(in, c, ReasonPodInitializing)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
			initialized = false
			incomplete = append(incomplete, c.Name)
		}
	}
	waitReason := ReasonContainerCreating
	if !initialized {
		waitReason = ReasonPodInitializing
	}
	var unready []string
	for i := range spec.Containers {
		c := &spec.Containers[i]
		cs := containerStatus(in, c, waitReason)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			unready = append(unready, c.Name)
		}
	}
	st.Phase = podPhase(spec, st.InitContainerStatuses, st.ContainerStatuses, old.Phase)

	at := api.NewTime(in.now)
	cond := func(t api.PodConditionType, ok bool, reason, msg string) {
		c := api.PodCondition{Type: t, Status: api.ConditionTrue, LastTransitionTime: at}
		if !ok {
			c.Status, c.Reason, c.Message = api.ConditionFalse, reason, msg
		}
		api.SetPodCondition(&st, c)
	}
	if api.GetPodCondition(&st, api.PodScheduled) == nil {
		cond(api.PodScheduled, true, "", "")
	}
	terminal := st.Phase == api.PodSucceeded || st.Phase == api.PodFailed
	switch {
	case terminal && initialized:
		cond(api.PodInitialized, true, "", "")
	default:
		cond(api.PodInitialized, initialized, reasonNotInitialized, listMessage("containers with incomplete status", incomplete))
	}
	readyReason, readyMsg := reasonContainersNotReady, listMessage("containers with unready status", unready)
	if terminal {
		readyReason, readyMsg = reasonPodCompleted, ""
	}
	ready := !terminal && len(unready) == 0
	cond(api.ContainersReady, ready, readyReason, readyMsg)
	cond(api.PodReady, ready, readyReason, readyMsg)
	return st
}

func listMessage(prefix string, names []string) string {
	return fmt.Sprintf("%s: [%s]", prefix, strings.Join(names, " "))
}

// containerStatus reports the latest instance of c, with the terminated
// one before it as its lastState. waitReason is the waiting reason of a
// container not created yet.
func containerStatus(in statusInput, c *api.Container, waitReason string) (out api.ContainerStatus) {
	out = api.ContainerStatus{Name: c.Name, Image: c.Image}
	started := false
	defer func() { out.Started = &started }()
	if prev := in.rs.Previous(c.Name); prev != nil {
		out.LastTerminationState.Terminated = terminated(prev)
	}
	cs := in.rs.Latest(c.Name)
	if cs == nil {
		if w := in.waiting[c.Name]; w != nil {
			out.State.Waiting = w
		} else {
			out.State.Waiting = &api.ContainerStateWaiting{Reason: waitReason}
		}
		return out
	}
	out.RestartCount = int32(cs.Attempt)
	out.ContainerID = cs.ID
	out.ImageID = cs.ImageID
	switch cs.State {
	case runtime.StateRunning:
		out.State.Running = &api.ContainerStateRunning{StartedAt: api.NewTime(cs.StartedAt)}
		started = true
		out.Ready = in.ready == nil || in.ready(c, cs)
	case runtime.StateExited:
		if w := in.waiting[c.Name]; w != nil {
			out.State.Waiting = w
			out.LastTerminationState.Terminated = terminated(cs)
		} else {
			out.State.Terminated = terminated(cs)
		}
	default:
		if w := in.waiting[c.Name]; w != nil {
			out.State.Waiting = w
		} else {
			out.State.Waiting = &api.ContainerStateWaiting{Reason: ReasonContainerCreating}
		}
	}
	return out
}

func terminated(cs *runtime.ContainerStatus) *api.ContainerStateTerminated {
	reason := cs.Reason
	if reason == "" {
		reason = runtime.TerminatedReason(cs.ExitCode, false)
	}
	return &api.ContainerStateTerminated{
		ExitCode:    int32(cs.ExitCode),
		Reason:      reason,
		Message:     cs.Message,
		StartedAt:   api.NewTime(cs.StartedAt),
		FinishedAt:  api.NewTime(cs.FinishedAt),
		ContainerID: cs.ID,
	}
}

// podPhase is the pod's phase from its container statuses, by the rules of
// the Kubernetes kubelet's getPhase. A terminal phase never changes.
func podPhase(spec *api.PodSpec, initStatuses, statuses []api.ContainerStatus, old api.PodPhase) api.PodPhase {
	if old == api.PodSucceeded || old == api.PodFailed {
		return old
	}
	for _, cs := range initStatuses {
		t := cs.State.Terminated
		if t != nil && t.ExitCode == 0 {
			continue
		}
		failed := t != nil || (cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil)
		if failed && spec.RestartPolicy == api.RestartPolicyNever {
			return api.PodFailed
		}
		return api.PodPending
	}
	var waiting, running, stopped, succeeded int
	for _, cs := range statuses {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.LastTerminationState.Terminated != nil:
			// Waiting to restart after it exited.
			stopped++
			if cs.LastTerminationState.Terminated.ExitCode == 0 {
				succeeded++
			}
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return api.PodPending
	case running > 0:
		return api.PodRunning
	case stopped > 0:
		if spec.RestartPolicy == api.RestartPolicyAlways {
			return api.PodRunning // restarting
		}
		if stopped == succeeded {
			return api.PodSucceeded
		}
		if spec.RestartPolicy == api.RestartPolicyNever {
			return api.PodFailed
		}
		return api.PodRunning // OnFailure: restarting the failed ones
	default:
		return api.PodPending
	}
}

// shouldRestart says whether a container that exited with exitCode runs
// again under policy.
func shouldRestart(policy api.RestartPolicy, exitCode int) bool {
	switch policy {
	case api.RestartPolicyNever:
		return false
	case api.RestartPolicyOnFailure:
		return exitCode != 0
	default:
		return true
	}
}
