// Package runtime declares the seam between the kubelet and a container
// runtime: the Runtime interface, the status it reports and the errors it
// returns. Two implementations exist: kubelet/docker runs real containers
// on a Docker engine, kubelet/sim simulates them in memory (as KWOK does).
// kubelet/runtimetest is the conformance suite both pass.
//
// Contract:
//
//   - Every container belongs to a pod, identified by the pod's UID. A pod
//     has one sandbox, which owns its network (and so its IP); the pod's
//     containers join it. EnsureSandbox is idempotent.
//   - Containers are keyed by pod UID, container name and attempt. Attempt
//     0 is the first start, attempt N the Nth restart, so the latest
//     attempt is the container's restartCount. A runtime keeps, per pod and
//     container name, the newest instance and the newest terminated one
//     before it (for `kubectl logs --previous`); StartContainer discards
//     older ones.
//   - A runtime records everything the kubelet needs on the containers
//     themselves (pod namespace, name and UID, container name, attempt), so
//     a restarted kubelet rebuilds its state with ListPods and removes the
//     pods that are gone with RemovePod.
//   - IDs (sandbox and container) are URIs such as "docker://3f2a…" or
//     "sim://00000000000000a1", ready for a ContainerStatus's containerID.
//   - The runtime does not restart containers on its own; the kubelet
//     decides, following the pod's restartPolicy.
//   - All methods are safe for concurrent use. Each returns when its work is
//     done (StopContainer blocks until the container has exited), or with
//     ctx's error once ctx ends.
package runtime
