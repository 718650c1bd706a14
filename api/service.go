package api

// This file holds the kinds of Services and their endpoints: core/v1
// Service and Endpoints, discovery.k8s.io/v1 EndpointSlice.

// Service is a stable virtual address (and, for NodePort and LoadBalancer,
// a port on every node) for a set of pods (core/v1).
type Service struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the service's desired behaviour.
	Spec ServiceSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the load balancer's state (always pending in minik8s).
	Status ServiceStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// ServiceType says how a Service is exposed.
type ServiceType string

// Service types.
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIP"
	ServiceTypeNodePort     ServiceType = "NodePort"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	ServiceTypeExternalName ServiceType = "ExternalName"
)

// ClusterIPNone is the clusterIP of a headless Service.
const ClusterIPNone = "None"

// ServiceSpec describes a Service.
type ServiceSpec struct {
	// Ports are the ports the service exposes.
	Ports []ServicePort `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"port" listType:"map" listMapKeys:"port,protocol" protobuf:"bytes,1,rep,name=ports"`
	// Selector picks the pods behind the service; without one, its
	// endpoints are managed by hand.
	Selector map[string]string `json:"selector,omitempty" protobuf:"bytes,2,rep,name=selector"`
	// ClusterIP is the service's virtual IP, allocated from the service
	// range unless given; "None" for a headless service. Immutable.
	ClusterIP string `json:"clusterIP,omitempty" protobuf:"bytes,3,opt,name=clusterIP"`
	// ClusterIPs are the service's IPs, one per family; the first is ClusterIP.
	ClusterIPs []string `json:"clusterIPs,omitempty" protobuf:"bytes,18,rep,name=clusterIPs"`
	// Type: ClusterIP (the default), NodePort, LoadBalancer or ExternalName.
	Type ServiceType `json:"type,omitempty" protobuf:"bytes,4,opt,name=type"`
	// ExternalIPs are addresses outside the cluster the nodes also accept
	// the service's traffic on.
	ExternalIPs []string `json:"externalIPs,omitempty" protobuf:"bytes,5,rep,name=externalIPs"`
	// SessionAffinity: None (the default) or ClientIP.
	SessionAffinity string `json:"sessionAffinity,omitempty" protobuf:"bytes,7,opt,name=sessionAffinity"`
	// LoadBalancerIP asks a load balancer for an address (deprecated).
	LoadBalancerIP string `json:"loadBalancerIP,omitempty" protobuf:"bytes,8,opt,name=loadBalancerIP"`
	// LoadBalancerSourceRanges restrict a load balancer's clients (CIDRs).
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty" protobuf:"bytes,9,rep,name=loadBalancerSourceRanges"`
	// ExternalName is the DNS name an ExternalName service aliases.
	ExternalName string `json:"externalName,omitempty" protobuf:"bytes,10,opt,name=externalName"`
	// ExternalTrafficPolicy: Cluster or Local, for NodePort and LoadBalancer.
	ExternalTrafficPolicy string `json:"externalTrafficPolicy,omitempty" protobuf:"bytes,11,opt,name=externalTrafficPolicy"`
	// HealthCheckNodePort serves health checks of a Local load balancer.
	HealthCheckNodePort int32 `json:"healthCheckNodePort,omitempty" protobuf:"varint,12,opt,name=healthCheckNodePort"`
	// PublishNotReadyAddresses puts pods that are not ready in the endpoints.
	PublishNotReadyAddresses bool `json:"publishNotReadyAddresses,omitempty" protobuf:"varint,13,opt,name=publishNotReadyAddresses"`
	// SessionAffinityConfig holds ClientIP affinity's timeout.
	SessionAffinityConfig *SessionAffinityConfig `json:"sessionAffinityConfig,omitempty" protobuf:"bytes,14,opt,name=sessionAffinityConfig"`
	// IPFamilies are the families of ClusterIPs: IPv4, IPv6.
	IPFamilies []string `json:"ipFamilies,omitempty" protobuf:"bytes,19,rep,name=ipFamilies"`
	// IPFamilyPolicy: SingleStack, PreferDualStack or RequireDualStack.
	IPFamilyPolicy *string `json:"ipFamilyPolicy,omitempty" protobuf:"bytes,17,opt,name=ipFamilyPolicy"`
	// AllocateLoadBalancerNodePorts: whether a LoadBalancer gets node
	// ports (default true).
	AllocateLoadBalancerNodePorts *bool `json:"allocateLoadBalancerNodePorts,omitempty" protobuf:"varint,20,opt,name=allocateLoadBalancerNodePorts"`
	// LoadBalancerClass names the load balancer implementation.
	LoadBalancerClass *string `json:"loadBalancerClass,omitempty" protobuf:"bytes,21,opt,name=loadBalancerClass"`
	// InternalTrafficPolicy: Cluster (the default) or Local.
	InternalTrafficPolicy *string `json:"internalTrafficPolicy,omitempty" protobuf:"bytes,22,opt,name=internalTrafficPolicy"`
	// TrafficDistribution is a routing preference (PreferClose, ...).
	TrafficDistribution *string `json:"trafficDistribution,omitempty" protobuf:"bytes,23,opt,name=trafficDistribution"`
}

