// Package clientgo is minik8s's client-go compatibility suite. It is a Go
// module of its own, so that the minik8s binary never depends on k8s.io/*.
//
// Its tests build the minik8s binary from the enclosing module (or use
// $MINIK8S_BIN), start one cluster with three simulated nodes on SQLite in
// a temporary data dir, and drive it only through client-go
// (k8s.io/client-go, k8s.io/api, k8s.io/apimachinery):
//
//   - a shared informer factory's caches of pods and deployments match the
//     server's lists exactly after creates, updates and deletes, with the
//     WatchListClient feature gate both on (streamed initial list) and off
//     (list then watch);
//   - a typed clientset creates a Deployment and scales it through the scale
//     subresource and through spec.replicas, and the controllers converge;
//   - client-go's tools/leaderelection with a LeaseLock elects exactly one of
//     three candidates, and a released lease passes to another;
//   - discovery lists pods, deployments and leases.
//
// By default the cluster is `minik8s all`; MINIK8S_CLIENTGO_MODE=split runs
// the apiserver, scheduler, controller-manager and kubelet commands as
// separate processes instead. Run with `go test ./...` in this directory.
package clientgo
