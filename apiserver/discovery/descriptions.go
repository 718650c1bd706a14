package discovery

import "strings"

// typeDescription is the description of the definition def, of Go type
// goName: the owning kind's Docs, this package's table, or a sentence
// naming its group. Docs are keyed by the name in the definition.
func (g *schemaGen) typeDescription(def, goName string) string {
	name := shortName(def)
	r := g.owner(goName)
	if r != nil {
		if d, ok := r.Docs[name]; ok {
			return d
		}
	}
	if d, ok := typeDescriptions[name]; ok {
		return d
	}
	gv := "core/v1"
	switch {
	case r != nil && r.Group != "":
		gv = r.GroupVersion()
	case strings.HasPrefix(def, defAutoscaling):
		gv = "autoscaling/v1"
	case strings.HasPrefix(def, defMeta):
		gv = "meta/v1"
	}
	return name + " is part of the " + gv + " API."
}

// fieldDescription is the description of field (its JSON name) of the
// Go type named typ.
func (g *schemaGen) fieldDescription(typ, field string) string {
	if r := g.owner(typ); r != nil {
		typ = strings.TrimSuffix(typ, r.TypeSuffix())
		if d, ok := r.Docs[typ+"."+field]; ok {
			return d
		}
	}
	if d, ok := fieldDescriptions[typ+"."+field]; ok {
		return d
	}
	if d, ok := fieldDescriptions["*."+field]; ok {
		return d
	}
	return field + " of the " + typ + "."
}

// isRequired reports whether a field is required. As in Kubernetes, a
// field whose JSON tag lacks omitempty is required, except for the few
// that Kubernetes marks optional anyway.
func isRequired(typ, field, tagOpts string) bool {
	if optional[typ+"."+field] {
		return false
	}
	for _, o := range strings.Split(tagOpts, ",") {
		if o == "omitempty" {
			return false
		}
	}
	return true
}

// optional are the fields without omitempty that Kubernetes does not
// require.
var optional = map[string]bool{
	"Event.reportingComponent": true,
	"Event.reportingInstance":  true,
	"ContainerImage.names":     true,
	"Status.metadata":          true,
}

// typeDescriptions are the descriptions of definitions, by type name.
var typeDescriptions = map[string]string{
	"Pod":                     "Pod is a group of containers that share a network namespace and volumes and are scheduled together onto one node.",
	"PodSpec":                 "PodSpec is the desired state of a pod: its containers, volumes, restart policy and scheduling constraints.",
	"PodStatus":               "PodStatus is the most recently observed state of a pod, reported by the scheduler and the kubelet; it may lag behind reality.",
	"Container":               "Container is one application container of a pod.",
	"ContainerPort":           "ContainerPort is a network port a container listens on.",
	"EnvVar":                  "EnvVar is one environment variable of a container.",
	"ResourceRequirements":    "ResourceRequirements are the compute resources a container asks for and may use at most.",
	"VolumeMount":             "VolumeMount mounts one of the pod's volumes into a container.",
	"Volume":                  "Volume is a named volume of a pod that its containers can mount.",
	"Probe":                   "Probe is a periodic health check of a container: exec, HTTP GET or TCP connect.",
	"PodTemplateSpec":         "PodTemplateSpec is the metadata and spec of the pods a workload creates.",
	"Node":                    "Node is a machine that runs pods. Its kubelet registers it and reports its status.",
	"NodeSpec":                "NodeSpec is how a node is configured: its pod IP ranges, taints and whether new pods may be scheduled on it.",
	"NodeStatus":              "NodeStatus is the most recently observed state of a node, reported by its kubelet.",
	"NodeCondition":           "NodeCondition is one aspect of a node's health, such as Ready.",
	"NodeAddress":             "NodeAddress is one address of a node and its kind.",
	"NodeSystemInfo":          "NodeSystemInfo identifies a node's machine, operating system and software versions.",
	"Taint":                   "Taint repels pods that do not tolerate it from the node that carries it.",
	"Toleration":              "Toleration lets a pod be scheduled onto (or stay on) nodes with a matching taint.",
	"Namespace":               "Namespace is a scope for the names of namespaced objects.",
	"Event":                   "Event reports something that happened to an object, such as a pod being scheduled or an image pull failing.",
	"ObjectReference":         "ObjectReference identifies an object, and optionally a field of it.",
	"Binding":                 "Binding assigns a pod to a node; the scheduler creates it through the pod's binding subresource.",
	"Deployment":              "Deployment declares a desired pod template and replica count, and rolls changes out through ReplicaSets.",
	"DeploymentSpec":          "DeploymentSpec is the desired state of a Deployment.",
	"DeploymentStatus":        "DeploymentStatus is the most recently observed state of a Deployment.",
	"DeploymentStrategy":      "DeploymentStrategy says how a Deployment replaces old pods with new ones.",
	"RollingUpdateDeployment": "RollingUpdateDeployment bounds how far a rolling update may go below or above the desired number of pods.",
	"ReplicaSet":              "ReplicaSet keeps a given number of pods from one template running.",
	"ReplicaSetSpec":          "ReplicaSetSpec is the desired state of a ReplicaSet.",
	"ReplicaSetStatus":        "ReplicaSetStatus is the most recently observed state of a ReplicaSet.",
	"Lease":                   "Lease is a lock with a holder and an expiry, used for leader election.",
	"LeaseSpec":               "LeaseSpec is the holder and timing of a lease.",
	"Scale":                   "Scale is the replica count of a scalable resource, read and written through its scale subresource.",
	"ObjectMeta":              "ObjectMeta is the metadata every stored object has: its name, namespace, labels, annotations and server-set fields.",
	"ListMeta":                "ListMeta is the metadata of a list: the revision it was read at and the token of its next page.",
	"OwnerReference":          "OwnerReference names an object that owns this one; when every owner is gone, the garbage collector deletes the dependent.",
	"LabelSelector":           "LabelSelector selects objects by their labels. matchLabels and matchExpressions are ANDed; an empty selector matches everything, a null one nothing.",
	"Status":                  "Status is the body of an error response, and of responses that return no object.",
	"DeleteOptions":           "DeleteOptions may accompany a DELETE request.",
}

