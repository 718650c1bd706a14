package api

// This file holds the core/v1 kinds: Namespace, Pod, Node, Event, Binding.

// Namespace is a scope for names (core/v1).
type Namespace struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Spec holds the namespace's finalizers.
	Spec NamespaceSpec `json:"spec,omitempty"`
	// Status holds the namespace's lifecycle phase.
	Status NamespaceStatus `json:"status,omitempty"`
}

// NamespaceSpec describes a namespace.
type NamespaceSpec struct {
	// Finalizers must all be removed before the namespace is deleted.
	Finalizers []string `json:"finalizers,omitempty"`
}

// NamespaceStatus is the observed state of a namespace.
type NamespaceStatus struct {
	// Phase is NamespaceActive or NamespaceTerminating.
	Phase string `json:"phase,omitempty"`
}

// Namespace phases and the namespace finalizer.
const (
	NamespaceActive      = "Active"
	NamespaceTerminating = "Terminating"

	FinalizerKubernetes = "kubernetes"
)

// Pod is a group of containers scheduled together on one node (core/v1).
type Pod struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Spec is the desired behaviour of the pod.
	Spec PodSpec `json:"spec,omitempty"`
	// Status is the most recently observed state of the pod, written by the
	// scheduler (conditions) and the kubelet.
	Status PodStatus `json:"status,omitempty"`
}

// PodSpec is the desired behaviour of a pod.
type PodSpec struct {
	// Volumes that the pod's containers can mount.
	Volumes []Volume `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
	// InitContainers run to completion, in order, before the containers start.
	InitContainers []Container `json:"initContainers,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// Containers of the pod; at least one.
	Containers []Container `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	// RestartPolicy for all containers: Always (default), OnFailure or Never.
	RestartPolicy RestartPolicy `json:"restartPolicy,omitempty"`
	// TerminationGracePeriodSeconds is how long the pod is given to stop
	// after SIGTERM before it is killed (default 30).
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
	// ActiveDeadlineSeconds bounds how long the pod may be active before it
	// is failed.
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`
	// DNSPolicy: ClusterFirst (default), ClusterFirstWithHostNet, Default or None.
	DNSPolicy DNSPolicy `json:"dnsPolicy,omitempty"`
	// DNSConfig adds to (or, with DNSPolicy None, replaces) the DNS settings.
	DNSConfig *PodDNSConfig `json:"dnsConfig,omitempty"`
	// NodeSelector must match a node's labels for the pod to fit on it.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// ServiceAccountName is the service account the pod runs as.
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// DeprecatedServiceAccount is the deprecated alias of ServiceAccountName.
	DeprecatedServiceAccount string `json:"serviceAccount,omitempty"`
	// AutomountServiceAccountToken says whether a token is mounted.
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty"`
	// NodeName is the node the pod is bound to; set by binding.
	NodeName string `json:"nodeName,omitempty"`
	// HostNetwork runs the pod in the host's network namespace.
	HostNetwork bool `json:"hostNetwork,omitempty"`
	// HostPID runs the pod in the host's PID namespace.
	HostPID bool `json:"hostPID,omitempty"`
	// HostIPC runs the pod in the host's IPC namespace.
	HostIPC bool `json:"hostIPC,omitempty"`
	// SecurityContext holds pod-level security attributes.
	SecurityContext *PodSecurityContext `json:"securityContext,omitempty"`
	// ImagePullSecrets name secrets used to pull the images.
	ImagePullSecrets []LocalObjectReference `json:"imagePullSecrets,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// Hostname is the pod's host name (default: the pod's name).
	Hostname string `json:"hostname,omitempty"`
	// Subdomain makes the pod's FQDN hostname.subdomain.namespace.svc.
	Subdomain string `json:"subdomain,omitempty"`
	// Affinity holds the pod's scheduling constraints.
	Affinity *Affinity `json:"affinity,omitempty"`
	// SchedulerName is the scheduler that places the pod (default
	// "default-scheduler").
	SchedulerName string `json:"schedulerName,omitempty"`
	// Tolerations let the pod run on nodes with matching taints.
	Tolerations []Toleration `json:"tolerations,omitempty"`
	// PriorityClassName names the pod's priority class.
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// Priority is the pod's priority, resolved from PriorityClassName.
	Priority *int32 `json:"priority,omitempty"`
	// PreemptionPolicy: PreemptLowerPriority (default) or Never.
	PreemptionPolicy *string `json:"preemptionPolicy,omitempty"`
	// EnableServiceLinks injects service environment variables (default true).
	EnableServiceLinks *bool `json:"enableServiceLinks,omitempty"`
}

// PodDNSConfig holds a pod's DNS settings.
type PodDNSConfig struct {
	// Nameservers are DNS server addresses.
	Nameservers []string `json:"nameservers,omitempty"`
	// Searches are DNS search domains.
	Searches []string `json:"searches,omitempty"`
	// Options are resolver options.
	Options []PodDNSConfigOption `json:"options,omitempty"`
}

// PodDNSConfigOption is one resolver option.
type PodDNSConfigOption struct {
	// Name of the option.
	Name string `json:"name,omitempty"`
	// Value of the option.
	Value *string `json:"value,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name of the referent.
	Name string `json:"name,omitempty"`
}

