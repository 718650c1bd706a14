package api

// This file holds the networking.k8s.io/v1 kinds: Ingress, IngressClass
// and NetworkPolicy. minik8s stores and validates them; nothing acts on
// them (there is no ingress controller nor network policy enforcement).

// Ingress routes outside HTTP traffic to Services by host and path
// (networking.k8s.io/v1).
type Ingress struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec holds the rules.
	Spec IngressSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the load balancer's, written by the ingress controller.
	Status IngressStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// IngressSpec is the desired routing.
type IngressSpec struct {
	// IngressClassName names the IngressClass (its controller serves the
	// Ingress).
	IngressClassName *string `json:"ingressClassName,omitempty" protobuf:"bytes,4,opt,name=ingressClassName"`
	// DefaultBackend serves requests no rule matches.
	DefaultBackend *IngressBackend `json:"defaultBackend,omitempty" protobuf:"bytes,1,opt,name=defaultBackend"`
	// TLS terminates TLS for hosts with a Secret's certificate.
	TLS []IngressTLS `json:"tls,omitempty" protobuf:"bytes,2,rep,name=tls"`
	// Rules route by host and path.
	Rules []IngressRule `json:"rules,omitempty" protobuf:"bytes,3,rep,name=rules"`
}

// IngressTLS is a certificate for hosts.
type IngressTLS struct {
	// Hosts the certificate is for.
	Hosts []string `json:"hosts,omitempty" protobuf:"bytes,1,rep,name=hosts"`
	// SecretName is the Secret holding the certificate and key.
	SecretName string `json:"secretName,omitempty" protobuf:"bytes,2,opt,name=secretName"`
}

// IngressStatus is the observed state of an Ingress.
type IngressStatus struct {
	// LoadBalancer is where the Ingress is reachable.
	LoadBalancer IngressLoadBalancerStatus `json:"loadBalancer,omitempty" protobuf:"bytes,1,opt,name=loadBalancer"`
}

// IngressLoadBalancerStatus lists the load balancer's addresses.
type IngressLoadBalancerStatus struct {
	// Ingress points of the load balancer.
	Ingress []IngressLoadBalancerIngress `json:"ingress,omitempty" protobuf:"bytes,1,rep,name=ingress"`
}

// IngressLoadBalancerIngress is one address of the load balancer.
type IngressLoadBalancerIngress struct {
	// IP address.
	IP string `json:"ip,omitempty" protobuf:"bytes,1,opt,name=ip"`
	// Hostname (DNS).
	Hostname string `json:"hostname,omitempty" protobuf:"bytes,2,opt,name=hostname"`
	// Ports of the address.
	Ports []IngressPortStatus `json:"ports,omitempty" protobuf:"bytes,4,rep,name=ports"`
}

// IngressPortStatus is the state of one load balancer port.
type IngressPortStatus struct {
	// Port number.
	Port int32 `json:"port" protobuf:"varint,1,opt,name=port"`
	// Protocol: TCP, UDP or SCTP.
	Protocol Protocol `json:"protocol" protobuf:"bytes,2,opt,name=protocol"`
	// Error of the port, if any.
	Error *string `json:"error,omitempty" protobuf:"bytes,3,opt,name=error"`
}

// IngressRule routes the requests for a host (every host if empty).
type IngressRule struct {
	// Host is a fully qualified domain name, maybe with a leading "*.".
	Host             string `json:"host,omitempty" protobuf:"bytes,1,opt,name=host"`
	IngressRuleValue `json:",inline" protobuf:"bytes,2,opt,name=ingressRuleValue"`
}

// IngressRuleValue is how the requests of a rule are routed.
type IngressRuleValue struct {
	// HTTP routes by path.
	HTTP *HTTPIngressRuleValue `json:"http,omitempty" protobuf:"bytes,1,opt,name=http"`
}

// HTTPIngressRuleValue lists paths and their backends.
type HTTPIngressRuleValue struct {
	// Paths in order of precedence.
	Paths []HTTPIngressPath `json:"paths" protobuf:"bytes,1,rep,name=paths"`
}

// HTTPIngressPath routes one path to a backend.
type HTTPIngressPath struct {
	// Path matched against the request's path; must start with "/" for
	// Exact and Prefix.
	Path string `json:"path,omitempty" protobuf:"bytes,1,opt,name=path"`
	// PathType: Exact, Prefix or ImplementationSpecific.
	PathType *string `json:"pathType" protobuf:"bytes,3,opt,name=pathType"`
	// Backend serves the matched requests.
	Backend IngressBackend `json:"backend" protobuf:"bytes,2,opt,name=backend"`
}

// The path types of an Ingress path.
const (
	PathTypeExact                  = "Exact"
	PathTypePrefix                 = "Prefix"
	PathTypeImplementationSpecific = "ImplementationSpecific"
)

// IngressBackend is a Service port or another resource: exactly one.
type IngressBackend struct {
	// Service and its port.
	Service *IngressServiceBackend `json:"service,omitempty" protobuf:"bytes,4,opt,name=service"`
	// Resource is an object of another kind in the namespace.
	Resource *TypedLocalObjectReference `json:"resource,omitempty" protobuf:"bytes,3,opt,name=resource"`
}

// IngressServiceBackend is a Service's port.
type IngressServiceBackend struct {
	// Name of the Service.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
	// Port of the Service, by name or number.
	Port ServiceBackendPort `json:"port,omitempty" protobuf:"bytes,2,opt,name=port"`
}