// fieldDescriptions are keyed by "Type.field"; "*.field" applies to the
// field of every type that has no entry of its own.
var fieldDescriptions = map[string]string{
	"*.apiVersion": "APIVersion is the versioned schema of this representation of the object, such as v1 or apps/v1.",
	"*.kind":       "Kind is the REST resource this object represents, in CamelCase, such as Pod. It cannot be updated.",
	"*.metadata":   "Standard object metadata.",

	"Pod.spec":   "Spec is the desired behaviour of the pod.",
	"Pod.status": "Status is the most recently observed state of the pod, written by the system. Read-only.",

	"PodSpec.containers":                    "Containers of the pod; there must be at least one. Containers cannot be added or removed once the pod exists.",
	"PodSpec.initContainers":                "InitContainers run one after another, each to completion, before the containers start. If one fails, the pod fails or restarts according to restartPolicy.",
	"PodSpec.volumes":                       "Volumes the pod's containers can mount.",
	"PodSpec.restartPolicy":                 "RestartPolicy applies to every container of the pod: Always (the default), OnFailure or Never.",
	"PodSpec.terminationGracePeriodSeconds": "TerminationGracePeriodSeconds is how long the containers are given to stop after SIGTERM before they are killed. Defaults to 30.",
	"PodSpec.activeDeadlineSeconds":         "ActiveDeadlineSeconds is how long the pod may be active on its node, counted from its start time, before it is failed and its containers killed.",
	"PodSpec.dnsPolicy":                     "DNSPolicy is how the pod's DNS is configured: ClusterFirst (the default), ClusterFirstWithHostNet, Default or None.",
	"PodSpec.nodeSelector":                  "NodeSelector is a set of labels a node must carry for the pod to be scheduled onto it.",
	"PodSpec.serviceAccountName":            "ServiceAccountName is the service account the pod runs as.",
	"PodSpec.serviceAccount":                "ServiceAccount is a deprecated alias of serviceAccountName.",
	"PodSpec.nodeName":                      "NodeName is the node the pod is bound to. It is empty until the scheduler binds the pod; from then on the node's kubelet runs it.",
	"PodSpec.hostNetwork":                   "HostNetwork runs the pod in its node's network namespace. Defaults to false.",
	"PodSpec.securityContext":               "SecurityContext holds security settings for the whole pod, and defaults for its containers.",
	"PodSpec.imagePullSecrets":              "ImagePullSecrets name secrets of the pod's namespace used to pull its images.",
	"PodSpec.hostname":                      "Hostname is the pod's host name; defaults to the pod's name.",
	"PodSpec.affinity":                      "Affinity holds the pod's node affinity and pod (anti-)affinity scheduling constraints.",
	"PodSpec.schedulerName":                 "SchedulerName is the scheduler that places the pod; defaults to default-scheduler.",
	"PodSpec.tolerations":                   "Tolerations let the pod be scheduled onto nodes with matching taints.",
	"PodSpec.priorityClassName":             "PriorityClassName names the pod's priority class.",
	"PodSpec.priority":                      "Priority is the pod's priority, resolved from its priority class.",

	"Container.name":                     "Name of the container, a DNS label unique within the pod. It cannot be updated.",
	"Container.image":                    "Image is the container image to run, such as nginx:1.27.",
	"Container.command":                  "Command replaces the image's ENTRYPOINT. It is not run in a shell; $(VAR) references are expanded from the container's environment. It cannot be updated.",
	"Container.args":                     "Args replace the image's CMD; $(VAR) references are expanded from the container's environment. It cannot be updated.",
	"Container.workingDir":               "WorkingDir is the container's working directory; defaults to the image's. It cannot be updated.",
	"Container.ports":                    "Ports the container listens on. The list is informational: a port left out may still be reachable. It cannot be updated.",
	"Container.env":                      "Env is the environment of the container. It cannot be updated.",
	"Container.resources":                "Resources are the compute resources the container requests and its limits.",
	"Container.volumeMounts":             "VolumeMounts mount the pod's volumes into the container's filesystem. It cannot be updated.",
	"Container.livenessProbe":            "LivenessProbe checks periodically that the container is alive; the container is restarted when it fails. It cannot be updated.",
	"Container.readinessProbe":           "ReadinessProbe checks periodically that the container is ready to serve; while it fails the pod is not ready. It cannot be updated.",
	"Container.startupProbe":             "StartupProbe holds the other probes back until it succeeds once; the container is restarted if it fails.",
	"Container.terminationMessagePath":   "TerminationMessagePath is the file in the container whose content becomes the termination message. Defaults to /dev/termination-log.",
	"Container.terminationMessagePolicy": "TerminationMessagePolicy: File (the default) reads the message from terminationMessagePath; FallbackToLogsOnError uses the end of the log when that file is empty and the container failed.",
	"Container.imagePullPolicy":          "ImagePullPolicy: Always, Never or IfNotPresent. Defaults to Always for the :latest tag, and to IfNotPresent otherwise.",
	"Container.securityContext":          "SecurityContext holds the container's security settings, overriding the pod's.",
	"Container.stdin":                    "Stdin keeps a stdin buffer open for the container; otherwise reading stdin yields EOF. Defaults to false.",
	"Container.stdinOnce":                "StdinOnce closes stdin after the first attach ends. Defaults to false.",
	"Container.tty":                      "TTY allocates a terminal for the container; needs stdin. Defaults to false.",

	"ContainerPort.containerPort":   "ContainerPort is the port number in the container's network namespace, 1-65535.",
	"ContainerPort.hostPort":        "HostPort exposes the port on the node's address as well, 1-65535. Most containers do not need it.",
	"ContainerPort.name":            "Name of the port, an IANA service name unique within the pod.",
	"ContainerPort.protocol":        "Protocol: TCP (the default), UDP or SCTP.",
	"EnvVar.name":                   "Name of the environment variable.",
	"EnvVar.value":                  "Value of the variable; $(VAR) references to variables defined before are expanded. Defaults to \"\".",
	"EnvVar.valueFrom":              "ValueFrom takes the value from a field of the pod instead; it cannot be used with value.",
	"ResourceRequirements.limits":   "Limits are the most of each resource the container may use.",
	"ResourceRequirements.requests": "Requests are the resources the scheduler reserves for the container; they default to the limits.",
	"VolumeMount.name":              "Name of the pod volume to mount.",
	"VolumeMount.mountPath":         "MountPath is where the volume appears in the container; it must not contain ':'.",
	"VolumeMount.readOnly":          "ReadOnly mounts the volume read-only. Defaults to false.",
	"VolumeMount.subPath":           "SubPath mounts a path inside the volume instead of its root.",

	"PodStatus.phase":             "Phase summarises where the pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.",
	"PodStatus.conditions":        "Conditions are the pod's current state: PodScheduled, Initialized, ContainersReady and Ready.",
	"PodStatus.hostIP":            "HostIP is the address of the node the pod runs on; empty until the pod starts.",
	"PodStatus.podIP":             "PodIP is the pod's address, routable within the cluster; empty until allocated.",
	"PodStatus.podIPs":            "PodIPs are the pod's addresses; the first one equals podIP.",
	"PodStatus.startTime":         "StartTime is when the kubelet accepted the pod, before it pulled any image.",
	"PodStatus.containerStatuses": "ContainerStatuses hold one entry per container of the spec.",
	"PodStatus.qosClass":          "QOSClass is the pod's quality-of-service class, derived from its resource requests and limits: Guaranteed, Burstable or BestEffort.",
	"PodStatus.nominatedNodeName": "NominatedNodeName is the node this pod preempted other pods on and will be scheduled onto once they are gone.",
	"PodStatus.reason":            "Reason is a brief CamelCase explanation of the pod's state, such as Evicted.",
	"PodStatus.message":           "Message is a human-readable explanation of the pod's state.",

	"Deployment.spec":                        "Spec is the desired behaviour of the Deployment.",
	"Deployment.status":                      "Status is the most recently observed state of the Deployment. Read-only.",
	"DeploymentSpec.replicas":                "Replicas is the desired number of pods. Defaults to 1.",
	"DeploymentSpec.selector":                "Selector selects the pods and ReplicaSets the Deployment manages. It must match the template's labels and cannot be changed.",
	"DeploymentSpec.template":                "Template describes the pods the Deployment creates. Its restartPolicy must be Always.",
	"DeploymentSpec.strategy":                "Strategy is how old pods are replaced by new ones.",
	"DeploymentSpec.minReadySeconds":         "MinReadySeconds a new pod must be ready, without any container crashing, to count as available. Defaults to 0.",
	"DeploymentSpec.revisionHistoryLimit":    "RevisionHistoryLimit is how many old ReplicaSets are kept for rollback. Defaults to 10.",
	"DeploymentSpec.paused":                  "Paused stops the rollout of template changes.",
	"DeploymentSpec.progressDeadlineSeconds": "ProgressDeadlineSeconds after which a rollout that makes no progress is reported as failed. Defaults to 600.",
	"DeploymentStrategy.type": "Type of the strategy: Recreate or RollingUpdate. Defaults to RollingUpdate.\n\nPossible enum values:\n" +
		" - `\"Recreate\"` deletes every old pod before new ones are created.\n" +
		" - `\"RollingUpdate\"` scales the new ReplicaSet up and the old ones down step by step, within maxSurge and maxUnavailable.",
	"DeploymentStrategy.rollingUpdate":       "RollingUpdate bounds a rolling update; only with type RollingUpdate.",
	"RollingUpdateDeployment.maxUnavailable": "MaxUnavailable is how many pods may be unavailable during the update: a number (5) or a percentage of the desired pods (10%), rounded down. Defaults to 25%.",
	"RollingUpdateDeployment.maxSurge":       "MaxSurge is how many pods may exist above the desired number during the update: a number (5) or a percentage of the desired pods (10%), rounded up. Defaults to 25%.",
	"DeploymentStatus.replicas":              "Replicas is the number of non-terminating pods the Deployment targets.",
	"DeploymentStatus.updatedReplicas":       "UpdatedReplicas is the number of non-terminating pods running the current template.",
	"DeploymentStatus.readyReplicas":         "ReadyReplicas is the number of targeted pods that are ready.",
	"DeploymentStatus.availableReplicas":     "AvailableReplicas is the number of targeted pods ready for at least minReadySeconds.",
	"DeploymentStatus.unavailableReplicas":   "UnavailableReplicas is the number of pods still needed for the Deployment to be fully available.",
	"DeploymentStatus.observedGeneration":    "ObservedGeneration is the generation of the spec this status describes.",
	"DeploymentStatus.conditions":            "Conditions are the latest observations of the Deployment's state: Available, Progressing, ReplicaFailure.",
	"ReplicaSetSpec.replicas":                "Replicas is the desired number of pods. Defaults to 1.",
	"ReplicaSetSpec.selector":                "Selector selects the pods the ReplicaSet counts. It must match the template's labels.",
	"ReplicaSetSpec.template":                "Template describes the pods created when there are too few.",
	"PodTemplateSpec.spec":                   "Spec is the desired behaviour of the pods.",

	"Node.spec":                              "Spec is how the node is configured.",
	"Node.status":                            "Status is the most recently observed state of the node, written by its kubelet. Read-only.",
	"NodeSpec.podCIDR":                       "PodCIDR is the IP range the node's pods get addresses from.",
	"NodeSpec.podCIDRs":                      "PodCIDRs are the IP ranges the node's pods get addresses from; the first equals podCIDR.",
	"NodeSpec.providerID":                    "ProviderID identifies the node at its cloud provider, as <provider>://<id>.",
	"NodeSpec.unschedulable":                 "Unschedulable keeps new pods off the node (kubectl cordon). Defaults to false.",
	"NodeSpec.taints":                        "Taints repel pods that do not tolerate them.",
	"NodeStatus.capacity":                    "Capacity is the node's total resources.",
	"NodeStatus.allocatable":                 "Allocatable is the part of the capacity available to pods. Defaults to the capacity.",
	"NodeStatus.phase":                       "Phase is the node's lifecycle phase. Deprecated.",
	"NodeStatus.conditions":                  "Conditions are the node's current health, such as Ready.",
	"NodeStatus.addresses":                   "Addresses the node can be reached at.",
	"NodeStatus.daemonEndpoints":             "DaemonEndpoints are the ports of the daemons on the node, such as the kubelet.",
	"NodeStatus.nodeInfo":                    "NodeInfo identifies the node's machine, operating system and software versions.",
	"NodeStatus.images":                      "Images are the container images present on the node.",
	"NodeSystemInfo.kubeletVersion":          "KubeletVersion is the version of the node's kubelet.",
	"NodeSystemInfo.osImage":                 "OSImage is the operating system's name from /etc/os-release.",
	"NodeSystemInfo.kernelVersion":           "KernelVersion is the kernel's release, as uname -r prints it.",
	"NodeSystemInfo.containerRuntimeVersion": "ContainerRuntimeVersion is the container runtime and its version, such as docker://27.0.1.",
	"NodeSystemInfo.operatingSystem":         "OperatingSystem is the node's operating system, such as linux.",
	"NodeSystemInfo.architecture":            "Architecture is the node's CPU architecture, such as amd64.",

	"Lease.spec":                     "Spec is the lease's holder and timing.",
	"LeaseSpec.holderIdentity":       "HolderIdentity is the identity of the current holder of the lease.",
	"LeaseSpec.leaseDurationSeconds": "LeaseDurationSeconds is how long, after renewTime, other candidates wait before they may take the lease.",
	"LeaseSpec.acquireTime":          "AcquireTime is when the current holder acquired the lease.",
	"LeaseSpec.renewTime":            "RenewTime is when the current holder last renewed the lease.",
	"LeaseSpec.leaseTransitions":     "LeaseTransitions counts how many times the lease changed holders.",

	"OwnerReference.apiVersion":         "APIVersion of the owner.",
	"OwnerReference.kind":               "Kind of the owner.",
	"OwnerReference.name":               "Name of the owner.",
	"OwnerReference.uid":                "UID of the owner.",
	"OwnerReference.controller":         "Controller marks the owner that manages this object; at most one owner is the controller.",
	"OwnerReference.blockOwnerDeletion": "BlockOwnerDeletion makes a foreground deletion of the owner wait until this object is deleted.",

	"ObjectMeta.name":              "Name of the object, unique within its namespace (or the cluster, for a cluster-scoped kind). Required on create unless generateName is set. It cannot be updated.",
	"ObjectMeta.generateName":      "GenerateName is a prefix from which the server generates a unique name when name is empty.",
	"ObjectMeta.namespace":         "Namespace the object's name is unique in. Empty means \"default\". It cannot be updated.",
	"ObjectMeta.uid":               "UID identifies the object uniquely in time and space. Set by the server on create. Read-only.",
	"ObjectMeta.resourceVersion":   "ResourceVersion is an opaque value that changes whenever the object does; it is used for optimistic concurrency and watches. Set by the server. Read-only.",
	"ObjectMeta.generation":        "Generation counts changes to the desired state (the spec). Set by the server. Read-only.",
	"ObjectMeta.creationTimestamp": "CreationTimestamp is the server time at which the object was created. Set by the server. Read-only.",
	"ObjectMeta.deletionTimestamp": "DeletionTimestamp is when the object will be deleted: set by the server when a graceful deletion is requested, never by clients. Read-only.",
	"ObjectMeta.labels":            "Labels are string keys and values that organise and select objects.",
	"ObjectMeta.annotations":       "Annotations are string keys and values that tools store with the object; they cannot be selected on.",
	"ObjectMeta.ownerReferences":   "OwnerReferences name the objects this one depends on; once all of them are deleted, it is garbage collected.",
	"ObjectMeta.finalizers":        "Finalizers must all be removed before the object is deleted; each names the component responsible for removing it.",
}
