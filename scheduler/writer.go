package scheduler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// Binder places a pod on a node. The API server binds a pod only while it
// is unbound (409 Conflict otherwise), so two schedulers, or a deposed
// leader, cannot bind one pod twice.
type Binder interface {
	Bind(ctx context.Context, pod *api.Pod, node string) error
}

// StatusWriter records a pod's PodScheduled condition. It must not
// overwrite a pod that changed since the version given (a 409 then).
type StatusWriter interface {
	SetPodCondition(ctx context.Context, pod *api.Pod, c api.PodCondition) error
}

// EventRecorder reports events about objects (events.Recorder does).
type EventRecorder interface {
	Eventf(ref api.ObjectReference, eventType, reason, messageFmt string, args ...any)
}

// APIWriter is the Binder and StatusWriter over the REST client.
type APIWriter struct {
	c *client.Client
}

var (
	_ Binder       = (*APIWriter)(nil)
	_ StatusWriter = (*APIWriter)(nil)
)

// NewAPIWriter returns the writer of c.
func NewAPIWriter(c *client.Client) *APIWriter { return &APIWriter{c: c} }

// Bind POSTs a Binding naming the pod's UID, so that a pod deleted and
// re-created under the same name is not bound by mistake.
func (w *APIWriter) Bind(ctx context.Context, pod *api.Pod, node string) error {
	return w.c.Pods(pod.Namespace).Bind(ctx, &api.Binding{
		ObjectMeta: api.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     api.ObjectReference{Kind: "Node", APIVersion: "v1", Name: node},
	})
}

// SetPodCondition strategic-merge-patches the condition into the pod's
// status, with the pod's resourceVersion as a precondition.
func (w *APIWriter) SetPodCondition(ctx context.Context, pod *api.Pod, c api.PodCondition) error {
	type meta struct {
		ResourceVersion string `json:"resourceVersion,omitempty"`
	}
	type status struct {
		Conditions []api.PodCondition `json:"conditions"`
	}
	body, err := json.Marshal(struct {
		Metadata meta   `json:"metadata"`
		Status   status `json:"status"`
	}{meta{pod.ResourceVersion}, status{[]api.PodCondition{c}}})
	if err != nil {
		return fmt.Errorf("encode condition patch: %w", err)
	}
	err = w.c.Pods(pod.Namespace).PatchDiscard(ctx, pod.Name, client.StrategicMergePatchType, body, "status")
	return err
}
