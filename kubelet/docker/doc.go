// Package docker is the kubelet's container runtime on a Docker engine
// (kubelet/runtime.Runtime), through github.com/moby/moby/client with API
// version negotiation, so engines older than the client (Docker 20.10,
// API 1.41) work.
//
// Pods on Docker:
//
//   - A pod's sandbox is a "pause" container on the default bridge
//     network (or the host's, for hostNetwork pods); it owns the pod's
//     network namespace, IP and host ports. The pod's containers join its
//     network and IPC namespaces (NetworkMode "container:<sandbox>").
//   - Every container minik8s creates carries labels: LabelCluster (when
//     Config.Cluster is set, as minik8s sets it), LabelNode,
//     LabelPodNamespace, LabelPodName, LabelPodUID, LabelType, and for
//     application containers LabelContainerName and LabelAttempt. The
//     runtime keeps no other state: ListPods and PodStatus read the labels
//     back, so a restarted kubelet finds its pods, and several kubelets
//     (nodes) of one or several clusters can share one engine, each seeing
//     only its own containers. RemoveCluster removes every container of
//     one cluster (`minik8s reset`).
//   - Containers are named like dockershim's,
//     k8s_<container>_<pod>_<namespace>_<uid>_<attempt>, for `docker ps`.
//   - Command replaces the image's ENTRYPOINT and args its CMD (Kubernetes
//     semantics); env, workingDir, tty and stdin are passed through;
//     limits.cpu becomes NanoCPUs, limits.memory Memory, and requests.cpu
//     CPU shares. Ports with a hostPort are published by the sandbox.
//   - Images are pulled as imagePullPolicy says. A failed pull is
//     ErrImagePull, even under Always with the image present, as in
//     Kubernetes.
//
// The pause image: there is no registry to pull one from, so the default
// PauseImage (minik8s/pause:1) is built, when absent, from the running
// executable itself: FROM scratch, the executable, and MINIK8S_PAUSE=1 in
// its environment. This package's init function sees that variable, and
// then only waits for SIGTERM or SIGINT and exits 0. Any static binary that
// links this package can therefore serve: minik8s itself, or a test binary
// built with CGO_ENABLED=0. A dynamically linked executable is refused with
// a clear error, since FROM scratch has no libc.
//
// A Runtime is safe for concurrent use. The engine is only contacted by
// method calls; New starts nothing.
package docker
