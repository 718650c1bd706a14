package controllerutil

import (
	"fmt"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// This file holds what the Endpoints and EndpointSlice controllers share,
// as Kubernetes' pkg/controller/util/endpoint does: which pods a Service
// selects, which of them are endpoints and in which state, and the port
// each pod serves a service port on.

// ServicePods returns the pods in cache that the Service's selector
// matches (nil for a Service without a selector, whose endpoints are
// managed by hand). The cache needs the IndexNamespace index.
func ServicePods(pods *informer.Informer[*api.Pod], svc *api.Service) []*api.Pod {
	if svc.Spec.Selector == nil {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var out []*api.Pod
	for _, p := range pods.ByIndex(IndexNamespace, svc.Namespace) {
		if sel.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// ServicesSelecting returns the Services in cache of the pod's namespace
// whose selector matches the pod's labels.
func ServicesSelecting(svcs *informer.Informer[*api.Service], pod *api.Pod) []*api.Service {
	var out []*api.Service
	for _, s := range svcs.ByIndex(IndexNamespace, pod.Namespace) {
		if s.Spec.Selector != nil && labels.SelectorFromSet(s.Spec.Selector).Matches(pod.Labels) {
			out = append(out, s)
		}
	}
	return out
}

// EndpointState is what a pod is as an endpoint of a Service, with the
// meanings of EndpointSlice's conditions.
type EndpointState struct {
	// Serving: the pod is ready, whether it is terminating or not.
	Serving bool
	// Terminating: the pod is being deleted.
	Terminating bool
	// Ready: it may take new traffic: serving and not terminating, or the
	// Service publishes addresses that are not ready.
	Ready bool
}

// PodEndpoint reports whether pod is an endpoint of svc at all (it has an
// IP and has not finished) and in which state.
func PodEndpoint(svc *api.Service, pod *api.Pod) (EndpointState, bool) {
	if pod.Status.PodIP == "" || api.IsPodTerminal(pod) {
		return EndpointState{}, false
	}
	st := EndpointState{Serving: api.IsPodReady(pod), Terminating: pod.DeletionTimestamp != nil}
	st.Ready = svc.Spec.PublishNotReadyAddresses || (st.Serving && !st.Terminating)
	return st, true
}

// PodPort resolves a service port's target port on pod: a number as it
// is, a name as the container port of that name and protocol.
func PodPort(pod *api.Pod, sp *api.ServicePort) (int32, error) {
	if sp.TargetPort.Type == api.IntOrStringInt {
		if sp.TargetPort.IntVal == 0 {
			return sp.Port, nil
		}
		return sp.TargetPort.IntVal, nil
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			if p.Name == sp.TargetPort.StrVal && proto == sp.Protocol {
				return p.ContainerPort, nil
			}
		}
	}
	return 0, fmt.Errorf("no container port named %q (%s)", sp.TargetPort.StrVal, sp.Protocol)
}

// EndpointsChanged reports whether a pod's update can change the
// endpoints of the Services selecting it.
func EndpointsChanged(old, cur *api.Pod) bool {
	return old.Status.PodIP != cur.Status.PodIP || api.IsPodReady(old) != api.IsPodReady(cur) ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil) ||
		api.IsPodTerminal(old) != api.IsPodTerminal(cur) || old.Spec.NodeName != cur.Spec.NodeName ||
		old.Spec.Hostname != cur.Spec.Hostname || old.Spec.Subdomain != cur.Spec.Subdomain
}
