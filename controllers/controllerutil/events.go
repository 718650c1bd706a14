package controllerutil

import "github.com/minik8s/minik8s/api"

// EventRecorder records an Event about the object ref names (type
// api.EventTypeNormal or api.EventTypeWarning, a CamelCase reason, a
// printf-style message). It must not block; recording is best effort.
// *events.Recorder implements it.
type EventRecorder interface {
	Eventf(ref api.ObjectReference, eventType, reason, messageFmt string, args ...any)
}

// Ref returns a reference to obj, of the given apiVersion and kind, for
// EventRecorder.Eventf.
func Ref(apiVersion, kind string, obj api.Object) api.ObjectReference {
	m := obj.GetObjectMeta()
	return api.ObjectReference{
		APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: m.Name,
		UID: m.UID, ResourceVersion: m.ResourceVersion,
	}
}
