package docker

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/kubelet/runtime"
)

// ListPods returns the pods of this node's containers, read back from
// their labels.
func (r *Runtime) ListPods(ctx context.Context) ([]runtime.PodStatus, error) {
	cs, err := r.list(ctx)
	if err != nil {
		return nil, err
	}
	byUID := map[string][]container.Summary{}
	for _, c := range cs {
		uid := c.Labels[LabelPodUID]
		byUID[uid] = append(byUID[uid], c)
	}
	out := make([]runtime.PodStatus, 0, len(byUID))
	for uid, cs := range byUID {
		s, err := r.podStatus(ctx, uid, cs)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// PodStatus returns the status of the pod's containers on this node.
func (r *Runtime) PodStatus(ctx context.Context, podUID string) (runtime.PodStatus, error) {
	cs, err := r.list(ctx, LabelPodUID+"="+podUID)
	if err != nil {
		return runtime.PodStatus{}, err
	}
	return r.podStatus(ctx, podUID, cs)
}

// podStatus inspects the pod's containers cs. Of several sandboxes (a dead
// one not yet replaced), a running one wins.
func (r *Runtime) podStatus(ctx context.Context, uid string, cs []container.Summary) (runtime.PodStatus, error) {
	s := runtime.PodStatus{UID: uid}
	for _, c := range cs {
		ins, err := r.cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if cerrdefs.IsNotFound(err) {
			continue // removed since the list
		} else if err != nil {
			return s, fmt.Errorf("inspect container %s: %w", shortID(c.ID), err)
		}
		ct := ins.Container
		s.Namespace, s.Name = c.Labels[LabelPodNamespace], c.Labels[LabelPodName]
		if c.Labels[LabelType] == typeSandbox {
			running := ct.State != nil && ct.State.Running
			if s.SandboxID == "" || (running && !s.SandboxReady) {
				s.SandboxID, s.SandboxReady = idPrefix+c.ID, running
				s.IP = ""
				if running {
					s.IP = sandboxIP(ct)
				}
			}
			continue
		}
		s.Containers = append(s.Containers, containerStatus(c, ct))
	}
	s.SortContainers()
	return s, nil
}

// containerStatus maps Docker's view of a container to the runtime's.
func containerStatus(c container.Summary, ct container.InspectResponse) runtime.ContainerStatus {
	st := runtime.ContainerStatus{
		ID:        idPrefix + c.ID,
		Name:      c.Labels[LabelContainerName],
		Attempt:   attemptOf(c.Labels),
		CreatedAt: parseTime(ct.Created),
		ImageID:   idPrefix + ct.Image,
		State:     runtime.StateUnknown,
	}
	if ct.Config != nil {
		st.Image = ct.Config.Image
	}
	ds := ct.State
	if ds == nil {
		return st
	}
	st.StartedAt, st.FinishedAt = parseTime(ds.StartedAt), parseTime(ds.FinishedAt)
	if !st.FinishedAt.IsZero() && st.FinishedAt.Before(st.StartedAt) {
		// Docker stamps StartedAt after starting the process, so a process
		// that exits at once seems to finish before it started.
		st.StartedAt = st.FinishedAt
	}
	switch ds.Status {
	case container.StateRunning, container.StatePaused, container.StateRestarting:
		st.State = runtime.StateRunning
	case container.StateExited, container.StateDead, container.StateRemoving:
		st.State, st.ExitCode = runtime.StateExited, ds.ExitCode
		st.Reason, st.Message = runtime.TerminatedReason(ds.ExitCode, ds.OOMKilled), ds.Error
	case container.StateCreated:
		st.State = runtime.StateCreated
		if ds.Error != "" || ds.ExitCode != 0 { // it failed to start
			st.State, st.ExitCode = runtime.StateExited, ds.ExitCode
			if st.ExitCode == 0 {
				st.ExitCode = 128
			}
			st.Reason, st.Message = runtime.ReasonContainerCannotRun, ds.Error
			if st.FinishedAt.IsZero() {
				st.FinishedAt = st.CreatedAt
			}
		}
	}
	return st
}

// parseTime parses Docker's RFC 3339 times; Docker's "never"
// (0001-01-01T00:00:00Z) and garbage give the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