// ServiceBackendPort is a Service port by name or number: exactly one.
type ServiceBackendPort struct {
	// Name of the port.
	Name string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// Number of the port.
	Number int32 `json:"number,omitempty" protobuf:"bytes,2,opt,name=number"`
}

// TypedLocalObjectReference names an object in the same namespace.
type TypedLocalObjectReference struct {
	// APIGroup of the referent; empty for core.
	APIGroup *string `json:"apiGroup" protobuf:"bytes,1,opt,name=apiGroup"`
	// Kind of the referent.
	Kind string `json:"kind" protobuf:"bytes,2,opt,name=kind"`
	// Name of the referent.
	Name string `json:"name" protobuf:"bytes,3,opt,name=name"`
}

// IngressClass names an ingress controller (networking.k8s.io/v1).
type IngressClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec names the controller.
	Spec IngressClassSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
}

// IngressClassSpec names the controller and its parameters.
type IngressClassSpec struct {
	// Controller is a domain-prefixed path, e.g. "example.com/ingress".
	Controller string `json:"controller,omitempty" protobuf:"bytes,1,opt,name=controller"`
	// Parameters is an object with the controller's configuration.
	Parameters *IngressClassParametersReference `json:"parameters,omitempty" protobuf:"bytes,2,opt,name=parameters"`
}

// IngressClassParametersReference names the parameters object.
type IngressClassParametersReference struct {
	// APIGroup of the object; empty for core.
	APIGroup *string `json:"apiGroup,omitempty" protobuf:"bytes,1,opt,name=aPIGroup"`
	// Kind of the object.
	Kind string `json:"kind" protobuf:"bytes,2,opt,name=kind"`
	// Name of the object.
	Name string `json:"name" protobuf:"bytes,3,opt,name=name"`
	// Scope: Cluster (default) or Namespace.
	Scope *string `json:"scope,omitempty" protobuf:"bytes,4,opt,name=scope"`
	// Namespace of the object, for scope Namespace.
	Namespace *string `json:"namespace,omitempty" protobuf:"bytes,5,opt,name=namespace"`
}

// IngressClassDefaultAnnotation marks the default IngressClass.
const IngressClassDefaultAnnotation = "ingressclass.kubernetes.io/is-default-class"

// NetworkPolicy says which traffic may reach and leave a set of pods
// (networking.k8s.io/v1).
type NetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the policy.
	Spec NetworkPolicySpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
}

// NetworkPolicySpec is a network policy.
type NetworkPolicySpec struct {
	// PodSelector selects the pods of the policy; empty selects all of the
	// namespace.
	PodSelector LabelSelector `json:"podSelector" protobuf:"bytes,1,opt,name=podSelector"`
	// Ingress rules allow incoming traffic.
	Ingress []NetworkPolicyIngressRule `json:"ingress,omitempty" protobuf:"bytes,2,rep,name=ingress"`
	// Egress rules allow outgoing traffic.
	Egress []NetworkPolicyEgressRule `json:"egress,omitempty" protobuf:"bytes,3,rep,name=egress"`
	// PolicyTypes: Ingress, Egress (defaulted from the rules).
	PolicyTypes []string `json:"policyTypes,omitempty" protobuf:"bytes,4,rep,name=policyTypes"`
}

// NetworkPolicyIngressRule allows traffic from peers to ports.
type NetworkPolicyIngressRule struct {
	// Ports allowed; empty allows all.
	Ports []NetworkPolicyPort `json:"ports,omitempty" protobuf:"bytes,1,rep,name=ports"`
	// From peers; empty allows all.
	From []NetworkPolicyPeer `json:"from,omitempty" protobuf:"bytes,2,rep,name=from"`
}

// NetworkPolicyEgressRule allows traffic to peers on ports.
type NetworkPolicyEgressRule struct {
	// Ports allowed; empty allows all.
	Ports []NetworkPolicyPort `json:"ports,omitempty" protobuf:"bytes,1,rep,name=ports"`
	// To peers; empty allows all.
	To []NetworkPolicyPeer `json:"to,omitempty" protobuf:"bytes,2,rep,name=to"`
}

// NetworkPolicyPort is a port (or range) and protocol.
type NetworkPolicyPort struct {
	// Protocol: TCP (default), UDP or SCTP.
	Protocol *Protocol `json:"protocol,omitempty" protobuf:"bytes,1,opt,name=protocol"`
	// Port by number or name.
	Port *IntOrString `json:"port,omitempty" protobuf:"bytes,2,opt,name=port"`
	// EndPort ends a range starting at Port.
	EndPort *int32 `json:"endPort,omitempty" protobuf:"bytes,3,opt,name=endPort"`
}

// NetworkPolicyPeer is pods, namespaces or an IP block.
type NetworkPolicyPeer struct {
	// PodSelector selects pods.
	PodSelector *LabelSelector `json:"podSelector,omitempty" protobuf:"bytes,1,opt,name=podSelector"`
	// NamespaceSelector selects namespaces.
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty" protobuf:"bytes,2,opt,name=namespaceSelector"`
	// IPBlock is a CIDR with exceptions.
	IPBlock *IPBlock `json:"ipBlock,omitempty" protobuf:"bytes,3,rep,name=ipBlock"`
}

// IPBlock is a CIDR minus exceptions.
type IPBlock struct {
	// CIDR such as "10.0.0.0/8".
	CIDR string `json:"cidr" protobuf:"bytes,1,name=cidr"`
	// Except are CIDRs inside CIDR that are excluded.
	Except []string `json:"except,omitempty" protobuf:"bytes,2,rep,name=except"`
}
