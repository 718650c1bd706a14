package api

// ComponentStatus (core v1, deprecated since Kubernetes 1.19 but still
// served) is the health of one control-plane component. It is never
// stored: the API server works it out on each read.
type ComponentStatus struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Conditions holds one condition, of type Healthy.
	Conditions []ComponentCondition `json:"conditions,omitempty" protobuf:"bytes,2,rep,name=conditions"`
}

// ComponentCondition is one condition of a ComponentStatus.
type ComponentCondition struct {
	// Type is "Healthy", the only type.
	Type string `json:"type" protobuf:"bytes,1,opt,name=type"`
	// Status is True, False or Unknown.
	Status ConditionStatus `json:"status" protobuf:"bytes,2,opt,name=status"`
	// Message says what was found when healthy ("ok").
	Message string `json:"message,omitempty" protobuf:"bytes,3,opt,name=message"`
	// Error says what is wrong when not.
	Error string `json:"error,omitempty" protobuf:"bytes,4,opt,name=error"`
}

// ComponentHealthy is the type of a ComponentStatus's condition.
const ComponentHealthy = "Healthy"
