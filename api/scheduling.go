package api

// PriorityClass maps a priority class name to the priority of the pods
// that name it (scheduling.k8s.io/v1).
type PriorityClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Value is the priority of the pods of this class.
	Value int32 `json:"value" protobuf:"varint,2,opt,name=value"`
	// GlobalDefault makes this the class of pods that name none.
	GlobalDefault bool `json:"globalDefault,omitempty" protobuf:"varint,3,opt,name=globalDefault"`
	// Description says when to use this class.
	Description string `json:"description,omitempty" protobuf:"bytes,4,opt,name=description"`
	// PreemptionPolicy: PreemptLowerPriority (the default) or Never.
	PreemptionPolicy *PreemptionPolicy `json:"preemptionPolicy,omitempty" protobuf:"bytes,5,opt,name=preemptionPolicy"`
}

// PreemptionPolicy says whether pods of a class may preempt others.
type PreemptionPolicy string

// Preemption policies, and the limits and names of priority classes.
const (
	PreemptLowerPriority PreemptionPolicy = "PreemptLowerPriority"
	PreemptNever         PreemptionPolicy = "Never"

	// HighestUserDefinablePriority is the highest value of a class a user
	// may create; higher ones are the system's.
	HighestUserDefinablePriority = 1000000000
	// SystemCriticalPriority is the value of system-cluster-critical.
	SystemCriticalPriority = 2 * HighestUserDefinablePriority

	SystemPriorityClassPrefix = "system-"
	SystemClusterCritical     = "system-cluster-critical"
	SystemNodeCritical        = "system-node-critical"
)
