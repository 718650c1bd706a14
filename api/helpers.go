package api

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Object is any kind with object metadata. Every kind implements it with
// a pointer receiver (the method is promoted from the embedded ObjectMeta),
// so generic code such as the informer and the client reaches metadata
// through it.
type Object interface {
	GetObjectMeta() *ObjectMeta
}

// GetObjectMeta returns m itself.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// Key returns "namespace/name", or "name" for a cluster-scoped object, the
// form of client-go's MetaNamespaceKeyFunc.
func (m *ObjectMeta) Key() string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// Compile-time checks that each kind is an Object.
var (
	_ Object = (*Namespace)(nil)
	_ Object = (*Pod)(nil)
	_ Object = (*Node)(nil)
	_ Object = (*Event)(nil)
	_ Object = (*Binding)(nil)
	_ Object = (*ReplicaSet)(nil)
	_ Object = (*Deployment)(nil)
	_ Object = (*Scale)(nil)
	_ Object = (*Lease)(nil)
)

// DeepCopy returns a copy of in that shares no memory with it, made by a
// JSON round trip; it is meant for objects read from a shared cache before
// they are changed. It panics if in does not survive the round trip, which
// no type of this package does.
func DeepCopy[T any](in T) T {
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("deep copy %T: %v", in, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("deep copy %T: %v", in, err))
	}
	return out
}

// GetControllerOf returns the owner reference of m marked as controller,
// or nil.
func GetControllerOf(m *ObjectMeta) *OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// SameController reports whether two controller references, either of
// which may be nil, name the same controller (by uid).
func SameController(a, b *OwnerReference) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UID == b.UID
}

// IsControlledBy reports whether owner is the controller of m (by uid).
func IsControlledBy(m, owner *ObjectMeta) bool {
	r := GetControllerOf(m)
	return r != nil && r.UID == owner.UID
}

// NewControllerRef returns an owner reference that marks owner, of the
// given apiVersion and kind, as the controller of a dependent and blocks
// the owner's foreground deletion until the dependent is gone.
func NewControllerRef(owner ObjectMeta, apiVersion, kind string) *OwnerReference {
	yes := true
	return &OwnerReference{
		APIVersion:         apiVersion,
		Kind:               kind,
		Name:               owner.Name,
		UID:                owner.UID,
		Controller:         &yes,
		BlockOwnerDeletion: &yes,
	}
}

// GetPodCondition returns the condition of type t in status, or nil. The
// pointer aliases status.Conditions.
func GetPodCondition(status *PodStatus, t PodConditionType) *PodCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// SetPodCondition adds c to status or replaces the condition of its type,
// and reports whether anything but the probe time changed. The transition
// time is kept when the status is unchanged, and otherwise set to c's, or
// to now when c has none.
func SetPodCondition(status *PodStatus, c PodCondition) bool {
	if c.LastTransitionTime.IsZero() {
		c.LastTransitionTime = Now()
	}
	old := GetPodCondition(status, c.Type)
	if old == nil {
		status.Conditions = append(status.Conditions, c)
		return true
	}
	if old.Status == c.Status {
		c.LastTransitionTime = old.LastTransitionTime
	}
	changed := old.Status != c.Status || old.Reason != c.Reason || old.Message != c.Message ||
		!old.LastTransitionTime.Equal(c.LastTransitionTime.Time)
	*old = c
	return changed
}

// IsPodReady reports whether the pod's Ready condition is True.
func IsPodReady(p *Pod) bool {
	c := GetPodCondition(&p.Status, PodReady)
	return c != nil && c.Status == ConditionTrue
}

// IsPodAvailable reports whether the pod has been ready for at least
// minReadySeconds at now, as the ReplicaSet and Deployment controllers
// count available replicas.
func IsPodAvailable(p *Pod, minReadySeconds int32, now time.Time) bool {
	c := GetPodCondition(&p.Status, PodReady)
	if c == nil || c.Status != ConditionTrue {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	d := time.Duration(minReadySeconds) * time.Second
	return !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(d).After(now)
}

// IsPodTerminal reports whether the pod has succeeded or failed; its
// containers will not run again.
func IsPodTerminal(p *Pod) bool {
	return p.Status.Phase == PodSucceeded || p.Status.Phase == PodFailed
}

// GetNodeCondition returns the condition of type t in status, or nil. The
// pointer aliases status.Conditions.
func GetNodeCondition(status *NodeStatus, t NodeConditionType) *NodeCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// NodeReadyCondition returns the node's Ready condition, or nil.
func NodeReadyCondition(n *Node) *NodeCondition { return GetNodeCondition(&n.Status, NodeReady) }

// IsNodeReady reports whether the node's Ready condition is True.
func IsNodeReady(n *Node) bool {
	c := NodeReadyCondition(n)
	return c != nil && c.Status == ConditionTrue
}

// RandomSuffix is n random characters of the alphabet Kubernetes uses for
// generated names (no vowels, no look-alikes): generateName's suffix, a
// kube-api-access volume's.
func RandomSuffix(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
