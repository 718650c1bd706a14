package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// TypeMeta is the apiVersion/kind pair every object and list carries.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty" protobuf:"bytes,2,opt,name=apiVersion"`
	Kind       string `json:"kind,omitempty" protobuf:"bytes,1,opt,name=kind"`
}

// GetTypeMeta returns t itself: through the kinds that embed it, their
// apiVersion and kind.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// ObjectMeta is the metadata every stored object carries. Fields marked
// server-set in the API conventions (uid, resourceVersion, generation,
// creationTimestamp) are written only by the API server.
type ObjectMeta struct {
	Name                       string            `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	GenerateName               string            `json:"generateName,omitempty" protobuf:"bytes,2,opt,name=generateName"`
	Namespace                  string            `json:"namespace,omitempty" protobuf:"bytes,3,opt,name=namespace"`
	UID                        string            `json:"uid,omitempty" protobuf:"bytes,5,opt,name=uid"`
	ResourceVersion            string            `json:"resourceVersion,omitempty" protobuf:"bytes,6,opt,name=resourceVersion"`
	Generation                 int64             `json:"generation,omitempty" protobuf:"varint,7,opt,name=generation"`
	CreationTimestamp          Time              `json:"creationTimestamp,omitempty" protobuf:"bytes,8,opt,name=creationTimestamp"`
	DeletionTimestamp          *Time             `json:"deletionTimestamp,omitempty" protobuf:"bytes,9,opt,name=deletionTimestamp"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty" protobuf:"varint,10,opt,name=deletionGracePeriodSeconds"`
	Labels                     map[string]string `json:"labels,omitempty" protobuf:"bytes,11,rep,name=labels"`
	Annotations                map[string]string `json:"annotations,omitempty" protobuf:"bytes,12,rep,name=annotations"`
	OwnerReferences            []OwnerReference  `json:"ownerReferences,omitempty" patchStrategy:"merge" patchMergeKey:"uid" protobuf:"bytes,13,rep,name=ownerReferences"`
	Finalizers                 []string          `json:"finalizers,omitempty" patchStrategy:"merge" protobuf:"bytes,14,rep,name=finalizers"`
	ManagedFields              []json.RawMessage `json:"managedFields,omitempty"`
}

// PartialObjectMetadata is any object read for its metadata alone
// (meta.k8s.io/v1 PartialObjectMetadata): what a controller that acts on
// every kind, as the garbage collector does, decodes.
type PartialObjectMetadata struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
}

// OwnerReference points from a dependent to its owner (garbage collection).
type OwnerReference struct {
	APIVersion         string `json:"apiVersion" protobuf:"bytes,5,opt,name=apiVersion"`
	Kind               string `json:"kind" protobuf:"bytes,1,opt,name=kind"`
	Name               string `json:"name" protobuf:"bytes,3,opt,name=name"`
	UID                string `json:"uid" protobuf:"bytes,4,opt,name=uid"`
	Controller         *bool  `json:"controller,omitempty" protobuf:"varint,6,opt,name=controller"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty" protobuf:"varint,7,opt,name=blockOwnerDeletion"`
}

// ListMeta is the metadata of a list: the store revision it was read at.
type ListMeta struct {
	ResourceVersion    string `json:"resourceVersion,omitempty" protobuf:"bytes,2,opt,name=resourceVersion"`
	Continue           string `json:"continue,omitempty" protobuf:"bytes,3,opt,name=continue"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty" protobuf:"varint,4,opt,name=remainingItemCount"`
}

// Time is a timestamp serialised as RFC 3339 with second precision, as
// Kubernetes' metav1.Time. The zero value serialises as null.
type Time struct{ time.Time }

// Now returns the current time truncated to seconds.
func Now() Time { return Time{time.Now().UTC().Truncate(time.Second)} }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Second)} }

func (t Time) MarshalJSON() ([]byte, error) { return marshalTime(t.Time, time.RFC3339) }