// Volume is a named volume that containers can mount. Exactly one source
// should be set.
type Volume struct {
	// Name of the volume, unique within the pod (a DNS-1123 label).
	Name string `json:"name"`
	// VolumeSource is the volume's source.
	VolumeSource `json:",inline"`
}

// VolumeSource is the source of a volume; the subset minik8s knows.
type VolumeSource struct {
	// HostPath is a directory of the host.
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty"`
	// EmptyDir is a directory that lives as long as the pod.
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	// ConfigMap projects a ConfigMap's keys as files.
	ConfigMap *ConfigMapVolumeSource `json:"configMap,omitempty"`
	// Secret projects a Secret's keys as files.
	Secret *SecretVolumeSource `json:"secret,omitempty"`
}

// SecretVolumeSource projects a Secret's data as files.
type SecretVolumeSource struct {
	// SecretName names the Secret.
	SecretName string `json:"secretName,omitempty"`
	// Items selects keys and their file paths (default: every key).
	Items []KeyToPath `json:"items,omitempty"`
	// DefaultMode is the files' permission bits (default 0644).
	DefaultMode *int32 `json:"defaultMode,omitempty"`
	// Optional allows the Secret or its keys to be missing.
	Optional *bool `json:"optional,omitempty"`
}

// HostPathVolumeSource mounts a host directory or file.
type HostPathVolumeSource struct {
	// Path on the host.
	Path string `json:"path"`
	// Type of the host path ("", DirectoryOrCreate, Directory, File, ...).
	Type *string `json:"type,omitempty"`
}

// EmptyDirVolumeSource is an empty directory created for the pod.
type EmptyDirVolumeSource struct {
	// Medium is "" (node disk) or "Memory" (tmpfs).
	Medium string `json:"medium,omitempty"`
	// SizeLimit bounds the directory's size.
	SizeLimit *Quantity `json:"sizeLimit,omitempty"`
}

// ConfigMapVolumeSource projects a ConfigMap's data as files.
type ConfigMapVolumeSource struct {
	// LocalObjectReference names the ConfigMap.
	LocalObjectReference `json:",inline"`
	// Items selects keys and their file paths (default: every key).
	Items []KeyToPath `json:"items,omitempty"`
	// DefaultMode is the files' permission bits (default 0644).
	DefaultMode *int32 `json:"defaultMode,omitempty"`
	// Optional allows the ConfigMap or its keys to be missing.
	Optional *bool `json:"optional,omitempty"`
}

// KeyToPath maps a key to a relative file path.
type KeyToPath struct {
	// Key to project.
	Key string `json:"key"`
	// Path of the file, relative to the mount point.
	Path string `json:"path"`
	// Mode is the file's permission bits.
	Mode *int32 `json:"mode,omitempty"`
}

// Container is one container of a pod.
type Container struct {
	// Name of the container, unique within the pod (a DNS-1123 label).
	Name string `json:"name"`
	// Image is the container image reference.
	Image string `json:"image,omitempty"`
	// Command replaces the image's entrypoint.
	Command []string `json:"command,omitempty"`
	// Args replace the image's cmd.
	Args []string `json:"args,omitempty"`
	// WorkingDir is the container's working directory.
	WorkingDir string `json:"workingDir,omitempty"`
	// Ports the container exposes (informational, plus host ports).
	Ports []ContainerPort `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	// Env is the container's environment.
	Env []EnvVar `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// Resources are the container's compute requests and limits.
	Resources ResourceRequirements `json:"resources,omitempty"`
	// VolumeMounts mount pod volumes into the container.
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty" patchStrategy:"merge" patchMergeKey:"mountPath"`
	// LivenessProbe restarts the container when it fails.
	LivenessProbe *Probe `json:"livenessProbe,omitempty"`
	// ReadinessProbe marks the container ready when it succeeds.
	ReadinessProbe *Probe `json:"readinessProbe,omitempty"`
	// StartupProbe holds back the other probes until it succeeds.
	StartupProbe *Probe `json:"startupProbe,omitempty"`
	// TerminationMessagePath is the file the termination message is read
	// from (default /dev/termination-log).
	TerminationMessagePath string `json:"terminationMessagePath,omitempty"`
	// TerminationMessagePolicy: File (default) or FallbackToLogsOnError.
	TerminationMessagePolicy TerminationMessagePolicy `json:"terminationMessagePolicy,omitempty"`
	// ImagePullPolicy: Always, IfNotPresent or Never.
	ImagePullPolicy PullPolicy `json:"imagePullPolicy,omitempty"`
	// SecurityContext holds container-level security attributes.
	SecurityContext *SecurityContext `json:"securityContext,omitempty"`
	// Stdin keeps a stdin buffer open for the container.
	Stdin bool `json:"stdin,omitempty"`
	// StdinOnce closes stdin after the first attach ends.
	StdinOnce bool `json:"stdinOnce,omitempty"`
	// TTY allocates a terminal.
	TTY bool `json:"tty,omitempty"`
}

