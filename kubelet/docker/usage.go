package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

var _ runtime.UsageReporter = (*Runtime)(nil)

// Usage reports the pod's running containers from the engine's stats API,
// one one-shot sample each (no waiting for a second sample: the CPU
// counter is cumulative, and whoever reads it takes the rate between two
// reads, as metrics-server does with the kubelet's).
func (r *Runtime) Usage(ctx context.Context, p *api.Pod) ([]runtime.ContainerUsage, error) {
	cs, err := r.list(ctx, LabelPodUID+"="+p.UID, LabelType+"="+typeContainer)
	if err != nil {
		return nil, err
	}
	newest := map[string]container.Summary{}
	for _, c := range cs {
		name := c.Labels[LabelContainerName]
		if old, ok := newest[name]; !ok || attemptOf(c.Labels) > attemptOf(old.Labels) {
			newest[name] = c
		}
	}
	var out []runtime.ContainerUsage
	for _, spec := range p.Spec.Containers {
		c, ok := newest[spec.Name]
		if !ok || c.State != container.StateRunning {
			continue
		}
		u, err := r.stats(ctx, c.ID)
		if cerrdefs.IsNotFound(err) {
			continue // gone since the list
		}
		if err != nil {
			return nil, err
		}
		u.Name, u.StartedAt = spec.Name, time.Unix(c.Created, 0)
		out = append(out, u)
	}
	return out, nil
}

// stats takes one sample of a container's usage.
func (r *Runtime) stats(ctx context.Context, id string) (runtime.ContainerUsage, error) {
	res, err := r.cli.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: false})
	if err != nil {
		return runtime.ContainerUsage{}, err
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return runtime.ContainerUsage{}, fmt.Errorf("stats of container %s: %w", shortID(id), err)
	}
	return runtime.ContainerUsage{
		CPUSeconds:       float64(s.CPUStats.CPUUsage.TotalUsage) / 1e9,
		MemoryWorkingSet: workingSet(s.MemoryStats),
		Timestamp:        s.Read,
	}, nil
}

// workingSet is the memory in use without the inactive page cache, as the
// kubelet (cAdvisor) counts it: inactive_file on cgroup v2,
// total_inactive_file on v1.
func workingSet(m container.MemoryStats) uint64 {
	inactive, ok := m.Stats["inactive_file"]
	if !ok {
		inactive = m.Stats["total_inactive_file"]
	}
	if inactive > m.Usage {
		return 0
	}
	return m.Usage - inactive
}
