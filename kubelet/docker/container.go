package docker

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// StartContainer pulls c's image as its policy says, removes instances of
// c that this attempt makes redundant, then creates and starts c in the
// sandbox's network and IPC namespaces.
func (r *Runtime) StartContainer(ctx context.Context, p *api.Pod, c *api.Container, mounts []runtime.Mount, sandboxID string, attempt int) (string, error) {
	if err := r.ensureImage(ctx, c); err != nil {
		return "", err
	}
	if err := r.prune(ctx, p.UID, c.Name, attempt); err != nil {
		return "", fmt.Errorf("%w: %v", runtime.ErrCreateContainer, err)
	}

	labels := r.labels(p, typeContainer)
	labels[LabelContainerName] = c.Name
	labels[LabelAttempt] = strconv.Itoa(attempt)
	env := make([]string, 0, len(c.Env))
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	sandbox := "container:" + dockerID(sandboxID)
	created, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: containerName(c.Name, p, attempt),
		Config: &container.Config{
			Image:      c.Image,
			Entrypoint: c.Command, // nil keeps the image's ENTRYPOINT
			Cmd:        c.Args,    // nil keeps the image's CMD, unless Command is set
			Env:        env,
			WorkingDir: c.WorkingDir,
			Tty:        c.TTY,
			OpenStdin:  c.Stdin,
			StdinOnce:  c.StdinOnce,
			Labels:     labels,
		},
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(sandbox),
			IpcMode:     container.IpcMode(sandbox),
			Resources:   resources(c.Resources),
			Mounts:      binds(mounts),
		},
	})
	if err != nil {
		return "", fmt.Errorf("%w: %v", runtime.ErrCreateContainer, err)
	}
	if _, err := r.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		// The container stays, recording the failed attempt.
		return "", fmt.Errorf("%w: %v", runtime.ErrRunContainer, err)
	}
	r.log.Debug().Str("pod", p.Namespace+"/"+p.Name).Str("container", c.Name).
		Int("attempt", attempt).Str("id", shortID(created.ID)).Msg("container started")
	return idPrefix + created.ID, nil
}

// binds are the kubelet's mounts as Docker bind mounts.
func binds(mounts []runtime.Mount) []mount.Mount {
	if len(mounts) == 0 {
		return nil
	}
	out := make([]mount.Mount, 0, len(mounts))
	for _, m := range mounts {
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.HostPath, Target: m.ContainerPath, ReadOnly: m.ReadOnly})
	}
	return out
}

// resources maps Kubernetes requests and limits to Docker's cgroup
// settings, as the kubelet's dockershim did.
func resources(rr api.ResourceRequirements) container.Resources {
	var res container.Resources
	if cpu, ok := rr.Limits[api.ResourceCPU]; ok {
		res.NanoCPUs = cpu.MilliValue() * 1e6
	}
	if mem, ok := rr.Limits[api.ResourceMemory]; ok {
		res.Memory = mem.Value()
	}
	cpu, ok := rr.Requests[api.ResourceCPU]
	if !ok {
		cpu, ok = rr.Limits[api.ResourceCPU]
	}
	if ok {
		res.CPUShares = max(cpu.MilliValue()*1024/1000, 2) // 2 is the kernel's minimum
	}
	return res
}

// ensureImage makes c's image present as its pull policy says.
func (r *Runtime) ensureImage(ctx context.Context, c *api.Container) error {
	policy := runtime.PullPolicy(c)
	if policy != api.PullAlways {
		present, err := r.imagePresent(ctx, c.Image)
		if err != nil {
			return &runtime.PullError{Image: c.Image, Err: err}
		}
		if present {
			return nil
		}
		if policy == api.PullNever {
			return fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, c.Image)
		}
	}
	if err := r.pull(ctx, c.Image); err != nil {
		return &runtime.PullError{Image: c.Image, Err: err}
	}
	return nil
}

func (r *Runtime) imagePresent(ctx context.Context, image string) (bool, error) {
	_, err := r.cli.ImageInspect(ctx, image)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspect: %w", err)
	}
}

func (r *Runtime) pull(ctx context.Context, image string) error {
	r.log.Info().Str("image", image).Msg("pulling image")
	resp, err := r.cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(ctx)
	}
	return err // the caller names the image
}

// prune removes the instances of the pod's container name that a new
// attempt makes redundant: a leftover of the same attempt, and every
// stopped one but the newest (kept for `logs --previous`). Running ones
// are left alone.
func (r *Runtime) prune(ctx context.Context, podUID, name string, attempt int) error {
	cs, err := r.instances(ctx, podUID, name)
	if err != nil {
		return err
	}
	keptStopped := false
	for _, c := range cs {
		a := attemptOf(c.Labels)
		if c.State == container.StateRunning && a != attempt {
			continue
		}
		if a != attempt && !keptStopped {
			keptStopped = true
			continue
		}
		if err := r.remove(ctx, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// StopContainer stops the container as `docker stop -t` does: its stop
// signal (SIGTERM by default), then SIGKILL after grace, rounded up to
// whole seconds. It returns once the container has exited.
func (r *Runtime) StopContainer(ctx context.Context, containerID string, grace time.Duration) error {
	timeout := int(math.Ceil(max(grace, 0).Seconds()))
	_, err := r.cli.ContainerStop(ctx, dockerID(containerID), client.ContainerStopOptions{Timeout: &timeout})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("stop container %s: %w", shortID(containerID), err)
	}
	return nil
}

// RemovePod force-removes the pod's containers, then its sandboxes.
func (r *Runtime) RemovePod(ctx context.Context, podUID string) error {
	cs, err := r.list(ctx, LabelPodUID+"="+podUID)
	if err != nil {
		return err
	}
	for _, typ := range []string{typeContainer, typeSandbox} {
		for _, c := range cs {
			if c.Labels[LabelType] == typ {
				if err := r.remove(ctx, c.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
