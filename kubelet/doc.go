// Package kubelet is minik8s's node agent: it registers nodes, keeps them
// alive, and runs the pods bound to them on a container runtime
// (kubelet/runtime: Docker, or simulated), reporting their status back
// through the API server. One Kubelet runs one node or, for simulated
// clusters, many nodes at the cost of one: one pod informer, one work
// queue and worker pool, one heartbeat loop and one log server serve them
// all.
//
// Nodes:
//
//   - Run registers each Node (labels kubernetes.io/hostname, os and arch;
//     capacity and allocatable cpu and memory from runtime.Info, pods from
//     Config.MaxPods; InternalIP Config.Address; the log port in
//     daemonEndpoints; nodeInfo), or adopts one that exists.
//   - Each node's Lease in kube-node-lease (holder the node's name,
//     NodeLeaseDurationSeconds) is renewed every NodeLeaseRenewInterval:
//     the Lease is the node's heartbeat. Its status, with a Ready=True
//     condition (reason KubeletReady) and a heartbeat time, is computed
//     every NodeStatusUpdateInterval and written only when it differs from
//     the Node the API server has (heartbeat times aside; the Nodes are
//     watched) or NodeStatusReportFrequency after the last write, as the
//     Kubernetes kubelet does with Leases. A node marked not ready
//     meanwhile is written Ready again at once. On a runtime that lists
//     images (Docker) the status carries status.images, listed at each
//     computation (the 50 largest, as the kubelet reports them). The
//     nodes' turns are spread over the interval. Failures are retried at
//     the next turn; a Node deleted meanwhile is registered again.
//
// Pods:
//
//   - An informer watches the pods bound to the nodes (spec.nodeName). A
//     work queue keyed by pod UID hands each pod to one worker at a time;
//     changes seen by the informer, by the periodic relist of the runtimes
//     (or their notifications, runtime.Notifier), by probes and by timers
//     all just queue the pod, and its sync compares the spec with the
//     runtime's state (runtime.PodStatus), level-triggered.
//   - A sync ensures the sandbox, runs the init containers one at a time
//     (each must exit 0), then starts the containers. A container that
//     exited is restarted as restartPolicy says (Always, OnFailure,
//     Never): the first restart at once, later ones after a back-off that
//     doubles from BackoffInitial to BackoffMax (waiting reason
//     CrashLoopBackOff, event BackOff). A start that fails (image pull,
//     configuration) is retried with the same back-off.
//   - Before its containers start, the pod's volumes are set up
//     (volumes.go: files under Config.RootDir, bind-mounted, on nodes that
//     run real containers; a missing ConfigMap or Secret is a FailedMount
//     event and the pod waits). Each container's environment is made as
//     the Kubernetes kubelet makes it (env.go: envFrom, env with valueFrom,
//     $(VAR) expansion, Service variables, HOSTNAME); a missing reference
//     is the waiting reason CreateContainerConfigError. ConfigMaps and
//     Secrets are read with the node's identity and kept
//     ConfigRefreshPeriod, in one cache for all the process's nodes
//     (configcache.go); ServiceAccount tokens come from
//     the TokenRequest API, bound to the pod (token.go). Pods reach the API
//     server at Config.PodAPIServer, or on Docker through the kubelet's
//     forwarder on the bridge gateway (apiforward.go).
//   - The status (phase, conditions, container statuses, IPs, start time)
//     follows the Kubernetes kubelet's rules and is written as a merge
//     patch of pods/status only when it changed; writes are queued per pod
//     so that only the latest status of a pod is written. A sync whose
//     status equals the one standing encodes nothing, and once the API
//     server holds a status the kubelet keeps the informer's copy of it
//     rather than its own (sync.go: serverStatus).
//   - Readiness and liveness probes (httpGet and tcpSocket against the pod
//     IP; exec when the runtime implements Execer) run with their timing
//     fields; a failed liveness probe restarts the container. Pods of
//     simulated nodes pass their probes unless AnnotationProbeFail says
//     otherwise.
//   - A pod with a deletionTimestamp has its containers stopped (SIGTERM,
//     then SIGKILL after the deletion's grace period) and removed; then
//     the kubelet deletes it with grace period 0 and the pod's UID as a
//     precondition.
//   - After the informer's first sync, containers of pods that are gone, or
//     not bound to the node, are removed: this is how a restarted kubelet
//     reconciles.
//   - Events (Pulling, Pulled, Created, Started, Killing, BackOff,
//     Unhealthy, Failed) go to each Node's EventRecorder.
//
// Logs: the log server answers GET
// /containerLogs/{namespace}/{pod}/{container} with the query of pods/log
// (follow, previous, timestamps, tailLines, sinceSeconds, limitBytes); the
// API server proxies kubectl logs to it. Errors are Status objects. The
// same server takes exec, attach and port-forward streams, and
// /connect/{namespace}/{pod}/{port}: an upgrade to a TCP stream to the
// pod's port, through which the API server's pod and service proxies
// reach pods. All but /healthz serve the API server only.
//
// Resource metrics: GET /metrics/resource (API server only) measures the
// running containers of the nodes' pods through runtimes that implement
// runtime.UsageReporter and answers in the Prometheus text format of a
// Kubernetes kubelet's endpoint, with a node label (metrics.go). Nothing
// is measured unless asked.
//
// A Kubelet is safe for concurrent use; Run may be called once.
package kubelet