func (t *Time) UnmarshalJSON(b []byte) error { return unmarshalTime(b, &t.Time) }

// marshalTime renders t in UTC with layout, and the zero time as null.
func marshalTime(t time.Time, layout string) ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(layout))
}

// unmarshalTime reads an RFC 3339 timestamp (any precision); null and ""
// are the zero time.
func unmarshalTime(b []byte, t *time.Time) error {
	if string(b) == "null" {
		*t = time.Time{}
		return nil
	}
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		s = string(b[1 : n-1]) // what every server writes: no escapes to undo
	} else if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = time.Time{}
		return nil
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = p.Local()
	return nil
}

// MicroTime is a timestamp with microsecond precision (Lease renewTime,
// Event eventTime), as Kubernetes' metav1.MicroTime.
type MicroTime struct{ time.Time }

const microTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// NowMicro returns the current time truncated to microseconds.
func NowMicro() MicroTime { return MicroTime{time.Now().UTC().Truncate(time.Microsecond)} }

func (t MicroTime) MarshalJSON() ([]byte, error) { return marshalTime(t.Time, microTimeFormat) }

func (t *MicroTime) UnmarshalJSON(b []byte) error { return unmarshalTime(b, &t.Time) }

// Status is the body of every error response (and of some successes, such
// as a DELETE of an object that is gone at once).
type Status struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata" protobuf:"bytes,1,opt,name=metadata"`
	Status   string         `json:"status,omitempty" protobuf:"bytes,2,opt,name=status"` // "Success" or "Failure"
	Message  string         `json:"message,omitempty" protobuf:"bytes,3,opt,name=message"`
	Reason   StatusReason   `json:"reason,omitempty" protobuf:"bytes,4,opt,name=reason"`
	Details  *StatusDetails `json:"details,omitempty" protobuf:"bytes,5,opt,name=details"`
	Code     int32          `json:"code,omitempty" protobuf:"varint,6,opt,name=code"`
}

// StatusReason is the machine-readable reason of a Status.
type StatusReason string

const (
	StatusReasonUnauthorized          StatusReason = "Unauthorized"
	StatusReasonForbidden             StatusReason = "Forbidden"
	StatusReasonNotFound              StatusReason = "NotFound"
	StatusReasonAlreadyExists         StatusReason = "AlreadyExists"
	StatusReasonConflict              StatusReason = "Conflict"
	StatusReasonGone                  StatusReason = "Gone"
	StatusReasonExpired               StatusReason = "Expired"
	StatusReasonInvalid               StatusReason = "Invalid"
	StatusReasonBadRequest            StatusReason = "BadRequest"
	StatusReasonMethodNotAllowed      StatusReason = "MethodNotAllowed"
	StatusReasonNotAcceptable         StatusReason = "NotAcceptable"
	StatusReasonRequestEntityTooLarge StatusReason = "RequestEntityTooLarge"
	StatusReasonUnsupportedMediaType  StatusReason = "UnsupportedMediaType"
	StatusReasonTooManyRequests       StatusReason = "TooManyRequests"
	StatusReasonInternalError         StatusReason = "InternalError"
	StatusReasonServiceUnavailable    StatusReason = "ServiceUnavailable"
	StatusReasonTimeout               StatusReason = "Timeout"
)

// StatusDetails names the object an error is about and, for Invalid, the
// offending fields.
type StatusDetails struct {
	Name              string        `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	Group             string        `json:"group,omitempty" protobuf:"bytes,2,opt,name=group"`
	Kind              string        `json:"kind,omitempty" protobuf:"bytes,3,opt,name=kind"`
	UID               string        `json:"uid,omitempty" protobuf:"bytes,6,opt,name=uid"`
	Causes            []StatusCause `json:"causes,omitempty" protobuf:"bytes,4,rep,name=causes"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty" protobuf:"varint,5,opt,name=retryAfterSeconds"`
}

