package api

import (
	"encoding/json"
	"time"
)

// This file holds metrics.k8s.io/v1beta1, the resource metrics API that
// metrics-server serves in Kubernetes and `kubectl top` and the
// HorizontalPodAutoscaler read: NodeMetrics and PodMetrics. Neither is
// stored; the API server answers them from what the node agents measure.

// MetricsGroup is the resource metrics API group.
const MetricsGroup = "metrics.k8s.io"

// NodeMetrics is a node's resource usage (metrics.k8s.io/v1beta1).
type NodeMetrics struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Timestamp is when the usage was measured: the end of Window.
	Timestamp Time `json:"timestamp" protobuf:"bytes,2,opt,name=timestamp"`
	// Window is the interval the CPU usage is averaged over, ending at
	// Timestamp.
	Window Duration `json:"window" protobuf:"bytes,3,opt,name=window"`
	// Usage holds cpu (cores) and memory (working set bytes).
	Usage ResourceList `json:"usage" protobuf:"bytes,4,rep,name=usage"`
}

// NodeMetricsList is a list of NodeMetrics.
type NodeMetricsList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	Items    []NodeMetrics `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// PodMetrics is the resource usage of a pod's containers
// (metrics.k8s.io/v1beta1).
type PodMetrics struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Timestamp is when the usage was measured: the end of Window.
	Timestamp Time `json:"timestamp" protobuf:"bytes,2,opt,name=timestamp"`
	// Window is the interval the CPU usage is averaged over.
	Window Duration `json:"window" protobuf:"bytes,3,opt,name=window"`
	// Containers holds the usage of each running container.
	Containers []ContainerMetrics `json:"containers" protobuf:"bytes,4,rep,name=containers"`
}

// PodMetricsList is a list of PodMetrics.
type PodMetricsList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	Items    []PodMetrics `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ContainerMetrics is one container's resource usage.
type ContainerMetrics struct {
	// Name is the container's name in the pod spec.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
	// Usage holds cpu (cores) and memory (working set bytes).
	Usage ResourceList `json:"usage" protobuf:"bytes,2,rep,name=usage"`
}

// Duration is a time.Duration written as Go writes it ("15s", "1m0.5s"),
// as metav1.Duration is.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}