// ServicePort is one port of a Service.
type ServicePort struct {
	// Name is required when the service has several ports (a DNS label).
	Name string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// Protocol: TCP (default), UDP or SCTP.
	Protocol Protocol `json:"protocol,omitempty" default:"TCP" protobuf:"bytes,2,opt,name=protocol"`
	// AppProtocol is the application protocol (a hint).
	AppProtocol *string `json:"appProtocol,omitempty" protobuf:"bytes,6,opt,name=appProtocol"`
	// Port is the port the service exposes, 1-65535.
	Port int32 `json:"port" protobuf:"varint,3,opt,name=port"`
	// TargetPort is the pods' port, a number or a container port's name;
	// it defaults to Port.
	TargetPort IntOrString `json:"targetPort,omitempty" protobuf:"bytes,4,opt,name=targetPort"`
	// NodePort is the port on every node, allocated from the node port
	// range unless given (NodePort and LoadBalancer services).
	NodePort int32 `json:"nodePort,omitempty" protobuf:"varint,5,opt,name=nodePort"`
}

// SessionAffinityConfig configures session affinity.
type SessionAffinityConfig struct {
	// ClientIP configures ClientIP affinity.
	ClientIP *ClientIPConfig `json:"clientIP,omitempty" protobuf:"bytes,1,opt,name=clientIP"`
}

// ClientIPConfig configures ClientIP affinity.
type ClientIPConfig struct {
	// TimeoutSeconds is the affinity's lifetime, 1-86400 (default 10800).
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty" protobuf:"varint,1,opt,name=timeoutSeconds"`
}

// ServiceStatus is the observed state of a Service.
type ServiceStatus struct {
	// LoadBalancer is the load balancer's state.
	LoadBalancer LoadBalancerStatus `json:"loadBalancer,omitempty" protobuf:"bytes,1,opt,name=loadBalancer"`
	// Conditions are the service's conditions.
	Conditions []Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,2,rep,name=conditions"`
}

// LoadBalancerStatus lists a load balancer's ingress points.
type LoadBalancerStatus struct {
	// Ingress are the addresses traffic for the load balancer goes to.
	Ingress []LoadBalancerIngress `json:"ingress,omitempty" protobuf:"bytes,1,rep,name=ingress"`
}

// LoadBalancerIngress is one ingress point of a load balancer.
type LoadBalancerIngress struct {
	// IP of the ingress point.
	IP string `json:"ip,omitempty" protobuf:"bytes,1,opt,name=ip"`
	// Hostname of the ingress point.
	Hostname string `json:"hostname,omitempty" protobuf:"bytes,2,opt,name=hostname"`
	// IPMode: VIP or Proxy.
	IPMode *string `json:"ipMode,omitempty" protobuf:"bytes,3,opt,name=ipMode"`
	// Ports are the states of the service's ports on this ingress point.
	Ports []PortStatus `json:"ports,omitempty" protobuf:"bytes,4,rep,name=ports"`
}

// PortStatus is the state of one port of a load balancer.
type PortStatus struct {
	// Port number.
	Port int32 `json:"port" protobuf:"varint,1,opt,name=port"`
	// Protocol of the port.
	Protocol Protocol `json:"protocol" protobuf:"bytes,2,opt,name=protocol"`
	// Error says why the port is not working, if it is not.
	Error *string `json:"error,omitempty" protobuf:"bytes,3,opt,name=error"`
}

// Endpoints are the addresses behind a Service, by subset of ports
// (core/v1; deprecated in favour of EndpointSlices).
type Endpoints struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Subsets group addresses by the ports they all serve.
	Subsets []EndpointSubset `json:"subsets,omitempty" protobuf:"bytes,2,rep,name=subsets"`
}

// EndpointSubset is a set of addresses that all serve the same ports.
type EndpointSubset struct {
	// Addresses are ready to serve.
	Addresses []EndpointAddress `json:"addresses,omitempty" protobuf:"bytes,1,rep,name=addresses"`
	// NotReadyAddresses are not ready yet (or no longer).
	NotReadyAddresses []EndpointAddress `json:"notReadyAddresses,omitempty" protobuf:"bytes,2,rep,name=notReadyAddresses"`
	// Ports are the ports every address serves.
	Ports []EndpointPort `json:"ports,omitempty" protobuf:"bytes,3,rep,name=ports"`
}

// EndpointAddress is one endpoint's address.
type EndpointAddress struct {
	// IP of the endpoint.
	IP string `json:"ip" protobuf:"bytes,1,opt,name=ip"`
	// Hostname of the endpoint (a DNS label).
	Hostname string `json:"hostname,omitempty" protobuf:"bytes,3,opt,name=hostname"`
	// NodeName is the node hosting the endpoint.
	NodeName *string `json:"nodeName,omitempty" protobuf:"bytes,4,opt,name=nodeName"`
	// TargetRef is the object behind the endpoint (a pod).
	TargetRef *ObjectReference `json:"targetRef,omitempty" protobuf:"bytes,2,opt,name=targetRef"`
}