// StatusCause is one field-level problem of an Invalid request.
type StatusCause struct {
	Type    string `json:"reason,omitempty" protobuf:"bytes,1,opt,name=reason"` // e.g. FieldValueInvalid, FieldValueRequired
	Message string `json:"message,omitempty" protobuf:"bytes,2,opt,name=message"`
	Field   string `json:"field,omitempty" protobuf:"bytes,3,opt,name=field"`
}

// WatchEvent is one line of a watch stream.
type WatchEvent struct {
	Type   string          `json:"type"` // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
	Object json.RawMessage `json:"object"`
}

// DeleteOptions is the optional body of a DELETE.
type DeleteOptions struct {
	TypeMeta           `json:",inline"`
	GracePeriodSeconds *int64         `json:"gracePeriodSeconds,omitempty" protobuf:"varint,1,opt,name=gracePeriodSeconds"`
	Preconditions      *Preconditions `json:"preconditions,omitempty" protobuf:"bytes,2,opt,name=preconditions"`
	PropagationPolicy  *string        `json:"propagationPolicy,omitempty" protobuf:"bytes,4,opt,name=propagationPolicy"` // Orphan, Background, Foreground
	OrphanDependents   *bool          `json:"orphanDependents,omitempty" protobuf:"varint,3,opt,name=orphanDependents"`
	DryRun             []string       `json:"dryRun,omitempty" protobuf:"bytes,5,rep,name=dryRun"`
}

// Preconditions must hold for a DELETE to proceed.
type Preconditions struct {
	UID             *string `json:"uid,omitempty" protobuf:"bytes,1,opt,name=uid"`
	ResourceVersion *string `json:"resourceVersion,omitempty" protobuf:"bytes,2,opt,name=resourceVersion"`
}

// Well-known finalizers and propagation policies.
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"

	PropagationOrphan     = "Orphan"
	PropagationBackground = "Background"
	PropagationForeground = "Foreground"
)

// ReasonForCode is the Status reason Kubernetes gives an HTTP error code
// ("" for codes without one).
func ReasonForCode(code int) StatusReason {
	switch code {
	case http.StatusBadRequest:
		return StatusReasonBadRequest
	case http.StatusUnauthorized:
		return StatusReasonUnauthorized
	case http.StatusForbidden:
		return StatusReasonForbidden
	case http.StatusNotFound:
		return StatusReasonNotFound
	case http.StatusMethodNotAllowed:
		return StatusReasonMethodNotAllowed
	case http.StatusNotAcceptable:
		return StatusReasonNotAcceptable
	case http.StatusConflict:
		return StatusReasonConflict
	case http.StatusGone:
		return StatusReasonGone
	case http.StatusRequestEntityTooLarge:
		return StatusReasonRequestEntityTooLarge
	case http.StatusUnsupportedMediaType:
		return StatusReasonUnsupportedMediaType
	case http.StatusUnprocessableEntity:
		return StatusReasonInvalid
	case http.StatusTooManyRequests:
		return StatusReasonTooManyRequests
	case http.StatusServiceUnavailable:
		return StatusReasonServiceUnavailable
	case http.StatusGatewayTimeout:
		return StatusReasonTimeout
	}
	if code >= 500 {
		return StatusReasonInternalError
	}
	return ""
}

// Condition is meta/v1's condition, the one newer kinds use
// (PodDisruptionBudget's status).
type Condition struct {
	// Type of the condition, CamelCase.
	Type string `json:"type" protobuf:"bytes,1,opt,name=type"`
	// Status: True, False or Unknown.
	Status ConditionStatus `json:"status" protobuf:"bytes,2,opt,name=status"`
	// ObservedGeneration is the generation the condition describes.
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,3,opt,name=observedGeneration"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime Time `json:"lastTransitionTime" protobuf:"bytes,4,opt,name=lastTransitionTime"`
	// Reason is a brief CamelCase reason for the last transition.
	Reason string `json:"reason" protobuf:"bytes,5,opt,name=reason"`
	// Message is a human-readable explanation.
	Message string `json:"message" protobuf:"bytes,6,opt,name=message"`
}
