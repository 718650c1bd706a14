package api

// EventV1 is the events.k8s.io/v1 form of an Event: the same object as a
// core/v1 Event, stored once, with fields renamed (regarding for
// involvedObject, note for message) and the core-only ones kept as
// deprecated*. client-go's events package (tools/events) and
// kube-scheduler write events this way.
type EventV1 struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata" protobuf:"bytes,1,opt,name=metadata"`
	// EventTime is when the event was first observed. Required.
	EventTime MicroTime `json:"eventTime" protobuf:"bytes,2,opt,name=eventTime"`
	// Series holds data of a repeating event; nil for a singleton.
	Series *EventSeries `json:"series,omitempty" protobuf:"bytes,3,opt,name=series"`
	// ReportingController is the controller that emitted the event, e.g.
	// kubernetes.io/kubelet. Required for new events.
	ReportingController string `json:"reportingController,omitempty" protobuf:"bytes,4,opt,name=reportingController"`
	// ReportingInstance is the id of the controller instance. Required
	// for new events.
	ReportingInstance string `json:"reportingInstance,omitempty" protobuf:"bytes,5,opt,name=reportingInstance"`
	// Action taken or failed regarding the regarding object. Required for
	// new events.
	Action string `json:"action,omitempty" protobuf:"bytes,6,opt,name=action"`
	// Reason is why the action was taken. Required for new events.
	Reason string `json:"reason,omitempty" protobuf:"bytes,7,opt,name=reason"`
	// Regarding is the object the event is about.
	Regarding ObjectReference `json:"regarding,omitempty" protobuf:"bytes,8,opt,name=regarding"`
	// Related is a second object the event is about.
	Related *ObjectReference `json:"related,omitempty" protobuf:"bytes,9,opt,name=related"`
	// Note is a human-readable description.
	Note string `json:"note,omitempty" protobuf:"bytes,10,opt,name=note"`
	// Type: Normal or Warning.
	Type string `json:"type,omitempty" protobuf:"bytes,11,opt,name=type"`
	// DeprecatedSource is core/v1's source.
	DeprecatedSource EventSource `json:"deprecatedSource,omitempty" protobuf:"bytes,12,opt,name=deprecatedSource"`
	// DeprecatedFirstTimestamp is core/v1's firstTimestamp.
	DeprecatedFirstTimestamp Time `json:"deprecatedFirstTimestamp,omitempty" protobuf:"bytes,13,opt,name=deprecatedFirstTimestamp"`
	// DeprecatedLastTimestamp is core/v1's lastTimestamp.
	DeprecatedLastTimestamp Time `json:"deprecatedLastTimestamp,omitempty" protobuf:"bytes,14,opt,name=deprecatedLastTimestamp"`
	// DeprecatedCount is core/v1's count.
	DeprecatedCount int32 `json:"deprecatedCount,omitempty" protobuf:"varint,15,opt,name=deprecatedCount"`
}

// EventToV1 is a stored (core/v1) event in its events.k8s.io/v1 form,
// sharing e's maps and pointers.
func EventToV1(e *Event) *EventV1 {
	return &EventV1{
		TypeMeta:                 TypeMeta{APIVersion: "events.k8s.io/v1", Kind: "Event"},
		ObjectMeta:               e.ObjectMeta,
		EventTime:                e.EventTime,
		Series:                   e.Series,
		ReportingController:      e.ReportingController,
		ReportingInstance:        e.ReportingInstance,
		Action:                   e.Action,
		Reason:                   e.Reason,
		Regarding:                e.InvolvedObject,
		Related:                  e.Related,
		Note:                     e.Message,
		Type:                     e.Type,
		DeprecatedSource:         e.Source,
		DeprecatedFirstTimestamp: e.FirstTimestamp,
		DeprecatedLastTimestamp:  e.LastTimestamp,
		DeprecatedCount:          e.Count,
	}
}

// EventFromV1 is an events.k8s.io/v1 event in its core/v1 form, as it is
// stored, sharing e's maps and pointers.
func EventFromV1(e *EventV1) *Event {
	return &Event{
		TypeMeta:            TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:          e.ObjectMeta,
		InvolvedObject:      e.Regarding,
		Reason:              e.Reason,
		Message:             e.Note,
		Source:              e.DeprecatedSource,
		FirstTimestamp:      e.DeprecatedFirstTimestamp,
		LastTimestamp:       e.DeprecatedLastTimestamp,
		Count:               e.DeprecatedCount,
		Type:                e.Type,
		EventTime:           e.EventTime,
		Series:              e.Series,
		Action:              e.Action,
		Related:             e.Related,
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
	}
}
