// Package sim is a simulated container runtime, as KWOK simulates nodes:
// it implements kubelet/runtime.Runtime in memory, with no process, image
// or network behind it, so that one process can hold a thousand nodes.
//
// Behaviour:
//
//   - EnsureSandbox allocates the pod an IP from the node's pod CIDR
//     (Config.PodCIDR; NodePodCIDR gives node i its own /24). The first
//     and last addresses and the gateway (.1) are never handed out; an
//     exhausted range is an error. RemovePod frees the address.
//
//   - A started container is created, then running after
//     Config.StartDelay plus a uniform random jitter below
//     Config.StartJitter; with both zero it is running when StartContainer
//     returns. StopContainer makes it exit 0 at once; RemovePod drops it.
//
//   - Its logs are the lines of the AnnotationLog annotation, or one
//     synthetic line, all stamped with the time it started.
//
//   - Pod annotations, read at each StartContainer and applying to every
//     container of the pod, make containers misbehave:
//
//     sim.minik8s.io/exit-after: "5s"       running containers exit after 5s
//     sim.minik8s.io/exit-code: "1"         ... with this code (default 0;
//     setting only the code exits at once)
//     sim.minik8s.io/fail-start: "true"     StartContainer fails (ErrRunContainer)
//     and records ContainerCannotRun, 128
//     sim.minik8s.io/image-absent: "true"   the image is not on the node and no
//     registry has it (ErrImagePull, or
//     ErrImageNeverPull for Never)
//     sim.minik8s.io/ignore-sigterm: "true" StopContainer waits the whole grace
//     period, then kills (exit 137)
//     sim.minik8s.io/log: "line1\nline2"    the containers' output
//
//   - Usage (runtime.UsageReporter) reports what the running containers
//     use, for the kubelet's /metrics/resource and so `kubectl top` and
//     the HorizontalPodAutoscaler. Two pod annotations, read at every
//     call, so that they can change while the pod runs ("load" a pod),
//     give the pod's total, split evenly over its containers:
//
//     sim.minik8s.io/cpu-usage: "250m"      CPU in use (cores); the CPU
//     time counter grows at this rate
//     sim.minik8s.io/memory-usage: "64Mi"   memory working set
//
//     Without them each container uses 1m CPU and 4Mi of memory.
//
//   - Kill ends a running container as `docker kill` would, for tests.
//
// Cost: a container is a small struct; timed transitions use time.AfterFunc,
// so no goroutine exists per pod or container except while a transition
// runs or a caller follows logs. A Runtime is safe for concurrent use; one
// mutex guards its state. It implements runtime.Notifier: transitions it
// makes on its own (running after the delay, exit-after, Kill) call the
// registered function with the pod's UID.
package sim
