package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Pod annotations that set the usage simulated containers report, for
// `kubectl top` and the HorizontalPodAutoscaler (see the package doc).
const (
	AnnotationCPUUsage    = "sim.minik8s.io/cpu-usage"
	AnnotationMemoryUsage = "sim.minik8s.io/memory-usage"
)

// The usage of a container whose pod has no usage annotation: an idle
// process.
var (
	idleCPU    = api.MustParse("1m")
	idleMemory = api.MustParse("4Mi")
)

var _ runtime.UsageReporter = (*Runtime)(nil)

// Usage reports the pod's running containers: CPU time integrated from
// the rate its AnnotationCPUUsage asked for over time, and the working
// set its AnnotationMemoryUsage asks for now. Each annotation is the
// pod's total, split evenly over the containers of its spec. The rate
// last seen applies until the next call, so a caller that wants a change
// of the annotation to count from when it happened calls Usage then (the
// kubelet does, on every change of the pod's usage annotations).
func (r *Runtime) Usage(_ context.Context, p *api.Pod) ([]runtime.ContainerUsage, error) {
	cpu, mem, err := usageOf(p)
	if err != nil {
		return nil, err
	}
	n := int64(max(len(p.Spec.Containers), 1))
	perCPU := float64(cpu.MilliValue()) / 1000 / float64(n) // cores
	perMem := uint64(max(mem.Value()/n, 0))
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.ContainerUsage
	for _, spec := range p.Spec.Containers {
		c := r.latest(p.UID, spec.Name)
		if c == nil || c.state != runtime.StateRunning {
			continue
		}
		if c.usageAt.IsZero() {
			c.usageAt, c.cpuRate = c.started, perCPU
		}
		if dt := now.Sub(c.usageAt).Seconds(); dt > 0 {
			c.cpuSeconds += c.cpuRate * dt
			c.usageAt = now
		}
		c.cpuRate = perCPU
		out = append(out, runtime.ContainerUsage{Name: c.name, CPUSeconds: c.cpuSeconds, MemoryWorkingSet: perMem,
			StartedAt: c.started, Timestamp: now})
	}
	return out, nil
}

// usageOf reads the pod's usage annotations; a missing one is an idle
// container's usage times the pod's containers.
func usageOf(p *api.Pod) (cpu, mem api.Quantity, err error) {
	n := int64(max(len(p.Spec.Containers), 1))
	cpu, mem = api.NewMilliQuantity(idleCPU.MilliValue()*n, api.DecimalSI), api.NewQuantity(idleMemory.Value()*n, api.BinarySI)
	for key, dst := range map[string]*api.Quantity{AnnotationCPUUsage: &cpu, AnnotationMemoryUsage: &mem} {
		v, ok := p.Annotations[key]
		if !ok {
			continue
		}
		q, perr := api.ParseQuantity(v)
		if perr != nil || q.Sign() < 0 {
			return cpu, mem, fmt.Errorf("annotation %s: invalid quantity %q", key, v)
		}
		*dst = q
	}
	return cpu, mem, nil
}