// EndpointPort is one port of an EndpointSubset.
type EndpointPort struct {
	// Name is the service port's name (required with several ports).
	Name string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// Port number, 1-65535.
	Port int32 `json:"port" protobuf:"varint,2,opt,name=port"`
	// Protocol: TCP (default), UDP or SCTP.
	Protocol Protocol `json:"protocol,omitempty" protobuf:"bytes,3,opt,name=protocol"`
	// AppProtocol is the application protocol (a hint).
	AppProtocol *string `json:"appProtocol,omitempty" protobuf:"bytes,4,opt,name=appProtocol"`
}

// EndpointsOverCapacityAnnotation is set to "truncated" on Endpoints
// that list only MaxEndpointsAddresses of a Service's addresses.
const EndpointsOverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity"

// MaxEndpointsAddresses is how many addresses an Endpoints object lists
// at most, as in Kubernetes since 1.22: EndpointSlices carry the rest.
const MaxEndpointsAddresses = 1000

// LabelServiceName labels an EndpointSlice with the Service it belongs to.
const LabelServiceName = "kubernetes.io/service-name"

// LabelManagedBy labels an EndpointSlice with the controller that manages it.
const LabelManagedBy = "endpointslice.kubernetes.io/managed-by"

// EndpointSlice is a slice of the endpoints behind a Service
// (discovery.k8s.io/v1).
type EndpointSlice struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// AddressType: IPv4, IPv6 or FQDN. Immutable.
	AddressType string `json:"addressType" protobuf:"bytes,4,rep,name=addressType"`
	// Endpoints are at most 1000 endpoints.
	Endpoints []Endpoint `json:"endpoints" protobuf:"bytes,2,rep,name=endpoints"`
	// Ports every endpoint serves (at most 100).
	Ports []EndpointSlicePort `json:"ports" protobuf:"bytes,3,rep,name=ports"`
}

// Endpoint is one endpoint of an EndpointSlice.
type Endpoint struct {
	// Addresses of the endpoint (one is used).
	Addresses []string `json:"addresses" protobuf:"bytes,1,rep,name=addresses"`
	// Conditions are the endpoint's ready, serving and terminating states.
	Conditions EndpointConditions `json:"conditions,omitempty" protobuf:"bytes,2,opt,name=conditions"`
	// Hostname of the endpoint (a DNS label).
	Hostname *string `json:"hostname,omitempty" protobuf:"bytes,3,opt,name=hostname"`
	// TargetRef is the object behind the endpoint (a pod).
	TargetRef *ObjectReference `json:"targetRef,omitempty" protobuf:"bytes,4,opt,name=targetRef"`
	// DeprecatedTopology is topology information (deprecated).
	DeprecatedTopology map[string]string `json:"deprecatedTopology,omitempty" protobuf:"bytes,5,rep,name=deprecatedTopology"`
	// NodeName is the node hosting the endpoint.
	NodeName *string `json:"nodeName,omitempty" protobuf:"bytes,6,opt,name=nodeName"`
	// Zone is the zone the endpoint is in.
	Zone *string `json:"zone,omitempty" protobuf:"bytes,7,opt,name=zone"`
	// Hints are for topology-aware routing.
	Hints *EndpointHints `json:"hints,omitempty" protobuf:"bytes,8,opt,name=hints"`
}

// EndpointConditions are an endpoint's states.
type EndpointConditions struct {
	// Ready: the endpoint may take new traffic (serving and not terminating).
	Ready *bool `json:"ready,omitempty" protobuf:"varint,1,opt,name=ready"`
	// Serving: the endpoint answers, terminating or not.
	Serving *bool `json:"serving,omitempty" protobuf:"varint,2,opt,name=serving"`
	// Terminating: the endpoint is being deleted.
	Terminating *bool `json:"terminating,omitempty" protobuf:"varint,3,opt,name=terminating"`
}

// EndpointHints are topology hints of an endpoint.
type EndpointHints struct {
	// ForZones are the zones the endpoint should serve.
	ForZones []ForZone `json:"forZones,omitempty" protobuf:"bytes,1,rep,name=forZones"`
	// ForNodes are the nodes the endpoint should serve.
	ForNodes []ForNode `json:"forNodes,omitempty" protobuf:"bytes,2,rep,name=forNodes"`
}

// ForZone names a zone.
type ForZone struct {
	// Name of the zone.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
}

// ForNode names a node.
type ForNode struct {
	// Name of the node.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
}

// EndpointSlicePort is one port of an EndpointSlice (discovery.k8s.io/v1
// EndpointPort).
type EndpointSlicePort struct {
	// Name is the service port's name ("" for an unnamed port).
	Name *string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// Protocol: TCP (default), UDP or SCTP.
	Protocol *Protocol `json:"protocol,omitempty" protobuf:"bytes,2,opt,name=protocol"`
	// Port number; nil means every port.
	Port *int32 `json:"port,omitempty" protobuf:"varint,3,opt,name=port"`
	// AppProtocol is the application protocol (a hint).
	AppProtocol *string `json:"appProtocol,omitempty" protobuf:"bytes,4,opt,name=appProtocol"`
}