// ContainerPort is a network port of a container.
type ContainerPort struct {
	// Name of the port (an IANA service name), unique within the pod.
	Name string `json:"name,omitempty"`
	// HostPort exposes the port on the node (0: not exposed).
	HostPort int32 `json:"hostPort,omitempty"`
	// ContainerPort is the port number in the container, 1-65535.
	ContainerPort int32 `json:"containerPort"`
	// Protocol: TCP (default), UDP or SCTP.
	Protocol Protocol `json:"protocol,omitempty"`
	// HostIP is the host address the host port binds to.
	HostIP string `json:"hostIP,omitempty"`
}

// EnvVar is one environment variable.
type EnvVar struct {
	// Name of the variable.
	Name string `json:"name"`
	// Value of the variable; $(VAR) references are expanded.
	Value string `json:"value,omitempty"`
	// ValueFrom takes the value from elsewhere; exclusive with Value.
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource is where an environment variable's value comes from; the
// subset minik8s knows.
type EnvVarSource struct {
	// FieldRef selects a field of the pod (metadata.name, status.podIP, ...).
	FieldRef *ObjectFieldSelector `json:"fieldRef,omitempty"`
	// ResourceFieldRef selects a resource limit or request of a container.
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty"`
	// ConfigMapKeyRef selects a key of a ConfigMap.
	ConfigMapKeyRef *ConfigMapKeySelector `json:"configMapKeyRef,omitempty"`
	// SecretKeyRef selects a key of a Secret.
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// ResourceFieldSelector selects a container's resource limit or request.
type ResourceFieldSelector struct {
	// ContainerName is the container (default: this one).
	ContainerName string `json:"containerName,omitempty"`
	// Resource such as limits.cpu or requests.memory.
	Resource string `json:"resource"`
	// Divisor scales the value (default 1).
	Divisor Quantity `json:"divisor,omitempty"`
}

// ConfigMapKeySelector selects a key of a ConfigMap.
type ConfigMapKeySelector struct {
	// LocalObjectReference names the ConfigMap.
	LocalObjectReference `json:",inline"`
	// Key to select.
	Key string `json:"key"`
	// Optional allows the ConfigMap or key to be missing.
	Optional *bool `json:"optional,omitempty"`
}

// SecretKeySelector selects a key of a Secret.
type SecretKeySelector struct {
	// LocalObjectReference names the Secret.
	LocalObjectReference `json:",inline"`
	// Key to select.
	Key string `json:"key"`
	// Optional allows the Secret or key to be missing.
	Optional *bool `json:"optional,omitempty"`
}

// ObjectFieldSelector selects a field of an object.
type ObjectFieldSelector struct {
	// APIVersion of the field path's schema (default "v1").
	APIVersion string `json:"apiVersion,omitempty"`
	// FieldPath such as metadata.name.
	FieldPath string `json:"fieldPath"`
}

// ResourceRequirements are a container's compute requests and limits.
type ResourceRequirements struct {
	// Limits are the most a container may use.
	Limits ResourceList `json:"limits,omitempty"`
	// Requests are what the scheduler reserves; default to Limits.
	Requests ResourceList `json:"requests,omitempty"`
}

// VolumeMount mounts a volume into a container.
type VolumeMount struct {
	// Name of the pod volume.
	Name string `json:"name"`
	// ReadOnly mounts the volume read-only.
	ReadOnly bool `json:"readOnly,omitempty"`
	// MountPath is the path in the container; unique within the container.
	MountPath string `json:"mountPath"`
	// SubPath mounts a sub-directory of the volume.
	SubPath string `json:"subPath,omitempty"`
}

// Probe is a health check of a container.
type Probe struct {
	// ProbeHandler is the check itself; exactly one action.
	ProbeHandler `json:",inline"`
	// InitialDelaySeconds before the first probe.
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`
	// TimeoutSeconds of one probe (default 1).
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// PeriodSeconds between probes (default 10).
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`
	// SuccessThreshold: consecutive successes to count as passing (default 1).
	SuccessThreshold int32 `json:"successThreshold,omitempty"`
	// FailureThreshold: consecutive failures to count as failing (default 3).
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
	// TerminationGracePeriodSeconds overrides the pod's grace period when
	// a failed probe kills the container.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// ProbeHandler is the action of a probe; exactly one field is set.
type ProbeHandler struct {
	// Exec runs a command in the container; exit 0 is success.
	Exec *ExecAction `json:"exec,omitempty"`
	// HTTPGet sends an HTTP GET; 200-399 is success.
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty"`
	// TCPSocket opens a TCP connection; connecting is success.
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`
}

// ExecAction runs a command.
type ExecAction struct {
	// Command and its arguments, not run in a shell.
	Command []string `json:"command,omitempty"`
}

// HTTPGetAction is an HTTP GET request.
type HTTPGetAction struct {
	// Path of the request.
	Path string `json:"path,omitempty"`
	// Port number or name.
	Port IntOrString `json:"port"`
	// Host to connect to (default: the pod IP).
	Host string `json:"host,omitempty"`
	// Scheme: HTTP (default) or HTTPS.
	Scheme URIScheme `json:"scheme,omitempty"`
	// HTTPHeaders are extra request headers.
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty"`
}

// HTTPHeader is one HTTP header.
type HTTPHeader struct {
	// Name of the header.
	Name string `json:"name"`
	// Value of the header.
	Value string `json:"value"`
}

// TCPSocketAction opens a TCP connection.
type TCPSocketAction struct {
	// Port number or name.
	Port IntOrString `json:"port"`
	// Host to connect to (default: the pod IP).
	Host string `json:"host,omitempty"`
}

// PodSecurityContext holds pod-level security attributes.
type PodSecurityContext struct {
	// RunAsUser is the UID of the containers' processes.
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// RunAsGroup is the GID of the containers' processes.
	RunAsGroup *int64 `json:"runAsGroup,omitempty"`
	// RunAsNonRoot requires the image to run as a non-root user.
	RunAsNonRoot *bool `json:"runAsNonRoot,omitempty"`
	// SupplementalGroups are added to each container's first process.
	SupplementalGroups []int64 `json:"supplementalGroups,omitempty"`
	// FSGroup owns the pod's volumes.
	FSGroup *int64 `json:"fsGroup,omitempty"`
}

// SecurityContext holds container-level security attributes; they override
// the pod's.
type SecurityContext struct {
	// Capabilities to add and drop.
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	// Privileged runs the container privileged.
	Privileged *bool `json:"privileged,omitempty"`
	// RunAsUser is the UID of the container's process.
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// RunAsGroup is the GID of the container's process.
	RunAsGroup *int64 `json:"runAsGroup,omitempty"`
	// RunAsNonRoot requires the image to run as a non-root user.
	RunAsNonRoot *bool `json:"runAsNonRoot,omitempty"`
	// ReadOnlyRootFilesystem mounts the root filesystem read-only.
	ReadOnlyRootFilesystem *bool `json:"readOnlyRootFilesystem,omitempty"`
	// AllowPrivilegeEscalation controls no_new_privs.
	AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation,omitempty"`
}

// Capabilities are POSIX capabilities to add and drop.
type Capabilities struct {
	// Add lists added capabilities.
	Add []string `json:"add,omitempty"`
	// Drop lists dropped capabilities.
	Drop []string `json:"drop,omitempty"`
}

// Toleration lets a pod run on nodes with a matching taint.
type Toleration struct {
	// Key is the taint key; empty with operator Exists matches every taint.
	Key string `json:"key,omitempty"`
	// Operator: Equal (default) or Exists.
	Operator TolerationOperator `json:"operator,omitempty"`
	// Value to match with operator Equal.
	Value string `json:"value,omitempty"`
	// Effect to match; empty matches every effect.
	Effect TaintEffect `json:"effect,omitempty"`
	// TolerationSeconds bounds how long a NoExecute taint is tolerated.
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// Taint repels pods that do not tolerate it from a node.
type Taint struct {
	// Key of the taint.
	Key string `json:"key"`
	// Value of the taint.
	Value string `json:"value,omitempty"`
	// Effect: NoSchedule, PreferNoSchedule or NoExecute.
	Effect TaintEffect `json:"effect"`
	// TimeAdded is when a NoExecute taint was added.
	TimeAdded *Time `json:"timeAdded,omitempty"`
}

// Affinity holds a pod's scheduling constraints.
type Affinity struct {
	// NodeAffinity constrains the nodes the pod may run on.
	NodeAffinity *NodeAffinity `json:"nodeAffinity,omitempty"`
	// PodAffinity co-locates the pod with other pods.
	PodAffinity *PodAffinity `json:"podAffinity,omitempty"`
	// PodAntiAffinity keeps the pod away from other pods.
	PodAntiAffinity *PodAntiAffinity `json:"podAntiAffinity,omitempty"`
}

// NodeAffinity constrains the nodes a pod may run on.
type NodeAffinity struct {
	// RequiredDuringSchedulingIgnoredDuringExecution must hold for the pod
	// to be placed on a node.
	RequiredDuringSchedulingIgnoredDuringExecution *NodeSelector `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	// PreferredDuringSchedulingIgnoredDuringExecution adds weights to nodes
	// that match.
	PreferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// NodeSelector is an OR of terms.
type NodeSelector struct {
	// NodeSelectorTerms are ORed.
	NodeSelectorTerms []NodeSelectorTerm `json:"nodeSelectorTerms"`
}

// NodeSelectorTerm is an AND of requirements; an empty term matches nothing.
type NodeSelectorTerm struct {
	// MatchExpressions are requirements on node labels.
	MatchExpressions []NodeSelectorRequirement `json:"matchExpressions,omitempty"`
	// MatchFields are requirements on node fields (metadata.name).
	MatchFields []NodeSelectorRequirement `json:"matchFields,omitempty"`
}

// NodeSelectorRequirement relates a key to values with an operator.
type NodeSelectorRequirement struct {
	// Key is the label key or field name.
	Key string `json:"key"`
	// Operator: In, NotIn, Exists, DoesNotExist, Gt, Lt.
	Operator NodeSelectorOperator `json:"operator"`
	// Values: one or more for In/NotIn, none for Exists/DoesNotExist, one
	// integer for Gt/Lt.
	Values []string `json:"values,omitempty"`
}

// PreferredSchedulingTerm is a weighted node selector term.
type PreferredSchedulingTerm struct {
	// Weight in the range 1-100.
	Weight int32 `json:"weight"`
	// Preference is the term nodes are matched against.
	Preference NodeSelectorTerm `json:"preference"`
}

// PodAffinity attracts a pod to nodes running matching pods.
type PodAffinity struct {
	// RequiredDuringSchedulingIgnoredDuringExecution terms must all hold.
	RequiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	// PreferredDuringSchedulingIgnoredDuringExecution terms add weights.
	PreferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PodAntiAffinity repels a pod from nodes running matching pods.
type PodAntiAffinity struct {
	// RequiredDuringSchedulingIgnoredDuringExecution terms must all hold.
	RequiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	// PreferredDuringSchedulingIgnoredDuringExecution terms add weights.
	PreferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PodAffinityTerm selects pods within a topology domain.
type PodAffinityTerm struct {
	// LabelSelector selects the pods.
	LabelSelector *LabelSelector `json:"labelSelector,omitempty"`
	// Namespaces to look in (default: the pod's own).
	Namespaces []string `json:"namespaces,omitempty"`
	// TopologyKey is the node label that defines a domain.
	TopologyKey string `json:"topologyKey"`
	// NamespaceSelector selects namespaces to look in.
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty"`
}

// WeightedPodAffinityTerm is a pod affinity term with a weight.
type WeightedPodAffinityTerm struct {
	// Weight in the range 1-100.
	Weight int32 `json:"weight"`
	// PodAffinityTerm is the weighted term.
	PodAffinityTerm PodAffinityTerm `json:"podAffinityTerm"`
}

// PodStatus is the observed state of a pod.
type PodStatus struct {
	// Phase summarises the pod's lifecycle.
	Phase PodPhase `json:"phase,omitempty"`
	// Conditions are the pod's current service state.
	Conditions []PodCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	// Message is a human-readable explanation of the pod's state.
	Message string `json:"message,omitempty"`
	// Reason is a brief CamelCase reason for the pod's state (e.g. Evicted).
	Reason string `json:"reason,omitempty"`
	// NominatedNodeName is the node a preempting pod expects to run on.
	NominatedNodeName string `json:"nominatedNodeName,omitempty"`
	// HostIP is the primary address of the pod's node.
	HostIP string `json:"hostIP,omitempty"`
	// HostIPs are the addresses of the pod's node.
	HostIPs []HostIP `json:"hostIPs,omitempty" patchStrategy:"merge" patchMergeKey:"ip"`
	// PodIP is the pod's primary address.
	PodIP string `json:"podIP,omitempty"`
	// PodIPs are the pod's addresses.
	PodIPs []PodIP `json:"podIPs,omitempty" patchStrategy:"merge" patchMergeKey:"ip"`
	// StartTime is when the kubelet acknowledged the pod.
	StartTime *Time `json:"startTime,omitempty"`
	// InitContainerStatuses are the init containers' states.
	InitContainerStatuses []ContainerStatus `json:"initContainerStatuses,omitempty"`
	// ContainerStatuses are the containers' states.
	ContainerStatuses []ContainerStatus `json:"containerStatuses,omitempty"`
	// QOSClass is derived from the containers' requests and limits.
	QOSClass PodQOSClass `json:"qosClass,omitempty"`
}

// PodCondition is one aspect of a pod's state.
type PodCondition struct {
	// Type of the condition.
	Type PodConditionType `json:"type"`
	// Status: True, False or Unknown.
	Status ConditionStatus `json:"status"`
	// LastProbeTime is when the condition was last probed.
	LastProbeTime Time `json:"lastProbeTime,omitempty"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime Time `json:"lastTransitionTime,omitempty"`
	// Reason is a brief CamelCase reason for the last transition.
	Reason string `json:"reason,omitempty"`
	// Message is a human-readable explanation of the last transition.
	Message string `json:"message,omitempty"`
}

// HostIP is one address of a node.
type HostIP struct {
	// IP address.
	IP string `json:"ip"`
}

// PodIP is one address of a pod.
type PodIP struct {
	// IP address.
	IP string `json:"ip"`
}

// ContainerStatus is the observed state of one container.
type ContainerStatus struct {
	// Name of the container in the pod spec.
	Name string `json:"name"`
	// State is the container's current state.
	State ContainerState `json:"state,omitempty"`
	// LastTerminationState is the state of the container's previous run.
	LastTerminationState ContainerState `json:"lastState,omitempty"`
	// Ready reports whether the readiness probe passes.
	Ready bool `json:"ready"`
	// RestartCount counts the container's restarts.
	RestartCount int32 `json:"restartCount"`
	// Image the container runs.
	Image string `json:"image"`
	// ImageID of the image the container runs.
	ImageID string `json:"imageID"`
	// ContainerID is "<runtime>://<id>".
	ContainerID string `json:"containerID,omitempty"`
	// Started reports whether the startup probe has passed.
	Started *bool `json:"started,omitempty"`
}

// ContainerState is a container's state; at most one field is set (none
// means waiting).
type ContainerState struct {
	// Waiting: not running yet.
	Waiting *ContainerStateWaiting `json:"waiting,omitempty"`
	// Running: started and not exited.
	Running *ContainerStateRunning `json:"running,omitempty"`
	// Terminated: exited.
	Terminated *ContainerStateTerminated `json:"terminated,omitempty"`
}

// ContainerStateWaiting is a container that is not running yet.
type ContainerStateWaiting struct {
	// Reason such as ContainerCreating, ImagePullBackOff or CrashLoopBackOff.
	Reason string `json:"reason,omitempty"`
	// Message with details.
	Message string `json:"message,omitempty"`
}

// ContainerStateRunning is a running container.
type ContainerStateRunning struct {
	// StartedAt is when the container last started.
	StartedAt Time `json:"startedAt,omitempty"`
}

// ContainerStateTerminated is an exited container.
type ContainerStateTerminated struct {
	// ExitCode of the container's process.
	ExitCode int32 `json:"exitCode"`
	// Signal that killed the process, if any.
	Signal int32 `json:"signal,omitempty"`
	// Reason such as Completed, Error or OOMKilled.
	Reason string `json:"reason,omitempty"`
	// Message with details (the termination message).
	Message string `json:"message,omitempty"`
	// StartedAt is when the container started.
	StartedAt Time `json:"startedAt,omitempty"`
	// FinishedAt is when the container exited.
	FinishedAt Time `json:"finishedAt,omitempty"`
	// ContainerID is "<runtime>://<id>".
	ContainerID string `json:"containerID,omitempty"`
}

// PodTemplateSpec is the pod a workload controller creates.
type PodTemplateSpec struct {
	ObjectMeta `json:"metadata,omitempty"`
	// Spec of the pods created from the template.
	Spec PodSpec `json:"spec,omitempty"`
}

// Node is a machine that runs pods (core/v1).
type Node struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Spec holds the node's configuration.
	Spec NodeSpec `json:"spec,omitempty"`
	// Status is the node's observed state, written by its kubelet.
	Status NodeStatus `json:"status,omitempty"`
}

// NodeSpec is a node's configuration.
type NodeSpec struct {
	// PodCIDR is the node's pod address range; set once.
	PodCIDR string `json:"podCIDR,omitempty"`
	// PodCIDRs are the node's pod address ranges (at most one per family).
	PodCIDRs []string `json:"podCIDRs,omitempty" patchStrategy:"merge"`
	// ProviderID is the cloud provider's id of the machine.
	ProviderID string `json:"providerID,omitempty"`
	// Unschedulable keeps new pods off the node (cordon).
	Unschedulable bool `json:"unschedulable,omitempty"`
	// Taints repel pods that do not tolerate them.
	Taints []Taint `json:"taints,omitempty"`
}

// NodeStatus is the observed state of a node.
type NodeStatus struct {
	// Capacity is the node's total resources.
	Capacity ResourceList `json:"capacity,omitempty"`
	// Allocatable is what pods may use of the capacity.
	Allocatable ResourceList `json:"allocatable,omitempty"`
	// Phase is deprecated and unused.
	Phase NodePhase `json:"phase,omitempty"`
	// Conditions are the node's current state (Ready, MemoryPressure, ...).
	Conditions []NodeCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	// Addresses the node is reachable at.
	Addresses []NodeAddress `json:"addresses,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
	// DaemonEndpoints are the ports the node's daemons listen on.
	DaemonEndpoints NodeDaemonEndpoints `json:"daemonEndpoints,omitempty"`
	// NodeInfo identifies the node's software.
	NodeInfo NodeSystemInfo `json:"nodeInfo,omitempty"`
	// Images present on the node.
	Images []ContainerImage `json:"images,omitempty"`
}

// NodeCondition is one aspect of a node's state.
type NodeCondition struct {
	// Type of the condition.
	Type NodeConditionType `json:"type"`
	// Status: True, False or Unknown.
	Status ConditionStatus `json:"status"`
	// LastHeartbeatTime is when the kubelet last reported the condition.
	LastHeartbeatTime Time `json:"lastHeartbeatTime,omitempty"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime Time `json:"lastTransitionTime,omitempty"`
	// Reason is a brief CamelCase reason for the last transition.
	Reason string `json:"reason,omitempty"`
	// Message is a human-readable explanation.
	Message string `json:"message,omitempty"`
}

// NodeAddress is one address of a node.
type NodeAddress struct {
	// Type: Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.
	Type NodeAddressType `json:"type"`
	// Address itself.
	Address string `json:"address"`
}

// NodeDaemonEndpoints are the ports of a node's daemons.
type NodeDaemonEndpoints struct {
	// KubeletEndpoint is the kubelet's port.
	KubeletEndpoint DaemonEndpoint `json:"kubeletEndpoint,omitempty"`
}

// DaemonEndpoint is one daemon's port.
type DaemonEndpoint struct {
	// Port number (the JSON name is capitalised, as in Kubernetes).
	Port int32 `json:"Port"`
}

// NodeSystemInfo identifies a node's machine and software.
type NodeSystemInfo struct {
	// MachineID from /etc/machine-id.
	MachineID string `json:"machineID"`
	// SystemUUID of the machine.
	SystemUUID string `json:"systemUUID"`
	// BootID changes on every boot.
	BootID string `json:"bootID"`
	// KernelVersion from uname -r.
	KernelVersion string `json:"kernelVersion"`
	// OSImage from /etc/os-release.
	OSImage string `json:"osImage"`
	// ContainerRuntimeVersion as "<runtime>://<version>".
	ContainerRuntimeVersion string `json:"containerRuntimeVersion"`
	// KubeletVersion of the node agent.
	KubeletVersion string `json:"kubeletVersion"`
	// KubeProxyVersion is deprecated.
	KubeProxyVersion string `json:"kubeProxyVersion"`
	// OperatingSystem as GOOS.
	OperatingSystem string `json:"operatingSystem"`
	// Architecture as GOARCH.
	Architecture string `json:"architecture"`
}

// ContainerImage is an image present on a node.
type ContainerImage struct {
	// Names of the image (references and digests).
	Names []string `json:"names"`
	// SizeBytes is the image's size.
	SizeBytes int64 `json:"sizeBytes,omitempty"`
}

// ResourceName is the name of a compute resource (cpu, memory, pods).
type ResourceName string

// ResourceList maps resource names to quantities.
type ResourceList map[ResourceName]Quantity

// Resource names.
const (
	ResourceCPU              ResourceName = "cpu"
	ResourceMemory           ResourceName = "memory"
	ResourcePods             ResourceName = "pods"
	ResourceEphemeralStorage ResourceName = "ephemeral-storage"
)

// ObjectReference points to any object.
type ObjectReference struct {
	// Kind of the referent.
	Kind string `json:"kind,omitempty"`
	// Namespace of the referent.
	Namespace string `json:"namespace,omitempty"`
	// Name of the referent.
	Name string `json:"name,omitempty"`
	// UID of the referent.
	UID string `json:"uid,omitempty"`
	// APIVersion of the referent.
	APIVersion string `json:"apiVersion,omitempty"`
	// ResourceVersion of the referent the reference was made at.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// FieldPath selects a part of the referent, e.g. spec.containers{name}.
	FieldPath string `json:"fieldPath,omitempty"`
}

// Event reports something that happened to an object (core/v1).
type Event struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	// InvolvedObject is the object the event is about.
	InvolvedObject ObjectReference `json:"involvedObject"`
	// Reason is a short CamelCase machine-readable reason.
	Reason string `json:"reason,omitempty"`
	// Message is a human-readable description.
	Message string `json:"message,omitempty"`
	// Source is the component that reported the event.
	Source EventSource `json:"source,omitempty"`
	// FirstTimestamp is when the event was first seen.
	FirstTimestamp Time `json:"firstTimestamp,omitempty"`
	// LastTimestamp is when the event was last seen.
	LastTimestamp Time `json:"lastTimestamp,omitempty"`
	// Count of occurrences.
	Count int32 `json:"count,omitempty"`
	// Type: Normal or Warning.
	Type string `json:"type,omitempty"`
	// EventTime is when the event was first observed (events.k8s.io style).
	EventTime MicroTime `json:"eventTime,omitempty"`
	// Series holds data of a repeating event.
	Series *EventSeries `json:"series,omitempty"`
	// Action taken or failed, e.g. Binding.
	Action string `json:"action,omitempty"`
	// Related is a second object the event is about.
	Related *ObjectReference `json:"related,omitempty"`
	// ReportingController is the controller that emitted the event.
	ReportingController string `json:"reportingComponent"`
	// ReportingInstance is the id of the controller instance.
	ReportingInstance string `json:"reportingInstance"`
}

// EventSource is the component that reported an event.
type EventSource struct {
	// Component such as default-scheduler or kubelet.
	Component string `json:"component,omitempty"`
	// Host the component runs on.
	Host string `json:"host,omitempty"`
}

// EventSeries describes a repeating event.
type EventSeries struct {
	// Count of occurrences so far.
	Count int32 `json:"count,omitempty"`
	// LastObservedTime is when the last occurrence was seen.
	LastObservedTime MicroTime `json:"lastObservedTime,omitempty"`
}

// Event types.
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)

// Binding binds a pod to a node; it is POSTed to pods/{name}/binding.
type Binding struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Target is the node to bind to.
	Target ObjectReference `json:"target"`
}

// PodPhase summarises a pod's lifecycle.
type PodPhase string

// Pod phases.
const (
	PodPending   PodPhase = "Pending"
	PodRunning   PodPhase = "Running"
	PodSucceeded PodPhase = "Succeeded"
	PodFailed    PodPhase = "Failed"
	PodUnknown   PodPhase = "Unknown"
)

// ConditionStatus is the status of a condition.
type ConditionStatus string

// Condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// PodConditionType names a pod condition.
type PodConditionType string

// Pod condition types.
const (
	PodScheduled              PodConditionType = "PodScheduled"
	PodInitialized            PodConditionType = "Initialized"
	ContainersReady           PodConditionType = "ContainersReady"
	PodReady                  PodConditionType = "Ready"
	PodReadyToStartContainers PodConditionType = "PodReadyToStartContainers"
	DisruptionTarget          PodConditionType = "DisruptionTarget"
)

// Reasons of the PodScheduled condition.
const (
	PodReasonUnschedulable   = "Unschedulable"
	PodReasonSchedulingGated = "SchedulingGated"
	PodReasonSchedulerError  = "SchedulerError"
)

// RestartPolicy says when a pod's containers are restarted.
type RestartPolicy string

// Restart policies.
const (
	RestartPolicyAlways    RestartPolicy = "Always"
	RestartPolicyOnFailure RestartPolicy = "OnFailure"
	RestartPolicyNever     RestartPolicy = "Never"
)

// DNSPolicy is how a pod's DNS is configured.
type DNSPolicy string

// DNS policies.
const (
	DNSClusterFirstWithHostNet DNSPolicy = "ClusterFirstWithHostNet"
	DNSClusterFirst            DNSPolicy = "ClusterFirst"
	DNSDefault                 DNSPolicy = "Default"
	DNSNone                    DNSPolicy = "None"
)

// PullPolicy says when an image is pulled.
type PullPolicy string

// Image pull policies.
const (
	PullAlways       PullPolicy = "Always"
	PullIfNotPresent PullPolicy = "IfNotPresent"
	PullNever        PullPolicy = "Never"
)

// TerminationMessagePolicy says where a container's termination message
// comes from.
type TerminationMessagePolicy string

// Termination message policies.
const (
	TerminationMessageReadFile              TerminationMessagePolicy = "File"
	TerminationMessageFallbackToLogsOnError TerminationMessagePolicy = "FallbackToLogsOnError"
)

// Protocol is a network protocol.
type Protocol string

// Protocols.
const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// URIScheme is the scheme of an HTTP probe.
type URIScheme string

// URI schemes.
const (
	URISchemeHTTP  URIScheme = "HTTP"
	URISchemeHTTPS URIScheme = "HTTPS"
)

// TaintEffect is what a taint does to pods that do not tolerate it.
type TaintEffect string

// Taint effects.
const (
	TaintEffectNoSchedule       TaintEffect = "NoSchedule"
	TaintEffectPreferNoSchedule TaintEffect = "PreferNoSchedule"
	TaintEffectNoExecute        TaintEffect = "NoExecute"
)

// Well-known taint keys set by the node lifecycle controller.
const (
	TaintNodeNotReady      = "node.kubernetes.io/not-ready"
	TaintNodeUnreachable   = "node.kubernetes.io/unreachable"
	TaintNodeUnschedulable = "node.kubernetes.io/unschedulable"
)

// TolerationOperator relates a toleration's key to its value.
type TolerationOperator string

// Toleration operators.
const (
	TolerationOpExists TolerationOperator = "Exists"
	TolerationOpEqual  TolerationOperator = "Equal"
)

// NodeSelectorOperator relates a node selector requirement's key to its values.
type NodeSelectorOperator string

// Node selector operators.
const (
	NodeSelectorOpIn           NodeSelectorOperator = "In"
	NodeSelectorOpNotIn        NodeSelectorOperator = "NotIn"
	NodeSelectorOpExists       NodeSelectorOperator = "Exists"
	NodeSelectorOpDoesNotExist NodeSelectorOperator = "DoesNotExist"
	NodeSelectorOpGt           NodeSelectorOperator = "Gt"
	NodeSelectorOpLt           NodeSelectorOperator = "Lt"
)

// PodQOSClass is a pod's quality-of-service class.
type PodQOSClass string

// QoS classes.
const (
	PodQOSGuaranteed PodQOSClass = "Guaranteed"
	PodQOSBurstable  PodQOSClass = "Burstable"
	PodQOSBestEffort PodQOSClass = "BestEffort"
)

// NodePhase is a node's (deprecated) lifecycle phase.
type NodePhase string

// Node phases.
const (
	NodePending    NodePhase = "Pending"
	NodeRunning    NodePhase = "Running"
	NodeTerminated NodePhase = "Terminated"
)

// NodeConditionType names a node condition.
type NodeConditionType string

// Node condition types.
const (
	NodeReady              NodeConditionType = "Ready"
	NodeMemoryPressure     NodeConditionType = "MemoryPressure"
	NodeDiskPressure       NodeConditionType = "DiskPressure"
	NodePIDPressure        NodeConditionType = "PIDPressure"
	NodeNetworkUnavailable NodeConditionType = "NetworkUnavailable"
)

// NodeAddressType is the kind of a node address.
type NodeAddressType string

// Node address types.
const (
	NodeHostName    NodeAddressType = "Hostname"
	NodeInternalIP  NodeAddressType = "InternalIP"
	NodeExternalIP  NodeAddressType = "ExternalIP"
	NodeInternalDNS NodeAddressType = "InternalDNS"
	NodeExternalDNS NodeAddressType = "ExternalDNS"
)

// Defaults that the API server applies and components rely on.
const (
	DefaultSchedulerName                 = "default-scheduler"
	DefaultTerminationGracePeriodSeconds = 30
	DefaultTerminationMessagePath        = "/dev/termination-log"
)

// Cpu returns the list's cpu quantity (zero if absent).
func (rl ResourceList) Cpu() Quantity { return rl[ResourceCPU] }

// Memory returns the list's memory quantity (zero if absent).
func (rl ResourceList) Memory() Quantity { return rl[ResourceMemory] }

// Pods returns the list's pods quantity (zero if absent).
func (rl ResourceList) Pods() Quantity { return rl[ResourcePods] }
